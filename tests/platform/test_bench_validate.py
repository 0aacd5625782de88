"""``lwmecps bench validate``: where defaults are chosen (the validation suite), its ratios and its errors."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lwmecps.platform.bench.validation import summarise

LWMECPS = str(Path(sys.executable).parent / "lwmecps")


def test_summary_is_the_group_mean_of_seed_mean_ratios():
    base = {"g1": {"causal-oracle": 2.0, "best-static": 2.5, "hpa-tuned": 4.0},
            "g2": {"causal-oracle": 1.0, "best-static": 1.0, "hpa-tuned": 2.0}}
    runs = [{"g1": 2.0, "g2": 1.5}, {"g1": 3.0, "g2": 0.5}]  # two seeds
    out = summarise(runs, base)
    assert out["vs_causal_oracle_per_group"] == {"g1": 1.25, "g2": 1.0}
    assert out["vs_causal_oracle"] == pytest.approx(1.125) and out["vs_causal_oracle_worst"] == 1.25
    assert out["vs_best_static"] == pytest.approx((1.0 + 1.0) / 2)
    assert out["vs_hpa_tuned"] == pytest.approx((2.5 / 4.0 + 0.5) / 2)


@pytest.mark.parametrize("args, message", [
    (["--params", "{nope"], "is not JSON"),
    (["--params", "[1]"], "must be a JSON object"),
    (["--params", '{"tod_bins": 0}'], "'tod_bins'=0 is outside"),
    (["--params", '{"n_step": 3}'], "unknown parameter"),
])
def test_bad_parameter_sets_are_refused_before_any_training(args, message):
    out = subprocess.run([LWMECPS, "bench", "validate", "--type", "q_learning", *args], capture_output=True,
                         text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in " ".join(out.stderr.split())


def test_bench_train_help_states_the_budgets_the_benchmark_uses():
    from lwmecps.platform.bench.train_quality import DEFAULT_BUDGET_S

    out = subprocess.run([LWMECPS, "bench", "train", "--help"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COLUMNS": "200"})
    text = " ".join(out.stdout.split())
    for model_type, seconds in DEFAULT_BUDGET_S.items():
        assert f"{model_type} {seconds:g}" in text, (model_type, seconds)
