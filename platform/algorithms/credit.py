"""Per-station credit: each transition's station cost shares (a learner connector piece, from the
episodes' infos) and the per-node rewards made of them (Q-learning's and TD3's ``credit: station``).

Both backends of ``EdgeClusterEnv`` (the simulator and the live cluster) write
``info["station_cost"]`` (``lwmecps.envs.simulator.NODE_OUT``) after every step; the info after
step t (index t + 1 of the episode's infos, as for ``NEXT_OBS``) belongs to the transition of step
t. An env that does not write it cannot train with station credit: the piece says so instead of
guessing. Replay buffers keep the infos: a 1-step sample from RLlib's ``EpisodeReplayBuffer`` holds
the infos at its step and after it, so the piece reads the same info there. The learners insert the
piece right after RLlib's ``AddObservationsFromEpisodesToBatch``, which gives every episode in the
batch a unique id: before it, several samples of one episode share a key and their items would be
grouped apart from the other columns' order.

Node j's reward is its station's share on the scale of the training reward:
``r_j = -s (c_j - c0 / n)`` with the env's ``reward`` transform ``(s, c0)`` (scale, offset per step), so
that ``sum_j r_j`` is the shared reward ``-s (cost - c0)``. Why: with a shared reward, what node j's
choice is worth carries the other nodes' exploration as noise; its station's share moves only with what
node j's own users and replicas pay (exactly, while no station fails over), a far less noisy signal.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
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


def station_rewards(costs, reward: dict[str, Any] | None) -> torch.Tensor:
    """``(B, n)`` per-node rewards ``-s (c_j - c0 / n)`` of station costs ``costs`` ``(B, n)`` under the
    env's reward transform ``{"scale": s, "offset": c0}`` (missing: 1 and 0): they sum to the reward."""
    reward = reward or {}
    scale, offset = float(reward.get("scale", 1.0)), float(reward.get("offset", 0.0))
    costs = torch.as_tensor(costs, dtype=torch.float32)
    return -scale * (costs - offset / costs.shape[-1])
