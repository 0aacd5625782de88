"""Baselines: the HPA rule, calibration of the model, and the ordering of the policies."""
import numpy as np
import pytest

from lwmecps.envs import EdgeClusterEnv
from lwmecps.envs.baselines import (EVAL_FIELDS, HPAPolicy, OraclePolicy, baseline_names, evaluate,
                                    evaluate_baselines, hour_of_day, make_policy)
from lwmecps.envs.baselines.planning import CausalOraclePolicy


def hpa_step(policy, env, replicas, util):
    env.sim.state[0, :4] = replicas
    env.sim.node_out[0, :, 0] = util
    return policy.act(None, env)


def test_hpa_rule_tolerance_and_stabilisation():
    env = EdgeClusterEnv("profile-a")
    env.reset(seed=0)
    hpa = HPAPolicy()
    hpa.reset(env)
    # desired = ceil(current * util / 0.8); within 10 % of the target nothing moves
    assert hpa_step(hpa, env, [2, 2, 2, 1], [1.2, 0.85, 0.75, 2.0]).tolist() == [3, 2, 2, 3]
    # scale-down waits: the highest recommendation of the last 300 s (the previous one) holds
    assert hpa_step(hpa, env, [3, 2, 2, 3], [0.3, 0.3, 0.3, 0.3]).tolist() == [3, 2, 2, 3]
    assert hpa_step(hpa, env, [3, 2, 2, 3], [0.3, 0.3, 0.3, 0.3]).tolist() == [2, 1, 1, 2]
    # bounds: never below 1, never above the node's capacity
    assert hpa_step(hpa, env, [4, 4, 4, 4], [3.0, 3.0, 3.0, 3.0]).tolist() == [4, 4, 4, 4]


def test_make_policy_errors():
    with pytest.raises(ValueError, match="unknown baseline 'nope'"):
        make_policy("nope")
    with pytest.raises(ValueError, match="positive integer"):
        evaluate(make_policy("static-1"), episodes=0)


def test_calibration_peak_and_trough():
    """On profile-a the oracle runs 3-4 replicas on the busiest node at the daily peak, 1 at the trough."""
    env = EdgeClusterEnv("profile-a", params={"random_start": False})
    oracle = OraclePolicy()
    hours = np.arange(288) * 300 / 3600
    peak, trough = (hours >= 20.5) & (hours < 21.5), (hours >= 5.5) & (hours < 6.5)
    peak_counts, trough_counts = np.zeros(5), np.zeros((4, 5))
    for seed in range(3):
        env.reset(seed=seed)
        oracle.reset(env)
        busiest = env.sim.episode_mean_users().mean(axis=0).argmax()
        peak_counts += np.bincount(oracle._plan[peak, busiest].astype(int), minlength=5)
        for j in range(4):
            trough_counts[j] += np.bincount(oracle._plan[trough, j].astype(int), minlength=5)
    assert peak_counts[3] + peak_counts[4] == peak_counts.sum()
    assert (trough_counts.argmax(axis=1) == 1).all()


@pytest.mark.parametrize("group", ["profile-a", "profile-b"])
def test_ordering_of_baselines(group):
    r = evaluate_baselines(group, seed=0, episodes=2)
    assert set(r) == set(baseline_names(4))
    for res in r.values():
        assert set(EVAL_FIELDS) <= set(res)
    cost = {k: v["cost"] for k, v in r.items()}
    assert cost["oracle"] <= cost["oracle-plan"] <= cost["causal-oracle"] < cost["hpa"] < cost["random"]
    for k in range(1, 5):
        assert cost["causal-oracle"] < cost[f"static-{k}"]
    # the searched baselines: best-static is the best fixed vector in hindsight, so no static-k beats
    # it; tuning HPA on profile-a's history beats Kubernetes' defaults
    assert cost["best-static"] <= min(cost[f"static-{k}"] for k in range(1, 5))
    assert cost["best-static"] <= cost["static-trained"]
    assert cost["hpa-tuned"] < cost["hpa"]


def test_planners_on_a_large_cluster_plan_per_node():
    env = EdgeClusterEnv("synthetic-8", params={"episode_hours": 4})
    results = {n: evaluate(p, env=env, seed=0) for n, p in
               [("oracle", OraclePolicy()), ("causal-oracle", CausalOraclePolicy(samples=256)),
                ("static-4", make_policy("static-4")), ("hpa", make_policy("hpa"))]}
    assert results["oracle"]["cost"] <= results["causal-oracle"]["cost"] < results["static-4"]["cost"]
    assert results["causal-oracle"]["cost"] < results["hpa"]["cost"]


def test_causal_oracle_needs_samples():
    with pytest.raises(ValueError, match="samples >= 1"):
        CausalOraclePolicy(samples=0)


def test_causal_oracle_plans_a_group_from_a_file_by_its_content(tmp_path):
    """The planner's day table is keyed by the workload's content, not its name: a group that is not
    in the package plans (it raised UnknownGroupError), and a file that reuses a shipped name with
    other traffic is not given the shipped group's plan."""
    import yaml

    from lwmecps.envs import load_group_file
    from lwmecps.envs.groups import groups_dir

    spec = yaml.safe_load((groups_dir() / "profile-a.yaml").read_text())
    renamed = tmp_path / "mine.yaml"
    renamed.write_text(yaml.safe_dump({**spec, "name": "my-cluster"}))
    busier = tmp_path / "busier.yaml"
    busier.write_text(yaml.safe_dump({**spec, "aggregate": {**spec["aggregate"], "mean": spec["aggregate"]["mean"] * 1.5}}))

    def cost(group):
        env = EdgeClusterEnv(group, params={"episode_hours": 4})
        return evaluate(CausalOraclePolicy(samples=64), env=env, seed=0)["cost"]

    shipped = cost("profile-a")
    assert cost(load_group_file(renamed)) == pytest.approx(shipped, rel=1e-12)
    assert cost(load_group_file(busier)) > shipped * 1.05  # its own, heavier day


def test_by_hour_splits_one_evaluation_by_the_time_of_day():
    """``evaluate(..., by_hour=2)``: 12 blocks of 24 steps that add up to the whole run, on the group's clock."""
    static = evaluate(make_policy("static-2"), "profile-a", seed=0, episodes=1, by_hour=2)
    blocks = static["by_hour"]
    assert [b["hour"] for b in blocks] == [2.0 * k for k in range(12)] and {b["steps"] for b in blocks} == {24}
    assert np.isclose(np.mean([b["cost"] for b in blocks]), static["cost"])
    assert {b["replicas"] for b in blocks} == {8.0}
    users = {b["hour"]: b["users"] for b in blocks}
    assert users[4.0] < 0.5 * users[20.0]  # profile-a: ~25 users at 04-06 h, ~99 at 20-22 h
    # the same workload for every policy, the bound has no per-step cost to split
    hpa = evaluate(make_policy("hpa"), "profile-a", seed=0, episodes=1, by_hour=2)
    assert [b["users"] for b in hpa["by_hour"]] == [b["users"] for b in blocks]
    assert evaluate(make_policy("oracle"), "profile-a", seed=0, episodes=1, by_hour=2)["by_hour"] is None
    with pytest.raises(ValueError, match="by_hour must be a block length in hours"):
        evaluate(make_policy("static-2"), "profile-a", by_hour=0)


def test_by_node_shows_where_a_policy_spends_replicas():
    """``evaluate(..., by_node=True)``: per node the mean replicas (adding up to the run's total), the share
    of steps at 0 and of steps that changed the count."""
    static = evaluate(make_policy("static-2"), "profile-a", seed=0, episodes=1, by_node=True)
    assert [nd["node"] for nd in static["by_node"]] == ["bs1", "bs2", "bs3", "bs4"]
    # a fixed count: 2 everywhere, never empty, one change per node (the initial 1 replica -> 2) in 288 steps
    assert all(nd["replicas"] == 2.0 and nd["empty"] == 0.0 for nd in static["by_node"])
    assert all(nd["changes"] == pytest.approx(1 / 288) for nd in static["by_node"])
    hpa = evaluate(make_policy("hpa-tuned"), "profile-a", seed=0, episodes=1, by_node=True)
    assert sum(nd["replicas"] for nd in hpa["by_node"]) == pytest.approx(hpa["replicas"])
    assert all(nd["changes"] > 0.01 for nd in hpa["by_node"])  # it follows the day
    # the causal plan consolidates a quiet day onto fewer nodes (the failover ring serves an empty node's users)
    quiet = evaluate(make_policy("causal-oracle"), "validation-quiet-nights", seed=0, episodes=1, by_node=True)
    assert max(nd["empty"] for nd in quiet["by_node"]) > 0.2
    assert evaluate(make_policy("oracle"), "profile-a", seed=0, episodes=1, by_node=True)["by_node"] is None


def test_hour_of_day_reads_the_observations_clock():
    env = EdgeClusterEnv("profile-a", params={"random_start": False})
    obs, _ = env.reset(seed=0)
    hours = [hour_of_day(obs)]
    for _ in range(36):
        obs = env.step(np.full(4, 2))[0]
        hours.append(hour_of_day(obs))
    assert hours[0] == 0.0 and hours[24] == 2.0 and hours[36] == 3.0  # 5-minute steps, exact at block edges
