"""``lwmecps train`` then ``lwmecps eval`` as a user runs them; the checkpoint restores to the same policy."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

LWMECPS = str(Path(sys.executable).parent / "lwmecps")


def run(*args, cwd, timeout=600):
    return subprocess.run([LWMECPS, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())  # rich wraps a message in a box


def write_topology(tmp_path, seed=0):
    """A measured day of 5 stations (CSV), its nodes (two smaller ones) and a latency matrix."""
    rng = np.random.default_rng(seed)
    lines = ["timestamp," + ",".join(STATIONS)]
    for k in range(96):  # 15-minute rows
        level = 11 + 8 * np.sin(2 * np.pi * (k / 96 - 0.3))
        lines.append(f"{1_700_000_000 + 900 * k}," + ",".join(f"{level * w + rng.uniform(0, 2):.2f}" for w in (1.4, 1.0, 0.5, 1.2, 0.3)))
    trace = tmp_path / f"day-{seed}.csv"
    trace.write_text("\n".join(lines) + "\n")
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text("\n".join(f"- {{name: {s}, cpu: {c}, memory_mib: 16384}}" for s, c in zip(STATIONS, (8, 8, 4, 8, 2))))
    latency = tmp_path / "latency.csv"
    latency.write_text("\n".join(",".join(str(0 if j == k else 3 + 10 * abs(j - k)) for k in range(5)) for j in range(5)))
    return trace, nodes, latency


STATIONS = ["bs1", "bs2", "bs3", "bs4", "bs5"]


@pytest.mark.timeout(900)
def test_train_then_eval(tmp_path):
    """On a cluster of the user's own (a CSV trace, its nodes and latency matrix), as an operator would."""
    trace, nodes, latency = write_topology(tmp_path)
    out = run("train", "--model-type", "ppo", "--group-file", str(trace), "--nodes-file", str(nodes),
              "--latency-file", str(latency), "--episodes", "16", "--json",
              "-p", "learning_rate=0.0005", "--param", "load_level_max=1.2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    trained = json.loads(out.stdout.strip().splitlines()[-1])
    checkpoint = Path(trained["checkpoint"])
    assert checkpoint.is_dir() and checkpoint.is_relative_to(tmp_path / "artifacts" / "local")
    meta = json.loads((checkpoint / "lwmecps.json").read_text())
    assert meta["model_type"] == "ppo" and set(meta["versions"]) == {"ray", "torch", "gymnasium", "python"}
    assert meta["group_id"] == "day-0" and meta["max_replicas"] == [4, 4, 2, 4, 1]
    assert trained["parameters"] == {"learning_rate": 0.0005, "load_level_max": 1.2}
    assert 0 < trained["accuracy"] <= 1 and trained["latency"] > 0
    assert trained["vs_best_static"] > 0 and trained["vs_hpa_tuned"] > 0 and trained["vs_oracle"] >= 1

    other, _, _ = write_topology(tmp_path, seed=1)  # another day of the same cluster (the ring's latencies)
    ev = run("eval", "--model", str(checkpoint), "--group-file", str(other), "--nodes-file", str(nodes), "--json",
             "--by-hour", "--block-hours", "6", "--by-node", cwd=tmp_path)
    assert ev.returncode == 0, ev.stderr[-3000:]
    table = json.loads(ev.stdout.strip().splitlines()[-1])
    assert {"model", "oracle", "hpa", "causal-oracle", "random", "best-static", "hpa-tuned"} <= set(table)
    assert table["oracle"]["vs_oracle"] == 1.0 and table["hpa"]["vs_hpa"] == 1.0
    assert table["best-static"]["vs_best_static"] == 1.0 and table["model"]["vs_oracle"] >= 1.0
    assert table["model"]["cost"] < table["random"]["cost"]
    blocks = table["model"]["by_hour"]  # four 6-hour blocks of the day, adding up to the whole run
    assert [b["hour"] for b in blocks] == [0, 6, 12, 18] and sum(b["steps"] for b in blocks) == table["model"]["steps"]
    assert np.isclose(sum(b["cost"] * b["steps"] for b in blocks) / table["model"]["steps"], table["model"]["cost"])
    assert [b["users"] for b in table["hpa-tuned"]["by_hour"]] == [b["users"] for b in blocks]
    per_node = table["model"]["by_node"]  # the 5-node topology, in its order, adding up to the run's replicas
    assert [nd["node"] for nd in per_node] == list(STATIONS)
    assert np.isclose(sum(nd["replicas"] for nd in per_node), table["model"]["replicas"])
    assert table["oracle"]["by_node"] is None and all(0 <= nd["empty"] <= 1 for nd in table["best-static"]["by_node"])
    bad = run("eval", "--model", str(checkpoint), "--group", "profile-a", cwd=tmp_path, timeout=120)
    flat = _flat(bad.stderr)
    assert bad.returncode == 2 and "(5 nodes, max replicas [4, 4, 2, 4, 1]) and cannot act on 'profile-a' (4" in flat, \
        bad.stderr

    # the restored inference module acts exactly like the trained one did at evaluation
    from lwmecps.envs import EdgeClusterEnv
    from lwmecps.platform.algorithms.inference import load_policy

    p1, _ = load_policy(checkpoint)
    p2, _ = load_policy(checkpoint)
    from lwmecps.envs import load_trace_csv

    env = EdgeClusterEnv(load_trace_csv(trace, nodes=[{"name": s, "cpu": c, "memory_mib": 16384}
                                                      for s, c in zip(STATIONS, (8, 8, 4, 8, 2))]))
    obs, _ = env.reset(seed=3)
    for _ in range(50):
        a = p1.act(obs, env)
        assert np.array_equal(a, p2.act(obs, env)) and env.action_space.contains(a)
        obs = env.step(a)[0]


def test_train_and_eval_bad_input(tmp_path):
    """Each refused with exit code 2 and a message naming the problem; the commands run side by side
    (each is a process that imports the platform first: ~5 s, nearly all of it waiting on imports)."""
    trace, nodes, _ = write_topology(tmp_path)
    fake = tmp_path / "four-node-model"  # what a checkpoint says about itself is checked before it loads
    fake.mkdir()
    (fake / "lwmecps.json").write_text(json.dumps({"model_type": "ppo", "group_id": "profile-a"}))
    # checked in stderr as written; BOXED ones in a rich error box, whose wrapping _flat undoes
    cases = {
        ("train", "--model-type", "alphazero", "--episodes", "1"): ("unsupported model_type 'alphazero'",),
        ("train", "--model-type", "ppo", "--group", "nowhere"): ("unknown workload group 'nowhere'",),
        ("train", "--model-type", "ppo", "-p", "warp=9"): ("unknown parameter(s) 'warp'",),
        ("train", "--model-type", "ppo", "-p", "learning_rate"): ("--param needs KEY=VALUE",),
        ("eval", "--model", str(tmp_path)): ("not a checkpoint written by lwmecps",),
    }
    boxed = {
        ("train", "--model-type", "ppo", "--group-file", str(trace), "--latency-file", str(nodes)):
            ("--latency-file", "a list of rows of numbers"),
        ("train", "--model-type", "ppo", "--nodes-file", str(nodes)): ("go with a CSV --group-file",),
        ("eval", "--model", str(fake), "--group", "synthetic-8"): ("cannot act on 'synthetic-8' (8 nodes",),
        ("eval", "--model", str(fake), "--by-hour", "--block-hours", "0"):
            ("--block-hours", "greater than or equal to 0.25"),
    }
    expected = {**cases, **boxed}
    procs = {args: subprocess.Popen([LWMECPS, *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env={**os.environ, "COLUMNS": "200"}) for args in expected}
    for args, proc in procs.items():
        _, err = proc.communicate(timeout=240)
        text = _flat(err) if args in boxed else err
        assert proc.returncode == 2 and all(e in text for e in expected[args]), (args, err)
