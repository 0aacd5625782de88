"""``lwmecps env`` and ``lwmecps bench env``: run as a user would, through the installed script."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LWMECPS = str(Path(sys.executable).parent / "lwmecps")


def run(*args, timeout=600):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([LWMECPS, *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_env_check_passes_for_every_group():
    out = run("env", "check")
    assert out.returncode == 0, out.stderr
    for group in ("profile-a", "profile-b", "synthetic-8"):
        assert f"ok   {group}" in out.stderr


def test_env_baselines_json():
    out = run("env", "baselines", "--group", "profile-b", "--episodes", "1", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert list(result) == ["random", "static-1", "static-2", "static-3", "static-4", "static-trained", "best-static",
                            "hpa", "hpa-tuned", "causal-oracle", "oracle-plan", "oracle"]
    for fields in result.values():
        assert {"cost", "latency_ms", "p95_latency_ms", "success_rate", "replicas", "reward"} <= set(fields)
    # the oracle is a bound: below every policy, and it has no latency of its own
    assert all(result["oracle"]["cost"] <= r["cost"] for r in result.values())
    assert result["oracle"]["latency_ms"] is None and result["oracle"]["plan_cost"] >= result["oracle"]["cost"]
    assert result["best-static"]["cost"] <= min(result[f"static-{k}"]["cost"] for k in range(1, 5))


def test_env_baselines_table_and_bad_group():
    out = run("env", "baselines", "--group", "nope")
    assert out.returncode == 2
    assert "unknown workload group 'nope'; known groups: heldout-early-morning" in out.stderr
    assert run("env", "baselines", "--episodes", "0").returncode == 2


@pytest.mark.timeout(300)
def test_bench_env_json_shape():
    out = run("bench", "env", "--steps", "2000", "--batch-steps", "100", "--repeats", "1", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("single_vs_cartpole", "batched_256_vs_single", "single_steps_per_s", "cartpole_steps_per_s",
                "node_steps_per_s_4", "node_steps_per_s_16", "node_steps_per_s_64"):
        assert result[key] > 0


def test_env_generate_writes_a_group_the_other_commands_take(tmp_path):
    path = tmp_path / "c6.yaml"
    out = run("env", "generate", "--nodes", "6", "--seed", "2", "--out", str(path), "--name", "c6")
    assert out.returncode == 0, out.stderr
    from lwmecps.envs import load_group_file

    group = load_group_file(path)
    assert group.name == "c6" and group.n_nodes == 6 and group.spec.latency_ms is not None
    out = run("env", "baselines", "--group-file", str(path), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["oracle"]["cost"] <= result["hpa"]["cost"]
    bad = run("env", "generate", "--nodes", "65", "--out", str(path))
    assert bad.returncode == 2 and "--nodes" in bad.stderr and "64" in bad.stderr


def test_env_baselines_on_a_csv_trace(tmp_path):
    """``--group-file``: a 5-station measured day plans like a shipped group; a bad file exits 2 naming
    the line and column."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "envs"))
    from test_traces import day_csv

    good = tmp_path / "five.csv"
    good.write_text(day_csv())
    out = run("env", "baselines", "--group-file", str(good), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["oracle"]["cost"] <= result["causal-oracle"]["cost"] < result["hpa"]["cost"]
    assert all(result["oracle"]["cost"] <= r["cost"] for r in result.values())
    bad = tmp_path / "bad.csv"
    bad.write_text(day_csv().replace("\n1700000600,", "\n1700000600,x", 1))
    out = run("env", "baselines", "--group-file", str(bad))
    flat = " ".join(out.stderr.replace("│", " ").split())
    assert out.returncode == 2 and "line 4, column 'bs1'" in flat and "is not a number" in flat, out.stderr
