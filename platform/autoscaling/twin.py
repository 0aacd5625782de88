"""Autoscaler targets. ``simulated``: a digital twin of an edge cluster, and HPA on the same workload beside it.

Two ``EdgeClusterEnv``s on the same group, reset with the same seeds: the *cluster*, run by whatever
the autoscaler applies, and the *HPA twin*, run by the HPA rule alone, so that the two meet the very
same users and noise and ``hpa_cost_so_far`` is the exact counterfactual of the cluster's cost. Days
follow each other: when an episode ends (one simulated day) both start the next with ``seed + day``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lwmecps.envs import EdgeClusterEnv
from lwmecps.envs.baselines import HPAPolicy

from ..training.replay import interval_outcome as _outcome


class SimulatedTarget:
    """``observation()``, ``hpa_recommendation()``, ``apply(replicas)``: one decision interval at a time."""

    kind = "simulated"

    def __init__(self, group, seed: int = 0, params: dict | None = None, hpa: dict | None = None):
        self.seed, self.day = seed, 0
        params = {"random_start": False, **(params or {})}  # every day from midnight
        self.cluster = EdgeClusterEnv(group=group, params=params)
        self.twin = EdgeClusterEnv(group=group, params=params)
        self.nodes = [nd.name for nd in self.cluster.sim.group.spec.nodes]
        self.caps = self.cluster.sim.caps.copy()
        self.steps_per_day = self.cluster.sim.steps_per_episode
        self.shadow_hpa = HPAPolicy(**(hpa or {}))  # what HPA would do on the cluster as it is
        self.twin_hpa = HPAPolicy(**(hpa or {}))    # HPA running the twin
        self._start_day()

    def _start_day(self) -> None:
        self.obs, _ = self.cluster.reset(seed=self.seed + self.day)
        self.twin_obs, _ = self.twin.reset(seed=self.seed + self.day)
        self.shadow_hpa.reset(self.cluster)
        self.twin_hpa.reset(self.twin)

    def continue_after(self, decisions: int) -> None:
        """A resumed autoscaler: both twins start the day after the last of ``decisions`` intervals began."""
        self.day = -(-decisions // self.steps_per_day)
        self._start_day()

    def observation(self) -> list[float]:
        return [float(x) for x in self.obs]

    def current(self) -> np.ndarray:
        return self.cluster.sim.replicas().copy()

    def hpa_recommendation(self) -> np.ndarray:
        """The HPA rule's replicas for the cluster's last interval (its own stabilisation window)."""
        return np.asarray(self.shadow_hpa.act(self.obs, self.cluster), dtype=np.int64)

    def apply(self, replicas) -> dict[str, Any]:
        """Run one interval with ``replicas`` on the cluster and HPA's on the twin: ``{"cluster", "hpa"}``."""
        n = len(self.nodes)
        self.obs, _, _, truncated, info = self.cluster.step(np.asarray(replicas, dtype=np.int64))
        self.twin_obs, _, _, twin_truncated, twin_info = self.twin.step(self.twin_hpa.act(self.twin_obs, self.twin))
        result = {"cluster": _outcome(info, self.obs, n), "hpa": _outcome(twin_info, self.twin_obs, n)}
        if truncated or twin_truncated:
            self.day += 1
            self._start_day()
        return result


class KubernetesTarget:
    """The ``kubernetes`` target: the live backend (``lwmecps.envs.kubernetes``) on a real cluster.

    It attaches to the cluster as it runs (``reset(options={"keep_replicas": True})``: the current
    replicas stay), each ``apply`` scales the deployments, waits for readiness and serves for one
    decision interval (``observe_s``) before measuring; HPA's recommendation is the same rule
    (``HPAPolicy.recommend``) on the measured utilisation. There is no counterfactual twin on a
    real cluster: ``hpa`` outcomes are None.
    """

    kind = "kubernetes"

    def __init__(self, group, kube: dict, hpa: dict | None = None):
        self.env = EdgeClusterEnv(group=group, backend="kubernetes", kube=kube)
        self.nodes = [nd.name for nd in self.env.sim.group.spec.nodes]
        self.caps = self.env.sim.caps.copy()
        self.steps_per_day = self.env.sim.steps_per_episode
        self.hpa = HPAPolicy(**(hpa or {}))
        self.hpa.reset(self.env)
        self.obs, self.info = self.env.reset(options={"keep_replicas": True})

    def observation(self) -> list[float]:
        return [float(x) for x in self.obs]

    def current(self) -> np.ndarray:
        return np.asarray(self.info["replicas"], dtype=np.int64).copy()

    def hpa_recommendation(self) -> np.ndarray:
        return self.hpa.recommend(self.current(), np.asarray(self.info["utilisation"]), self.caps)

    def apply(self, replicas) -> dict[str, Any]:
        self.obs, _, _, _, self.info = self.env.step(np.asarray(replicas, dtype=np.int64))
        return {"cluster": _outcome(self.info, self.obs, len(self.nodes)), "hpa": None}
