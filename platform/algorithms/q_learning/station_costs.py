"""A learner connector piece: each transition's per-station cost shares, from the episodes' infos.

Both backends of ``EdgeClusterEnv`` (the simulator and the live cluster) write
``info["station_cost"]`` (``lwmecps.envs.simulator.NODE_OUT``) after every step; the info after
step t (index t + 1 of the episode's infos, as for ``NEXT_OBS``) belongs to the transition of step
t. An env that does not write it cannot train with station credit: the piece says so instead of
guessing.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from ray.rllib.connectors.connector_v2 import ConnectorV2

STATION_COSTS = "station_costs"


class AddStationCostsFromEpisodesToTrainBatch(ConnectorV2):
    """Adds the ``station_costs`` column, ``(n,)`` per transition, to the train batch."""

    def __call__(self, *, rl_module, batch: dict[str, Any], episodes, explore=None, shared_data=None,
                 **kwargs) -> Any:
        if STATION_COSTS in batch:
            return batch
        for episode in self.single_agent_episode_iterator(episodes, agents_that_stepped_only=False):
            infos = episode.get_infos(slice(1, len(episode) + 1))
            missing = [i for i, info in enumerate(infos) if "station_cost" not in info]
            if missing:
                raise ValueError("credit 'station' needs info['station_cost'] from the env (both "
                                 f"EdgeClusterEnv backends write it); step {missing[0]} of an episode has none")
            self.add_n_batch_items(batch, STATION_COSTS,
                                   items_to_add=[np.asarray(info["station_cost"], dtype=np.float32) for info in infos],
                                   num_items=len(episode), single_agent_episode=episode)
        return batch
