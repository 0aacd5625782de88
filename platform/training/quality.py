"""A trained policy's quality on its group, as stored in the model record's ``metrics``.

Every figure is measured on the same workloads: ``EVAL_EPISODES`` simulated days of the model's
group, episode ``e`` reset with seed ``EVAL_SEED + e`` (not training seeds), which the policy and
every baseline meet alike (same start times and noise). With ``C`` the policy's mean per-step cost:

* ``accuracy = min(1, C_causal / C)``: ``C_causal`` is ``causal-oracle``'s cost, the best plan
  made from the group's expected demand without seeing the realised noise. 1.0 = as good as the
  best causal plan; 0.5 = twice its cost. Capped at 1: a policy that reacts to the realised demand
  can beat that plan.
* ``vs_best_static = C / C_best_static``: ``best-static`` is the least-cost fixed replica vector
  searched on these very workloads (hindsight); below 1 beats every fixed allocation.
* ``vs_hpa_tuned = C / C_hpa_tuned``: ``hpa-tuned`` is the HPA rule with target utilisation and
  stabilisation window tuned on the model's group (its training group; the tuning days are other
  seeds), then frozen; below 1 beats what an operator would configure.
* ``vs_oracle = C / C_oracle``: ``oracle`` is a lower bound on any policy's cost, so this is >= 1.
* ``cost``: ``C``; ``latency``: mean request latency, seconds; ``success_rate``: mean share of
  requests served within the timeout.

Cost: two simulated days per policy; ``causal-oracle``'s expected-cost table takes a few seconds
on a group's first call in a process and is cached after, ``hpa-tuned``'s tuning likewise.
"""
from __future__ import annotations

from lwmecps.envs.baselines import BestStaticPolicy, Policy, evaluate, make_policy

EVAL_SEED = 10_000  # evaluation workloads are not the training seeds
EVAL_EPISODES = 2  # simulated days
#: the baselines a model is judged against (see the module docstring)
BASELINES = ("causal-oracle", "best-static", "hpa-tuned", "oracle")


def accuracy(cost: float, causal_cost: float) -> float:
    """``min(1, causal_cost / cost)``: 1.0 = as good as the causal oracle (or better)."""
    return 1.0 if cost <= 0 else min(1.0, causal_cost / cost)


def baseline_costs(group: str, episodes: int = EVAL_EPISODES, seed: int = EVAL_SEED, params=None) -> dict[str, float]:
    """Mean per-step cost of each of ``BASELINES`` on the evaluation workloads (``hpa-tuned`` tuned
    on ``group``, ``best-static`` searched on these very days); the baselines are ``make_policy``'s
    defaults, so ``causal-oracle`` here is the very policy ``make_policy("causal-oracle")`` gives."""
    costs = {}
    for name in BASELINES:
        policy = make_policy(name, train_group=group, params=params)
        if isinstance(policy, BestStaticPolicy):
            policy.prepare(group, seed, episodes, params)
        costs[name] = evaluate(policy, group=group, seed=seed, episodes=episodes, params=params)["cost"]
    return costs


def model_quality(policy: Policy, group: str, episodes: int = EVAL_EPISODES, seed: int = EVAL_SEED,
                  params=None) -> dict[str, float]:
    """``accuracy``, ``vs_best_static``, ``vs_hpa_tuned``, ``vs_oracle``, ``cost``, ``latency`` (s)
    and ``success_rate`` of ``policy`` on ``group`` (formulas: the module docstring)."""
    mine = evaluate(policy, group=group, seed=seed, episodes=episodes, params=params)
    base = baseline_costs(group, episodes, seed, params)
    cost = mine["cost"]
    return {
        "accuracy": accuracy(cost, base["causal-oracle"]),
        "latency": mine["latency_ms"] / 1000.0,
        "cost": cost,
        "success_rate": mine["success_rate"],
        "vs_best_static": cost / base["best-static"],
        "vs_hpa_tuned": cost / base["hpa-tuned"],
        "vs_oracle": cost / base["oracle"],
    }
