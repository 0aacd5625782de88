"""Baseline policies for the edge-cluster env, and ``evaluate``.

Names: ``random``, ``static-k`` (k = 1..max replicas), ``static-trained`` (the best fixed replica
vector on the training workload, frozen), ``best-static`` (the same search on the evaluation
workload: hindsight), ``hpa`` (Kubernetes' defaults), ``hpa-tuned`` (target and window tuned on the
training workload, frozen; see ``tuned``), ``causal-oracle``, ``oracle-plan`` (the clairvoyant plan,
executed) and ``oracle`` (a true lower bound on any policy's cost, see ``bound``). Every
policy-quality figure of the platform is reported relative to these.
"""
from __future__ import annotations

from .bound import OracleBound
from .evaluate import EVAL_FIELDS, HOUR_FIELDS, NODE_FIELDS, evaluate, hour_of_day
from .planning import CausalOraclePolicy, OraclePolicy
from .simple import HPAPolicy, Policy, RandomPolicy, StaticPolicy
from .tuned import BestStaticPolicy, StaticVectorPolicy, hpa_tuned, static_trained

#: the platform's default training group: where ``static-trained`` and ``hpa-tuned`` are tuned
DEFAULT_TRAIN_GROUP = "profile-a"


def baseline_names(max_replicas: int = 4) -> list[str]:
    """Every baseline name for a cluster whose largest node takes ``max_replicas``."""
    return ["random", *[f"static-{k}" for k in range(1, max_replicas + 1)], "static-trained", "best-static", "hpa",
            "hpa-tuned", "causal-oracle", "oracle-plan", "oracle"]


def make_policy(name: str, seed: int = 0, train_group=DEFAULT_TRAIN_GROUP, params=None) -> Policy:
    """A baseline by name; ``ValueError`` naming the known ones otherwise.

    ``train_group`` (a name or a ``WorkloadGroup``) is where ``static-trained`` and ``hpa-tuned``
    are tuned; ``best-static`` must be ``prepare``d on the evaluation workload before it acts.
    """
    if name == "random":
        return RandomPolicy(seed)
    if name == "hpa":
        return HPAPolicy()
    if name == "oracle":
        return OracleBound()
    if name == "oracle-plan":
        return OraclePolicy()
    if name == "static-trained":
        return static_trained(train_group, params)
    if name == "best-static":
        return BestStaticPolicy()
    if name == "hpa-tuned":
        return hpa_tuned(train_group, params)
    if name == "causal-oracle":
        return CausalOraclePolicy(seed=seed)
    if name.startswith("static-") and name[7:].isdigit():
        return StaticPolicy(int(name[7:]))
    raise ValueError(f"unknown baseline {name!r}; known: random, static-<k>, static-trained, best-static, hpa, "
                     "hpa-tuned, causal-oracle, oracle-plan, oracle")


def evaluate_baselines(group: str = "profile-a", seed: int = 0, episodes: int = 1, params=None,
                       names: list[str] | None = None, progress=None,
                       train_group=DEFAULT_TRAIN_GROUP, by_hour: float | None = None,
                       by_node: bool = False) -> dict[str, dict]:
    """``evaluate`` every baseline on ``group``: ``{name: {field: value}}`` (``train_group``: see
    ``make_policy``; a ``train_group`` of another node count is replaced by ``group`` itself, whose
    tuning days differ from the evaluation days; ``best-static`` is searched on these very workloads;
    ``by_hour``, ``by_node``: see ``evaluate``)."""
    from ..cluster import ClusterSim
    from ..groups import load_group

    sim = ClusterSim(group, params)
    caps = sim.caps
    trained_on = load_group(train_group) if isinstance(train_group, str) else train_group
    if trained_on.n_nodes != sim.n:  # no training history of this cluster's shape:
        train_group = sim.group          # tune on its own other days (the tuning seeds)
    results = {}
    for name in names or baseline_names(int(caps.max())):
        policy = make_policy(name, seed, train_group=train_group, params=params)
        if isinstance(policy, BestStaticPolicy):
            policy.prepare(group, seed, episodes, params)
        results[name] = evaluate(policy, group=group, seed=seed, episodes=episodes, params=params, by_hour=by_hour,
                                 by_node=by_node)
        if progress is not None:
            progress(name)
    return results


__all__ = [
    "DEFAULT_TRAIN_GROUP", "EVAL_FIELDS", "HOUR_FIELDS", "NODE_FIELDS", "BestStaticPolicy", "CausalOraclePolicy",
    "HPAPolicy", "OracleBound", "OraclePolicy", "Policy", "RandomPolicy", "StaticPolicy", "StaticVectorPolicy",
    "baseline_names", "evaluate", "evaluate_baselines", "hour_of_day", "make_policy",
]
