"""``oracle`` is a true lower bound: no baseline (nor the plan it plays) costs less, on any group.

Trained policies are checked against the same bound in ``tests/platform/training/test_learning.py``.
"""
import numpy as np
import pytest

from lwmecps.envs import EdgeClusterEnv, known_groups
from lwmecps.envs.baselines import (DEFAULT_TRAIN_GROUP, BestStaticPolicy, OracleBound, baseline_names, evaluate,
                                    evaluate_baselines, make_policy)
from lwmecps.envs.baselines.bound import (episode_box, pooled_step_minima, relaxed_costs, relaxed_step_minima,
                                          retry_box, station_floor)
from lwmecps.envs.baselines.planning import all_configs
from lwmecps.envs.simulator import P_PHI, P_W_REP

SEEDS = range(5)
SMALL = [g for g in known_groups() if EdgeClusterEnv(g).sim.n <= 8]
LARGE = [g for g in known_groups() if g not in SMALL]  # synthetic-16 and -64: test_large_clusters_*


@pytest.mark.parametrize("group", SMALL)
def test_oracle_is_below_every_baseline(group):
    """On every shipped group of up to 8 nodes and each of seeds 0..4, per episode."""
    env = EdgeClusterEnv(group)
    train = DEFAULT_TRAIN_GROUP if EdgeClusterEnv(DEFAULT_TRAIN_GROUP).sim.n == env.sim.n else env.sim.group
    policies = {n: make_policy(n, train_group=train) for n in baseline_names(int(env.sim.caps.max()))}
    policies["best-static"] = BestStaticPolicy().prepare(group, SEEDS[0], len(SEEDS))  # hindsight over the days
    for seed in SEEDS:
        r = {n: evaluate(p, env=env, seed=seed) for n, p in policies.items()}
        bound = r["oracle"]["cost"]
        for name, res in r.items():
            if name != "oracle":
                assert bound <= res["cost"] * (1 + 1e-9), (group, seed, name, bound, res["cost"])
        # the plan the bound plays is a real action sequence: executed, it cannot cost less either
        assert bound <= r["oracle"]["plan_cost"] * (1 + 1e-9)
        assert r["oracle"]["latency_ms"] is None  # a bound has no latency of its own


def test_bound_below_random_action_sequences():
    """Any action sequence at all, including ones no baseline would play (empty nodes, big swings)."""
    env = EdgeClusterEnv("profile-b")
    rng = np.random.default_rng(3)
    for seed in range(3):
        oracle = OracleBound()
        env.reset(seed=seed)
        oracle.reset(env)
        for level in (0.2, 0.5, 0.9):  # mostly-low, mixed and mostly-high replica counts
            env.reset(seed=seed)
            total = 0.0
            for _ in range(env.sim.steps_per_episode):
                act = np.where(rng.random(4) < level, rng.integers(2, 5, 4), rng.integers(0, 2, 4))
                total += env.step(act.astype(np.int64))[4]["cost"]
            assert oracle.bound <= total * (1 + 1e-9)


def test_retry_box_follows_the_simulator_cap():
    lam0 = np.full((4, 2), 100.0)
    prm = EdgeClusterEnv("profile-a").sim.prm
    rho = retry_box(lam0, np.array([4.0, 1.0]), prm)
    assert rho[0].tolist() == [0.0, 0.0]
    # cap: 60 s of a full node (4 x 30 req/s) over a 300 s interval = 24 req/s; 1 replica: 6 req/s
    assert rho[1].tolist() == [24.0, 6.0] and rho[3].tolist() == [24.0, 6.0]


def test_bound_is_tight_enough_to_mean_something():
    """The bound is below the executed clairvoyant plan, but not by much on the testbed profile."""
    r = evaluate_baselines("profile-a", seed=0, episodes=1, names=["oracle-plan", "oracle"])
    assert 0.9 * r["oracle-plan"]["cost"] <= r["oracle"]["cost"] <= r["oracle-plan"]["cost"]


@pytest.mark.parametrize("group", LARGE)
def test_large_clusters_bound_is_below_every_baseline(group):
    """16 and 64 nodes, seeds 0..4: the pooled bound under every baseline that runs in seconds there
    (best-static, hpa-tuned and causal-oracle on one seed: their searches take 5-80 s a day at 64 nodes)."""
    env = EdgeClusterEnv(group)
    cheap = ["random", *[f"static-{k}" for k in range(1, int(env.sim.caps.max()) + 1)], "hpa", "oracle-plan"]
    for seed in SEEDS:
        bound = evaluate(OracleBound(), env=env, seed=seed)["cost"]
        names = cheap + (["hpa-tuned", "best-static", "causal-oracle"] if seed == 0 and env.sim.n <= 16 else [])
        for name in names:
            policy = make_policy(name, train_group=env.sim.group)
            if name == "best-static":
                policy.prepare(group, seed, 1)
            cost = evaluate(policy, env=env, seed=seed)["cost"]
            assert bound <= cost * (1 + 1e-9), (group, seed, name, bound, cost)


def _episode_box(env, seed):
    env.reset(seed=seed)
    return (env.sim, *episode_box(env.sim))


@pytest.mark.parametrize("group", ["profile-b", "heldout-heavy-flat"])
def test_the_pooled_bound_relaxes_the_enumerated_one(group):
    """Step by step, the pooled bound (any size) is at most the enumerated step minima it stands in
    for, which are themselves a bound: so it is one too, only looser."""
    env = EdgeClusterEnv(group)
    for seed in range(3):
        sim, lam0, rho = _episode_box(env, seed)
        exact = relaxed_step_minima(lam0, rho, sim.caps.astype(np.float64), sim.prm)
        lo, hi = station_floor(sim.prm, sim.n)
        pooled = pooled_step_minima(lam0, rho, lo, hi, np.argsort(lo, kind="stable"), int(sim.caps.sum()), sim.prm)
        assert (pooled <= exact * (1 + 1e-9)).all()
        phi = sim.prm[P_PHI]
        ratio = (phi * pooled[:, 0] + pooled[:, 1]).sum() / (phi * exact[:, 0] + exact[:, 1]).sum()
        assert 0.4 < ratio <= 1.0  # looser (no queueing delay), not vacuous


@pytest.mark.parametrize("group, steps", [("profile-b", None), ("synthetic-8", [0, 1, 70, 140, 200, 287])])
def test_the_step_minima_skip_nothing_that_counts(group, steps):
    """The pattern bounds skip configurations, never a minimum: the same two minima as evaluating
    every configuration (all steps on 4 nodes; steps across the day on 8 nodes, 5^8 configurations)."""
    env = EdgeClusterEnv(group)
    for seed in range(2):
        sim, lam0, rho = _episode_box(env, seed)
        rows = np.arange(sim.steps_per_episode) if steps is None else np.array(steps)
        configs = all_configs(sim.caps)
        every = relaxed_costs(lam0[rows], rho[rows], configs, sim.prm)
        phi, w_rep = sim.prm[P_PHI], sim.prm[P_W_REP]
        expected = np.stack([every.min(axis=1), ((1 - phi) * every + w_rep * configs.sum(axis=1)).min(axis=1)], 1)
        found = relaxed_step_minima(lam0, rho, sim.caps.astype(np.float64), sim.prm)[rows]
        np.testing.assert_allclose(found, expected, rtol=1e-12)
