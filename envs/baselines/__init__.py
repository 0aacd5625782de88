"""Baseline policies for the edge-cluster env, and ``evaluate``.

Names: ``random``, ``static-k`` (k = 1..max replicas), ``hpa``, ``causal-oracle``, ``oracle``.
Every policy-quality figure of the platform is reported relative to these.
"""
from __future__ import annotations

from .evaluate import EVAL_FIELDS, evaluate
from .planning import CausalOraclePolicy, OraclePolicy
from .simple import HPAPolicy, Policy, RandomPolicy, StaticPolicy


def baseline_names(max_replicas: int = 4) -> list[str]:
    """Every baseline name for a cluster whose largest node takes ``max_replicas``."""
    return ["random", *[f"static-{k}" for k in range(1, max_replicas + 1)], "hpa", "causal-oracle", "oracle"]


def make_policy(name: str, seed: int = 0) -> Policy:
    """A baseline by name; ``ValueError`` naming the known ones otherwise."""
    if name == "random":
        return RandomPolicy(seed)
    if name == "hpa":
        return HPAPolicy()
    if name == "oracle":
        return OraclePolicy()
    if name == "causal-oracle":
        return CausalOraclePolicy(seed=seed)
    if name.startswith("static-") and name[7:].isdigit():
        return StaticPolicy(int(name[7:]))
    raise ValueError(f"unknown baseline {name!r}; known: random, static-<k>, hpa, causal-oracle, oracle")


def evaluate_baselines(group: str = "profile-a", seed: int = 0, episodes: int = 1, params=None,
                       names: list[str] | None = None, progress=None) -> dict[str, dict]:
    """``evaluate`` every baseline on ``group``: ``{name: {field: value}}``."""
    from ..cluster import ClusterSim

    caps = ClusterSim(group, params).caps
    results = {}
    for name in names or baseline_names(int(caps.max())):
        results[name] = evaluate(make_policy(name, seed), group=group, seed=seed, episodes=episodes, params=params)
        if progress is not None:
            progress(name)
    return results


__all__ = [
    "EVAL_FIELDS", "CausalOraclePolicy", "HPAPolicy", "OraclePolicy", "Policy", "RandomPolicy", "StaticPolicy",
    "baseline_names", "evaluate", "evaluate_baselines", "make_policy",
]
