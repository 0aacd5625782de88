"""Reconciliation: a trained policy stepped on (new) traffic, with the figures the API returns.

``reconcile(checkpoint, group, sample_size, train_group)`` restores the inference RLModule from the
checkpoint (no Algorithm) and steps it ``sample_size`` decision intervals on ``group`` (episodes of
one simulated day, reset with seeds ``RECONCILE_SEED + e`` until the count is reached). ``hpa`` and
``causal-oracle`` meet the very same workloads, on ``group`` and on ``train_group``.

Metrics (per decision step of 300 simulated seconds):

* ``avg_reward`` / ``reward_std``: mean / standard deviation of the step reward (= -cost);
* ``avg_latency`` / ``latency_std``: mean / standard deviation of the mean request latency, ms;
* ``avg_throughput``: mean req/s served within the timeout;
* ``success_rate``: share of all requests served within the timeout (0-1);
* ``adaptation_score = closed(group) / closed(train_group)``, where
  ``closed(g) = (cost_hpa(g) - cost_policy(g)) / (cost_hpa(g) - cost_causal_oracle(g))`` is the share
  of the gap between Kubernetes' autoscaler and the causal planner that the policy closes on ``g``.
  1.0: the policy adapts to the new traffic as well as it learned its own; below 1: it adapts
  worse; 0: no better than hpa there; above 1: better than on its own group.

Baseline costs are cached (``costs[g][name]`` for every name in ``BASELINES``; they do not depend
on the policy). The key (``baseline_key``, sha256) covers everything the number depends on: the
group's content (``lwmecps.envs.groups.group_fingerprint``: spec JSON + users array; the group is
loaded once and that very object is simulated), the env params JSON and a fingerprint of the
simulator and baselines' code (``env_fingerprint``), the seed, the sample size and the baseline
name; plus the training group's fingerprint for a baseline that may be tuned on it
(``uses_train_group``: every name but ``TRAIN_INDEPENDENT`` and ``static-<k>``). An edited group
file, other env params or edited env code give other keys: nothing stale is reused, no explicit
invalidation is needed (the store drops a group's rows of older contents).

``reconcile(..., cache=None)`` computes everything (a pure function). With a ``BaselineCostCache``
it reads a process-wide LRU (``PROCESS_LRU``), then the ``known`` costs it was given (the service
passes the store's ``baseline_costs`` rows), and computes the rest, collecting them in
``cache.new`` for the caller to store (``lwmecps.platform.store.baseline_costs``). ``BASELINES`` is
the one list of baseline names to cost; any ``make_policy`` name can be added to it.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

RECONCILE_SEED = 30_000  # reconciliation workloads are neither training nor evaluation seeds
STEP_FIELDS = ("reward", "cost", "latency_ms", "throughput_rps", "arrival_rps", "failed_fraction")
GAP = ("hpa", "causal-oracle")  # closed_gap runs from the first to the second
BASELINES: tuple[str, ...] = (*GAP, "hpa-tuned", "static-trained", "best-static")  # costed on every
#: reconciled group (cached); any make_policy name can be added
#: baselines whose cost depends on the evaluated workload alone; any other name's key also carries
#: the training group's fingerprint (an unlisted one is only shared less, never stale)
TRAIN_INDEPENDENT = frozenset({"random", "hpa", "causal-oracle", "oracle", "oracle-plan", "best-static"})
CACHE_VERSION = 1  # bump when the meaning of a cached cost changes in a way the fingerprints miss


def run_steps(policy, group, steps: int, seed: int = RECONCILE_SEED, params=None) -> dict[str, np.ndarray]:
    """Per-step figures of ``policy`` over ``steps`` decision intervals of ``group`` (a name or a loaded
    ``WorkloadGroup``), with ``params`` (``EnvParams``, overrides dict or None: the defaults)."""
    from lwmecps.envs import EdgeClusterEnv

    env = EdgeClusterEnv(group=group, params=params)
    out = {k: np.empty(steps) for k in STEP_FIELDS}
    done, episode = True, 0
    for t in range(steps):
        if done:
            obs, _ = env.reset(seed=seed + episode)
            policy.reset(env)
            episode += 1
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, env))
        done = terminated or truncated
        out["reward"][t] = reward
        for key in STEP_FIELDS[1:]:
            out[key][t] = info[key]
    return out


def split_episodes(steps: int, steps_per_episode: int, parts: int) -> list[tuple[int, int]]:
    """``[(first_episode, steps), ...]``: ``steps`` decision steps (whole episodes of
    ``steps_per_episode``, the last one cut) in at most ``parts`` contiguous chunks of whole episodes.
    Episodes are independent (each resets with its own seed), so the chunks run anywhere and,
    concatenated in order, are the serial run."""
    episodes = math.ceil(steps / steps_per_episode)
    parts = max(1, min(parts, episodes))
    bounds = [round(i * episodes / parts) for i in range(parts + 1)]
    return [(a, min(steps, b * steps_per_episode) - a * steps_per_episode) for a, b in zip(bounds, bounds[1:])]


def _run_chunk(checkpoint: str, group, steps: int, seed: int, params) -> dict[str, np.ndarray]:
    from ..algorithms.inference import load_policy

    policy, _ = load_policy(checkpoint)
    return run_steps(policy, group, steps, seed, params)


def run_steps_parallel(checkpoint: str, group, steps: int, params, parts: int, seed: int = RECONCILE_SEED,
                       num_cpus: float = 0.5, policy=None) -> dict[str, np.ndarray]:
    """``run_steps`` of the checkpoint's policy, its episodes split over ``parts`` Ray tasks of
    ``num_cpus`` each (``split_episodes``); equal to the serial run for the same seeds. One chunk
    runs here, on ``policy`` when given (already loaded from the checkpoint)."""
    chunks = split_episodes(steps, params.steps_per_episode, parts)
    if len(chunks) == 1:
        if policy is None:
            return _run_chunk(checkpoint, group, steps, seed, params)
        return run_steps(policy, group, steps, seed, params)
    import ray

    task = ray.remote(num_cpus=num_cpus, max_retries=1)(_run_chunk)
    parts_out = ray.get([task.remote(checkpoint, group, n, seed + first, params) for first, n in chunks])
    return {k: np.concatenate([p[k] for p in parts_out]) for k in STEP_FIELDS}


def closed_gap(policy_cost: float, hpa_cost: float, causal_cost: float) -> float:
    """Share of the hpa -> causal-oracle cost gap the policy closes (1: as good as the planner)."""
    gap = hpa_cost - causal_cost
    if gap <= 1e-9:  # hpa already plans as well as the causal planner: nothing to close
        return 1.0 if policy_cost <= hpa_cost + 1e-9 else 0.0
    return (hpa_cost - policy_cost) / gap


def summarise(steps: dict[str, np.ndarray]) -> dict[str, float]:
    arrivals = steps["arrival_rps"].sum()
    success = 1.0 - float((steps["failed_fraction"] * steps["arrival_rps"]).sum() / arrivals) if arrivals > 0 else 0.0
    return {
        "avg_reward": float(steps["reward"].mean()),
        "avg_latency": float(steps["latency_ms"].mean()),
        "avg_throughput": float(steps["throughput_rps"].mean()),
        "success_rate": success,
        "latency_std": float(steps["latency_ms"].std()),
        "reward_std": float(steps["reward"].std()),
    }


# -- baseline costs and their cache --------------------------------------------------------------------
@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of the code a baseline cost depends on: every module of ``lwmecps.envs`` (simulator,
    groups, baselines) and ``run_steps``; computed once per process."""
    import lwmecps.envs

    digest = hashlib.sha256(f"v{CACHE_VERSION}|".encode())
    root = Path(lwmecps.envs.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root).as_posix()}|".encode())
        digest.update(path.read_bytes())
    digest.update(inspect.getsource(run_steps).encode())
    return digest.hexdigest()


def env_fingerprint(params) -> str:
    """sha256 of the env params JSON (``EnvParams``) and the code fingerprint."""
    return hashlib.sha256(f"{params.model_dump_json()}|{code_fingerprint()}".encode()).hexdigest()


def uses_train_group(name: str) -> bool:
    """Whether baseline ``name``'s cost may depend on the training group (tuned on it): every name but
    ``TRAIN_INDEPENDENT`` and ``static-<k>``."""
    return name not in TRAIN_INDEPENDENT and not re.fullmatch(r"static-\d+", name)


def baseline_key(baseline: str, group_fp: str, env_fp: str, seed: int, sample_size: int,
                 train_fp: str | None = None) -> str:
    """The cache key of one baseline cost (sha256 hex; the store's ``_id``); ``train_fp``: the training
    group's fingerprint, for a baseline tuned on it."""
    parts = {"baseline": baseline, "group": group_fp, "env": env_fp, "seed": int(seed), "steps": int(sample_size)}
    if train_fp is not None:
        parts["train"] = train_fp
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class CostLRU:
    """A thread-safe LRU of ``{key: cost}``, at most ``maxsize`` entries."""

    def __init__(self, maxsize: int = 1024):
        self.maxsize, self._data, self._lock = maxsize, OrderedDict(), threading.Lock()

    def get(self, key: str) -> float | None:
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: str, cost: float) -> None:
        with self._lock:
            self._data[key] = cost
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


PROCESS_LRU = CostLRU()  # shared by the caches of one process (a reused Ray worker, the API process)


class BaselineCostCache:
    """Baseline costs by ``baseline_key``: the ``lru`` first, then ``known`` (e.g. the store's rows),
    else computed. Counts ``hits`` and ``computed``; ``new`` holds the computed entries (key, group,
    fingerprints, baseline, sample size, seed, cost), for the caller to persist."""

    def __init__(self, known: dict[str, float] | None = None, lru: CostLRU | None = PROCESS_LRU):
        self.known, self.lru = dict(known or {}), lru
        self.hits, self.computed, self.new = 0, 0, []

    def get(self, key: str) -> float | None:
        cost = self.lru.get(key) if self.lru is not None else None
        if cost is None and key in self.known:
            cost = self.known[key]
            if self.lru is not None:
                self.lru.put(key, cost)
        if cost is not None:
            self.hits += 1
        return cost

    def put(self, entry: dict[str, Any]) -> None:
        self.computed += 1
        self.new.append(entry)
        self.known[entry["key"]] = entry["cost"]
        if self.lru is not None:
            self.lru.put(entry["key"], entry["cost"])

    def report(self) -> dict[str, Any]:
        return {"hits": self.hits, "computed": self.computed, "new": list(self.new)}


def compute_baseline_cost(name: str, group, sample_size: int, seed: int, params, train_group=None) -> float:
    """Mean step cost of baseline ``name`` (``make_policy(name)``; given ``train_group`` for a baseline
    tuned on it) over ``sample_size`` steps of ``group``."""
    from lwmecps.envs.baselines import make_policy

    if train_group is None:
        policy = make_policy(name)
    else:
        policy = make_policy(name, train_group=train_group, params=params)
    prepare = getattr(policy, "prepare", None)
    if callable(prepare):  # a baseline searched on the evaluated workload itself (best-static)
        prepare(group, seed, math.ceil(sample_size / params.steps_per_episode), params)
    return float(run_steps(policy, group, sample_size, seed, params)["cost"].mean())


def baseline_costs(group, sample_size: int, names: Sequence[str] = BASELINES, seed: int = RECONCILE_SEED,
                   params=None, cache: BaselineCostCache | None = None, train_group=None) -> dict[str, float]:
    """``{name: mean step cost}`` of each baseline on ``group`` (a loaded ``WorkloadGroup``;
    ``train_group`` too, for the baselines tuned on it), through ``cache`` when given."""
    from lwmecps.envs import EnvParams
    from lwmecps.envs.groups import group_fingerprint

    params = params if isinstance(params, EnvParams) else EnvParams.load(params)
    train_group = group if train_group is None else train_group
    costs: dict[str, float] = {}
    fps: dict[str, str] = {}
    for name in dict.fromkeys(names):
        tuned = train_group if uses_train_group(name) else None
        if cache is None:
            costs[name] = compute_baseline_cost(name, group, sample_size, seed, params, tuned)
            continue
        if not fps:
            fps = {"group": group_fingerprint(group), "env": env_fingerprint(params),
                   "train": group_fingerprint(train_group)}
        train_fp = fps["train"] if tuned is not None else None
        key = baseline_key(name, fps["group"], fps["env"], seed, sample_size, train_fp)
        cost = cache.get(key)
        if cost is None:
            cost = compute_baseline_cost(name, group, sample_size, seed, params, tuned)
            cache.put({"key": key, "group": group.name, "group_fingerprint": fps["group"],
                       "env_fingerprint": fps["env"], "train_group_fingerprint": train_fp, "baseline": name,
                       "sample_size": int(sample_size), "seed": int(seed), "cost": cost})
        costs[name] = cost
    return costs


def reconcile(checkpoint: str, group, sample_size: int, train_group,
              cache: BaselineCostCache | None = None, baselines: Sequence[str] = BASELINES,
              parts: int = 1, num_cpus: float = 0.5) -> dict[str, Any]:
    """The reconciliation metrics (see the module docstring) plus the costs behind the score;
    ``group``, ``train_group``: names of shipped groups or loaded ``WorkloadGroup``s (user groups);
    ``costs`` and ``closed_gap`` are keyed by group name; ``cache``: reuse baseline costs (None:
    compute them all); ``parts`` > 1: the policy's episodes split over that many Ray tasks of
    ``num_cpus`` (``run_steps_parallel``: the same figures)."""
    from lwmecps.envs import EnvParams, as_group, check_same_shape

    from ..algorithms.inference import load_policy

    params = EnvParams.load()
    group, trained_on = as_group(group), as_group(train_group)
    check_same_shape(trained_on, group, params)  # ShapeMismatch before any work
    policy, _ = load_policy(checkpoint)  # once, for the chunks run here
    names = tuple(dict.fromkeys((*GAP, *baselines)))
    costs: dict[str, dict[str, float]] = {}
    mine = None
    # one pass when reconciling on the training group; each the one object both simulated and fingerprinted
    for workload in {group.name: group, trained_on.name: trained_on}.values():
        ran = run_steps_parallel(checkpoint, workload, sample_size, params, parts, num_cpus=num_cpus, policy=policy)
        if workload.name == group.name:
            mine = ran
        costs[workload.name] = {"policy": float(ran["cost"].mean()),
                                **baseline_costs(workload, sample_size, names, RECONCILE_SEED, params, cache,
                                                 trained_on)}
    closed = {g: closed_gap(c["policy"], c[GAP[0]], c[GAP[1]]) for g, c in costs.items()}
    base = closed[trained_on.name]
    score = closed[group.name] / base if abs(base) > 1e-9 else 0.0
    metrics = summarise(mine)
    metrics["adaptation_score"] = float(score) if math.isfinite(score) else 0.0
    return {"metrics": metrics, "costs": costs, "closed_gap": closed}
