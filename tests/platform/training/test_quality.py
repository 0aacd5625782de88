"""A model's stored quality: ``accuracy = min(1, causal-oracle cost / cost)`` and cost ratios to the
baselines, all on the same evaluation days of the model's group."""
import pytest

from lwmecps.envs.baselines import make_policy
from lwmecps.platform.training.quality import BASELINES, EVAL_EPISODES, EVAL_SEED, accuracy, model_quality

GROUP = "profile-a"


def test_accuracy_is_the_causal_oracle_cost_ratio_capped_at_one():
    assert accuracy(2.0, 2.0) == 1.0
    assert accuracy(4.0, 2.0) == 0.5  # twice the causal oracle's cost
    assert accuracy(1.5, 2.0) == 1.0  # cheaper than the causal plan: capped
    assert accuracy(0.0, 2.0) == 1.0


@pytest.fixture(scope="module")
def quality():
    """Quality of a few baselines, judged as models (trained on ``GROUP``)."""
    out = {name: model_quality(make_policy(name, train_group=GROUP), GROUP)
           for name in ("causal-oracle", "static-1", "oracle-plan", "hpa-tuned")}
    out["best-static"] = model_quality(make_policy("best-static").prepare(GROUP, EVAL_SEED, EVAL_EPISODES), GROUP)
    return out


@pytest.mark.slow
def test_causal_oracle_itself_scores_one_and_a_terrible_policy_low(quality):
    assert set(BASELINES) == {"causal-oracle", "best-static", "hpa-tuned", "oracle"}
    fields = {"accuracy", "latency", "cost", "success_rate", "vs_best_static", "vs_hpa_tuned", "vs_oracle"}
    assert all(set(q) == fields for q in quality.values())
    assert quality["causal-oracle"]["accuracy"] == 1.0  # the same policy on the same days
    bad = quality["static-1"]  # one replica per node all day: overloaded at every peak
    assert bad["accuracy"] < 0.5 and bad["vs_best_static"] > 1 and bad["vs_hpa_tuned"] > 1
    assert bad["accuracy"] == pytest.approx(quality["causal-oracle"]["cost"] / bad["cost"], rel=1e-12)
    assert all(q["vs_oracle"] >= 1 for q in quality.values())  # the oracle is a lower bound
    assert all(0 < q["latency"] < 5 and 0 <= q["success_rate"] <= 1 for q in quality.values())


@pytest.mark.slow
def test_beating_the_causal_oracle_caps_at_one_and_baselines_meet_the_same_days(quality):
    plan = quality["oracle-plan"]  # clairvoyant: sees the realised demand, beats the causal plan here
    assert plan["cost"] < quality["causal-oracle"]["cost"] and plan["accuracy"] == 1.0
    assert quality["hpa-tuned"]["vs_hpa_tuned"] == 1.0  # the baseline is the very policy tuned on GROUP
    assert quality["best-static"]["vs_best_static"] == 1.0  # searched on the evaluation days themselves
