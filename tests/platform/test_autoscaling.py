"""The autoscaler's parts without Ray: guardrails, the simulated twin with its HPA twin, one decision."""
import numpy as np
import pytest

from lwmecps.platform.autoscaling.guardrails import Guardrails
from lwmecps.platform.autoscaling.loop import DecisionLoop
from lwmecps.platform.autoscaling.twin import SimulatedTarget


def test_guardrails_clip_per_node_and_say_so():
    g = Guardrails(min_replicas=1, max_replicas=3, max_change_per_step=1)
    applied, clipped = g.bound([0, 4, 2, 3], current=[2, 2, 2, 0], caps=[4, 4, 4, 4])
    assert applied.tolist() == [1, 3, 2, 1] and clipped  # floor, ceiling, unchanged, at most +1
    applied, clipped = g.bound([2, 3, 2, 1], current=[2, 2, 2, 1], caps=[4, 4, 4, 4])
    assert applied.tolist() == [2, 3, 2, 1] and not clipped
    assert Guardrails().bound([9], [0], [4])[0].tolist() == [4]  # never above the node's capacity
    with pytest.raises(ValueError, match="max_replicas"):
        Guardrails(min_replicas=3, max_replicas=2)
    with pytest.raises(ValueError, match="slo_success_rate"):
        Guardrails(slo_success_rate=1.5)
    with pytest.raises(ValueError, match="max_replicas has 3 values; the cluster has 4 nodes"):
        Guardrails.from_body({"max_replicas": [1, 2, 3]}, 4)
    g = Guardrails.from_body({"min_replicas": [0, 1, 0, 0], "max_replicas": 2, "slo": {"p95_latency_ms": 500}}, 4)
    assert g.bound([3, 0, 1, 2], [0, 0, 0, 0], [4, 4, 4, 4])[0].tolist() == [2, 1, 1, 2]
    assert Guardrails.from_body(g.as_dict(), 4) == g  # stored as the API's shape, read back the same


def test_slo_breach_is_read_from_an_intervals_outcome():
    g = Guardrails(slo_success_rate=0.99, slo_p95_ms=200)
    assert not g.breached(None) and not g.breached({"success_rate": 0.995, "p95_latency_ms": 150})
    assert g.breached({"success_rate": 0.9, "p95_latency_ms": 150})
    assert g.breached({"success_rate": 0.995, "p95_latency_ms": 250})
    assert not Guardrails().breached({"success_rate": 0.0, "p95_latency_ms": 1e9})  # no SLO set


def test_shadow_mode_runs_hpa_so_the_cluster_costs_what_the_hpa_twin_does():
    """The twin is the exact counterfactual: same users, same noise. In shadow mode both run HPA, so
    every interval's cost is equal, while the records still show what the policy would have done."""
    loop = DecisionLoop(SimulatedTarget("profile-a", seed=4), lambda obs: [4, 4, 4, 4], Guardrails(), "shadow")
    records = [loop.step() for _ in range(40)]
    assert all(r["applied_by"] == "hpa" and r["applied_replicas"] == r["hpa_replicas"] for r in records)
    assert all(r["policy_replicas"] == [4, 4, 4, 4] and r["source"] == "policy" for r in records)
    assert [r["cost"] for r in records] == [r["hpa_outcome"]["cost"] for r in records]
    assert len({tuple(r["applied_replicas"]) for r in records}) > 1  # HPA follows the load


def test_active_mode_applies_the_policy_within_its_guardrails_and_falls_back_on_a_breach():
    g = Guardrails.from_body({"max_replicas": [3, 3, 1, 3], "slo": {"success_rate": 0.95}}, 4)
    starve = DecisionLoop(SimulatedTarget("profile-a", seed=4), lambda obs: [0, 0, 0, 0], g, "active")
    first, second = starve.step(), starve.step()
    assert first["source"] == "policy" and first["applied_replicas"] == [0, 0, 0, 0] and first["slo_breach"]
    assert second["source"] == "fallback" and second["applied_by"] == "hpa"  # HPA took over ...
    # ... within the per-node bounds, which hold in every applied decision
    assert second["applied_replicas"] == np.minimum(second["hpa_replicas"], [3, 3, 1, 3]).tolist()
    rest = [starve.step() for _ in range(30)]
    assert all(r["applied_replicas"][2] <= 1 and max(r["applied_replicas"]) <= 3 for r in [second, *rest])
    assert any(r["source"] == "fallback" and r["hpa_replicas"][2] > 1 for r in [second, *rest])  # it clipped HPA
    generous = DecisionLoop(SimulatedTarget("profile-a", seed=4), lambda obs: [4, 4, 4, 4], g, "active")
    r = generous.step()
    assert r["source"] == "guardrail" and r["applied_replicas"] == [3, 3, 1, 3]
    assert r["outcome"]["replicas"] == [3, 3, 1, 3]
    # the cluster ran 3 everywhere, the twin ran HPA on the same users: costs differ, users agree
    assert r["outcome"]["users"] == r["hpa_outcome"]["users"]


def test_days_follow_each_other_from_midnight():
    target = SimulatedTarget("profile-a", seed=7)
    assert target.cluster.sim.clock[0, 1] == 0  # midnight
    for _ in range(target.steps_per_day):
        target.apply(target.current())
    assert target.day == 1 and target.cluster.sim.clock[0, 1] == 0
    resumed = SimulatedTarget("profile-a", seed=7)
    resumed.continue_after(target.steps_per_day)  # a restart after one whole day of decisions
    assert resumed.day == 1 and np.array_equal(resumed.observation(), target.observation())
