"""/api/v1/groups in-process over a real store: users' own groups (a CSV trace with its topology, or
the group schema as JSON) are stored, listed, used by tasks and reconciliation, and deleted; every bad
upload is a 4xx naming the problem, and stores nothing."""
import json

import numpy as np
import pytest

from .conftest import add_trained_model

STATIONS = ["bs1", "bs2", "bs3", "bs4", "bs5"]
NODES = [{"name": s, "cpu": c, "memory_mib": 16384} for s, c in zip(STATIONS, (8, 8, 4, 8, 2))]
LATENCY = [[0 if j == k else 4 + 9 * abs(j - k) for k in range(5)] for j in range(5)]


def day_csv(slot_s=300, stations=STATIONS, rows=None, seed=0):
    n = int(86400 // slot_s) if rows is None else rows
    rng = np.random.default_rng(seed)
    lines = [",".join(["timestamp", *stations])]
    for k in range(n):
        load = 12 + 9 * np.sin(2 * np.pi * k / n) + rng.uniform(0, 3, len(stations))
        lines.append(",".join([str(1_700_000_000 + k * slot_s), *(f"{v:.2f}" for v in load)]))
    return "\n".join(lines) + "\n"


def upload(api, name="edge5", text=None, headers=None, **fields):
    form = {"name": name, "nodes": json.dumps(NODES), "latency_ms": json.dumps(LATENCY), **fields}
    form = {k: v for k, v in form.items() if v is not None}
    data = (text if text is not None else day_csv()).encode() if not isinstance(text, bytes) else text
    return api.post("/api/v1/groups", data=form, files={"trace": ("trace.csv", data, "text/csv")},
                    headers=headers if headers is not None else api.admin)


def stored(api):
    db = api.services.store.db
    return db.groups.count_documents({}), db.group_chunks.count_documents({})


def test_a_csv_trace_with_its_topology_is_stored_listed_and_deleted(api):
    r = upload(api)
    assert r.status_code == 201, r.text
    body = r.json()
    assert {k: body[k] for k in ("group_id", "nodes", "slots", "slot_s", "source", "shipped")} == {
        "group_id": "edge5", "nodes": 5, "slots": 288, "slot_s": 300.0, "source": "trace", "shipped": False}
    assert body["node_cpus"] == [8, 8, 4, 8, 2] and body["latency_matrix"] and body["created_at"].endswith("Z")
    one = api.get("/api/v1/groups/edge5", headers=api.read).json()
    assert one["node_names"] == STATIONS and "trace" not in one and "users" not in json.dumps(one)
    listed = {g["group_id"]: g for g in api.get("/api/v1/groups", headers=api.read).json()["groups"]}
    assert listed["edge5"]["source"] == "trace" and listed["profile-a"]["shipped"] and listed["profile-a"]["nodes"] == 4
    # the stored group is the uploaded one: the platform's loader gives back the CSV's numbers
    from lwmecps.platform.services.groups import resolve_group

    group = resolve_group(api.services.store, "edge5")
    rows = np.array([[float(v) for v in line.split(",")[1:]] for line in day_csv().splitlines()[1:]])
    assert np.allclose(group.interval_means(300), rows) and group.spec.latency_ms == LATENCY

    assert upload(api).status_code == 409  # the name is taken
    assert api.delete("/api/v1/groups/edge5", headers=api.read).status_code == 403
    assert api.delete("/api/v1/groups/edge5", headers=api.admin).status_code == 204
    assert api.get("/api/v1/groups/edge5", headers=api.read).status_code == 404
    assert stored(api) == (0, 0)


def test_a_week_long_trace_is_one_group_of_seven_days(api):
    r = upload(api, "week", text=day_csv(900, rows=7 * 96))
    assert r.status_code == 201, r.text
    assert (r.json()["days"], r.json()["slots"]) == (7, 672)
    assert api.get("/api/v1/groups/week", headers=api.read).json()["days"] == 7
    assert api.get("/api/v1/groups/profile-a", headers=api.read).json()["days"] == 1
    assert upload(api, "eight", text=day_csv(900, rows=8 * 96)).status_code == 422
    assert api.delete("/api/v1/groups/week", headers=api.admin).status_code == 204


def test_the_group_schema_as_json(api):
    users = [[3.0, 1.0]] * 24
    nodes = [{"name": "a", "cpu": 8, "memory_mib": 16384}, {"name": "b", "cpu": 4, "memory_mib": 8192}]
    r = api.post("/api/v1/groups", json={"name": "two", "nodes": nodes, "trace": {"slot_s": 3600, "users": users}},
                 headers=api.admin)
    assert r.status_code == 201 and r.json()["source"] == "trace" and r.json()["nodes"] == 2, r.text
    synthetic = {"name": "syn", "nodes": nodes, "aggregate": {"hourly": [10.0] * 24, "mean": 10, "min": 0, "max": 40},
                 "stations": {"dirichlet_alpha": 2.0, "seed": 1}}
    r = api.post("/api/v1/groups", json=synthetic, headers=api.admin)
    assert r.status_code == 201 and r.json()["source"] == "synthetic" and r.json()["slots"] == 8640, r.text
    assert api.post("/api/v1/groups", json={**synthetic, "name": "profile-a"}, headers=api.admin).status_code == 409
    assert api.delete("/api/v1/groups/profile-a", headers=api.admin).status_code == 403
    assert api.post("/api/v1/groups", json=synthetic, headers=api.read).status_code == 403


def _cell(text, row, col, value):
    lines = text.splitlines()
    cells = lines[row].split(",")
    cells[col] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines) + "\n"


BAD_UPLOADS = [
    ({"text": _cell(day_csv(), 3, 2, "abc")}, 422, r"line 4, column 'bs2': 'abc' is not a number"),
    ({"text": _cell(day_csv(), 7, 4, "-1")}, 422, r"line 8, column 'bs4': -1 is negative"),
    ({"text": "\n".join(line.rsplit(",", 1)[0] if i == 9 else line for i, line in enumerate(day_csv().splitlines()))},
     422, r"line 10: 5 values, the header has 6 \(missing station column\)"),
    ({"text": "\n".join(line + ",3" if i == 2 else line for i, line in enumerate(day_csv().splitlines()))},
     422, r"line 3: 7 values, the header has 6"),
    ({"text": day_csv(stations=[f"s{i}" for i in range(65)], rows=3), "nodes": None, "latency_ms": None},
     422, r"65 stations; at most 64"),
    ({"text": b"timestamp,bs1\n" + b"0" * (9 * 2**20)}, 413, r"MiB"),
    ({"latency_ms": json.dumps([[0, 1, 2, 3, 4]] * 4)}, 422, r"square 5 x 5"),
    ({"latency_ms": json.dumps([[0, 1, 2, 3, -4]] * 5)}, 422, r"latency_ms\[0\]\[4\] = -4"),
    ({"latency_ms": "[[0, 1"}, 422, r"latency_ms: not valid JSON"),
    ({"nodes": json.dumps([{**NODES[0], "cpu": 0}, *NODES[1:]])}, 422, r"nodes\.0\.cpu"),
    ({"text": "\n".join(day_csv(60).splitlines()[:3])}, 422, r"covers 120 s .* it must cover whole days"),
    ({"name": "../etc"}, 422, r"name: '\.\./etc' must be"),
]


@pytest.mark.parametrize("fields, code, match", BAD_UPLOADS)
def test_a_bad_upload_is_refused_by_name_and_stores_nothing(api, fields, code, match):
    import re

    r = upload(api, **fields)
    assert r.status_code == code, r.text
    assert re.search(match, r.json()["detail"]), r.json()["detail"]
    assert stored(api) == (0, 0)


def test_bad_bodies(api):
    assert api.post("/api/v1/groups", content=b"name=x", headers={**api.admin, "Content-Type": "text/plain"}
                    ).status_code == 400
    assert api.post("/api/v1/groups", content=b"{", headers={**api.admin, "Content-Type": "application/json"}
                    ).status_code == 400
    r = api.post("/api/v1/groups", json={"name": "x", "nodes": NODES}, headers=api.admin)
    assert r.status_code == 422 and "give a trace, or both aggregate and stations" in r.json()["detail"]
    r = api.post("/api/v1/groups", data={"name": "x"}, files={"other": ("a", b"1")}, headers=api.admin)
    assert r.status_code == 422 and "'trace'" in r.json()["detail"]
    assert api.get("/api/v1/groups/nope", headers=api.read).status_code == 404
    assert stored(api) == (0, 0)


def test_tasks_and_reconciliation_take_user_groups_and_keep_them(api, ppo_checkpoint):
    assert upload(api).status_code == 201
    r = api.post("/api/v1/training", json={"name": "on-mine", "model_type": "ppo", "group_id": "edge5", "parameters": {},
                                            "total_episodes": 2}, headers=api.admin)
    assert r.status_code == 201, r.text
    r = api.delete("/api/v1/groups/edge5", headers=api.admin)
    assert r.status_code == 409 and "1 training task" in r.json()["detail"]
    assert stored(api)[0] == 1
    # a model of the 4-node profile-a reconciled on the 5-node group: 400 naming both shapes
    task_id, _ = add_trained_model(api.services, ppo_checkpoint)
    r = api.post(f"/api/v1/training/{task_id}/reconcile?sample_size=10&group_id=edge5", headers=api.admin)
    assert r.status_code == 400 and "4 nodes" in r.json()["detail"] and "5 nodes" in r.json()["detail"], r.text
    assert api.post("/api/v1/training", json={"name": "x", "model_type": "ppo", "group_id": "nope", "parameters": {},
                                               "total_episodes": 2}, headers=api.admin).status_code == 404
