"""RLlib callback that reports every finished episode (return, length, mean latency) and a ``cost``
metric per training result (what sweeps optimise)."""
from __future__ import annotations

import numpy as np
from ray.rllib.callbacks.callbacks import RLlibCallback

EPISODES_KEY = "lwmecps_episodes"


def finished_episodes(result: dict) -> list[dict]:
    """The episodes one training result carries (``on_episode_end``'s items, in order). Ray reduces an
    ``item_series`` of one item to the item itself: an iteration that finished exactly one episode
    (one env per runner, as off-policy runners sample in short fragments) holds a dict, not a list."""
    items = (result.get("env_runners") or {}).get(EPISODES_KEY) or []
    return [items] if isinstance(items, dict) else [e for e in items if e]


class EpisodeMetricsCallback(RLlibCallback):
    """Logs one item per finished episode under ``env_runners/lwmecps_episodes``.

    ``reduce="item_series"`` keeps every item (no averaging) and clears them at each reduction, so
    each training result carries exactly the episodes finished during that iteration.
    """

    def on_episode_end(self, *, episode, prev_episode_chunks=None, metrics_logger=None, **kwargs) -> None:
        # off-policy runners sample in fragments: the episode arrives as its last chunk plus the earlier ones
        chunks = [*(prev_episode_chunks or []), episode]
        # each chunk's first info is the observation it starts from (reset's, or the previous chunk's last)
        infos = [i for c in chunks for i in c.get_infos()[1:] if isinstance(i, dict)]
        latencies = [i["latency_ms"] for i in infos if "latency_ms" in i]
        costs = [float(i["cost"]) for i in infos if "cost" in i]
        # the env's return (-cost): the algorithm may learn from a rescaled reward (training/envs.py)
        reward = -sum(costs) if costs else float(sum(c.get_return() for c in chunks))
        metrics_logger.log_value(EPISODES_KEY, {
            "reward": reward,
            "steps": int(sum(len(c) for c in chunks)),
            "latency": float(np.mean(latencies) / 1000.0) if latencies else None,  # seconds
        }, reduce="item_series")

    def on_train_result(self, *, algorithm=None, metrics_logger=None, result: dict, **kwargs) -> None:
        """``result["cost"]``: mean per-step cost (= -reward) of the episodes finished in this
        iteration; an iteration that finished none repeats the previous value (Tune needs it in every
        result). Training episodes explore, so this is above the greedy policy's cost."""
        episodes = finished_episodes(result)
        steps = sum(e["steps"] for e in episodes)
        if steps:
            self._last_cost = -sum(e["reward"] for e in episodes) / steps
        result["cost"] = getattr(self, "_last_cost", float("nan"))
        # which Ray node ran this iteration's learner (a sweep's trials spread over nodes; on one
        # machine every node shares the IP Tune reports, so the node id is what tells them apart)
        import ray

        result["node_id"] = ray.get_runtime_context().get_node_id()
