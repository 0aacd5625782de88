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


def test_params_id_names_a_parameter_set_the_same_in_every_process():
    from lwmecps.platform.bench.train_quality import params_id

    assert params_id({"a": 1, "b": 0.5}) == params_id({"b": 0.5, "a": 1}) != params_id({"a": 1})
    assert params_id(None) == params_id({})
    # a Ray worker is another process, with another salt for str hashes: the name must not depend on it
    code = "from lwmecps.platform.bench.train_quality import params_id; print(params_id({'a': 1, 'b': 0.5}))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert other.stdout.strip() == params_id({"a": 1, "b": 0.5}), other.stderr


def test_a_benchmark_run_keeps_the_checkpoint_it_evaluated(ray_local, tmp_path):
    """``train_one``'s kept checkpoint is named by its set, records its parameters and guard, and acts as the
    policy whose costs the run reported (what `lwmecps eval --model` then reads)."""
    import json

    from lwmecps.platform.algorithms.inference import load_policy
    from lwmecps.platform.bench import suites
    from lwmecps.platform.bench.train_quality import params_id, train_one

    params = {"learning_rate": 0.05}
    r = train_one("q_learning", 1, budget_s=3.0, eval_every_s=1.0, workdir=str(tmp_path),
                  selection_base={"validation-two-hot": 2.0}, eval_groups=["profile-a"], days=1, params=params)
    path = Path(r["checkpoint"])
    assert path.parent == tmp_path and path.name == f"q_learning-profile-a-1-{params_id(params)}"
    meta = json.loads((path / "lwmecps.json").read_text())
    assert meta["params"] == params and meta["guard"] == r["guard"] and meta["seed"] == 1
    policy, _ = load_policy(path)
    assert suites.policy_costs(policy, ["profile-a"], 1) == pytest.approx(r["costs"])
