"""Baselines an operator would actually run: a fixed replica vector and an HPA tuned on history.

* ``best-static`` — the best fixed replica vector (one count per node, all day) on the
  *evaluation* workload itself: every combination (``prod(max_j + 1)`` vectors, 625 for 4 nodes of
  4) when there are at most ``JOINT_LIMIT``, else a coordinate search (start from the best uniform
  ``static-k``, then per node try every count holding the others, until a full pass improves
  nothing). Hindsight, so generous.
* ``static-trained`` — the same search on the *training* workload (the training group, seeds
  ``TUNE_SEED ..``, ``TUNE_DAYS`` days), then frozen: what an operator picks from history.
* ``hpa-tuned`` — the HPA rule with its target utilisation and scale-down stabilisation window
  chosen on the training workload from the grid ``HPA_TARGETS x HPA_WINDOWS_S`` (least mean cost),
  then frozen.

Every candidate of a search meets the very same workloads: a static vector is evaluated for all
candidates at once in one batch of clusters reset with the same generator state (same start and
noise), so the search costs a few simulated days of one batch.
"""
from __future__ import annotations

import itertools

import numpy as np

from ..cluster import ClusterSim
from ..config import EnvParams
from ..groups import WorkloadGroup, group_fingerprint, load_group
from .evaluate import evaluate
from .planning import JOINT_LIMIT, all_configs
from .simple import HPAPolicy, Policy

TUNE_SEED = 40_000  # tuning workloads: neither training, selection, evaluation nor reconcile seeds
TUNE_DAYS = 4
HPA_TARGETS = (0.5, 0.6, 0.7, 0.8, 0.9)
HPA_WINDOWS_S = (0.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)


class StaticVectorPolicy(Policy):
    """A fixed replica count per node, all day."""

    def __init__(self, vector, name: str = "static-vector"):
        self.vector = np.asarray(vector, dtype=np.int64)
        self.name = name

    def act(self, obs, env):
        return self.vector.copy()


def static_costs(group: WorkloadGroup | str, vectors: np.ndarray, seed: int, episodes: int,
                 params: EnvParams | dict | None = None) -> np.ndarray:
    """Mean per-step cost of each fixed vector in ``vectors`` (M, n) over episodes seeded
    ``seed + e`` — the very workloads ``evaluate`` meets with the same arguments."""
    from gymnasium.utils import seeding

    vectors = np.asarray(vectors, dtype=np.int64)
    sim = ClusterSim(group, params, batch=len(vectors))
    total = np.zeros(len(vectors))
    for ep in range(episodes):
        # one generator per slot, all from the same seed: every vector meets the same day
        sim.reset_many(np.arange(len(vectors)), [seeding.np_random(seed + ep)[0] for _ in vectors])
        for _ in range(sim.steps_per_episode):
            sim.step(vectors)
            total += sim.info[0]
    return total / (episodes * sim.steps_per_episode)


def search_static(group: WorkloadGroup | str, seed: int, episodes: int,
                  params: EnvParams | dict | None = None) -> tuple[np.ndarray, float]:
    """The least-cost fixed replica vector on the workload and its per-step cost (see the module)."""
    sim = ClusterSim(group, params)
    if np.prod(sim.caps + 1.0) <= JOINT_LIMIT:
        vectors = all_configs(sim.caps).astype(np.int64)
        costs = static_costs(sim.group, vectors, seed, episodes, sim.params)
        best = int(np.argmin(costs))
        return vectors[best], float(costs[best])
    uniform = np.array([np.minimum(sim.caps, k) for k in range(1, int(sim.caps.max()) + 1)])
    costs = static_costs(sim.group, uniform, seed, episodes, sim.params)
    vector, cost = uniform[int(np.argmin(costs))].copy(), float(costs.min())
    improved = True
    while improved:
        improved = False
        for j in range(sim.n):
            cands = np.repeat(vector[None, :], int(sim.caps[j]) + 1, axis=0)
            cands[:, j] = np.arange(int(sim.caps[j]) + 1)
            c = static_costs(sim.group, cands, seed, episodes, sim.params)
            k = int(np.argmin(c))
            if c[k] < cost - 1e-12:
                vector, cost, improved = cands[k].copy(), float(c[k]), True
    return vector, cost


def tune_hpa(group: WorkloadGroup | str, seed: int = TUNE_SEED, episodes: int = TUNE_DAYS,
             params: EnvParams | dict | None = None) -> tuple[dict, float]:
    """``({"target": .., "stabilization_s": ..}, per-step cost)`` of the best HPA on the grid."""
    results = []
    for target, window in itertools.product(HPA_TARGETS, HPA_WINDOWS_S):
        cost = evaluate(HPAPolicy(target=target, stabilization_s=window), group=group, seed=seed,
                        episodes=episodes, params=params)["cost"]
        results.append((cost, {"target": target, "stabilization_s": window}))
    cost, best = min(results, key=lambda r: r[0])
    return best, float(cost)


# (kind, group content + env params) -> (choice, cost): tuning is deterministic, so once per process
_TUNED: dict[tuple[str, str], tuple] = {}


def _tuned(kind: str, train_group, params, tune) -> tuple:
    group = load_group(train_group) if isinstance(train_group, str) else train_group
    prm = params if isinstance(params, EnvParams) else EnvParams.load(params)
    key = (kind, f"{group_fingerprint(group)}:{prm.model_dump_json()}")
    if key not in _TUNED:
        _TUNED[key] = tune(group, prm)
    return _TUNED[key]


def static_trained(train_group: WorkloadGroup | str = "profile-a", params=None) -> StaticVectorPolicy:
    """``static-trained``: the best fixed vector on ``train_group``'s tuning workload, frozen."""
    vector, _ = _tuned("static", train_group, params, lambda g, p: search_static(g, TUNE_SEED, TUNE_DAYS, p))
    return StaticVectorPolicy(vector, name="static-trained")


def hpa_tuned(train_group: WorkloadGroup | str = "profile-a", params=None) -> HPAPolicy:
    """``hpa-tuned``: the HPA rule with the grid's best target and window on ``train_group``, frozen."""
    best, _ = _tuned("hpa", train_group, params, lambda g, p: tune_hpa(g, params=p))
    policy = HPAPolicy(**best)
    policy.name = "hpa-tuned"
    return policy


class BestStaticPolicy(StaticVectorPolicy):
    """``best-static``: searched on the evaluation workload at the first ``reset`` of an ``evaluate``
    (``prepare(group, seed, episodes, params)`` fixes that workload beforehand)."""

    def __init__(self):
        super().__init__(np.zeros(0), name="best-static")
        self.prepared = False

    def prepare(self, group, seed: int, episodes: int, params=None) -> "BestStaticPolicy":
        self.vector, self.cost = search_static(group, seed, episodes, params)
        self.prepared = True
        return self

    def act(self, obs, env):
        if not self.prepared:
            raise RuntimeError("best-static searches on the evaluation workload: call prepare(group, seed, "
                               "episodes) first (evaluate_baselines does)")
        return self.vector.copy()
