"""/models, /groups, /metrics and reconciliation in-process (real store, Ray for the reconcile task)."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lwmecps.platform.serving.collector import system_sample
from lwmecps.platform.serving.recorder import SampleRecorder

from .conftest import add_trained_model, snapshot

MISSING = "0123456789abcdef01234567"


def test_groups_lists_every_workload_group(api):
    r = api.get("/api/v1/groups", headers=api.read)
    assert r.status_code == 200
    groups = {g["group_id"]: g for g in r.json()["groups"]}
    assert {"profile-a", "profile-b", "synthetic-8", "reconciliation-group-1"} <= set(groups)
    assert groups["synthetic-8"]["nodes"] == groups["synthetic-8"]["node_count"] == 8
    assert groups["profile-a"]["node_names"] == ["bs1", "bs2", "bs3", "bs4"] and groups["profile-a"]["source"] == "synthetic"
    assert api.get("/api/v1/groups").status_code == 401


def test_list_get_archive_delete(api, ppo_checkpoint):
    _, first = add_trained_model(api.services, ppo_checkpoint, "first")
    _, second = add_trained_model(api.services, ppo_checkpoint, "second")
    body = api.get("/api/v1/models?page=1&per_page=1", headers=api.read).json()
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 1
    m = body["models"][0]
    assert m["model_id"] == second and m["name"] == "second" and m["type"] == "ppo" and m["status"] == "trained"
    # the API's summary of the stored metrics (the record also keeps cost and vs_oracle)
    assert m["metrics"] == {"accuracy": 0.25, "latency": 0.08, "vs_best_static": 1.5, "vs_hpa_tuned": 1.25}
    assert m["created_at"].endswith("Z")
    assert m["group_id"] == "profile-a" and m["checkpoint"] == ppo_checkpoint
    r = api.post(f"/api/v1/models/{first}/archive", headers=api.admin)
    assert r.status_code == 200 and r.json()["status"] == "archived"
    archived = api.get("/api/v1/models?status=archived", headers=api.read).json()
    assert archived["total"] == 1 and archived["models"][0]["model_id"] == first
    assert api.post(f"/api/v1/models/{first}/archive", headers=api.admin).status_code == 409
    assert api.delete(f"/api/v1/models/{first}", headers=api.read).status_code == 403
    assert api.delete(f"/api/v1/models/{first}", headers=api.admin).status_code == 204
    assert api.get(f"/api/v1/models/{first}", headers=api.read).status_code == 404
    assert api.get("/api/v1/models", headers=api.read).json()["total"] == 1


@pytest.mark.parametrize("method, path, body, code, words", [
    ("get", "/models/{missing}", None, 404, "not found"),
    ("get", "/models/not-an-id", None, 404, "model_id 'not-an-id' not found: malformed id"),
    ("get", "/models?status=lost", None, 422, "unknown status 'lost'"),
    ("get", "/models?per_page=0", None, 422, "per_page"),
    ("post", "/models/{missing}/archive", None, 404, "not found"),
    ("delete", "/models/xyz", None, 404, "model_id 'xyz' not found: malformed id"),
    ("post", "/models/{model}/deploy", {"replicas": 0}, 422, "replicas=0 is outside 1..8"),
    ("post", "/models/{model}/deploy", {"replicas": 9}, 422, "replicas=9 is outside 1..8"),
    ("post", "/models/{model}/deploy", {"replicas": "3"}, 422, "replicas"),
    ("post", "/models/{model}/deploy", {"replicas": 1, "resources": {"cpu": "lots", "memory": "1Gi"}}, 422,
     "resources.cpu='lots' is not a CPU quantity"),
    ("post", "/models/{model}/deploy", {"replicas": 1, "resources": {"cpu": "1", "memory": "1 GB"}}, 422,
     "resources.memory='1 GB' is not a memory quantity"),
    ("post", "/models/{model}/deploy", {"replicas": 1, "resources": {"cpu": "0m", "memory": "1Gi"}}, 422,
     "outside 1m..256 cores"),
    ("post", "/models/{model}/deploy", {"replicas": 1, "strategy": "blue-green"}, 422, "strategy"),
    ("post", "/models/{model}/deploy", {"replicas": 1, "gpu": 1}, 422, "gpu"),
    ("post", "/models/{missing}/deploy", {"replicas": 1}, 404, "not found"),
    ("post", "/models/{model}/predict", {"observation": [0.0] * 30}, 409, "is not serving"),
    ("post", "/models/{model}/predict", {"observation": "zeros"}, 422, "observation"),
    ("post", "/models/{model}/undeploy", None, 409, "is not deployed"),
    ("get", "/models/{model}/metrics?interval=2m", None, 400, "interval='2m' is not one of 1m, 5m, 1h"),
    ("get", "/models/{model}/metrics?start_time=yesterday", None, 400, "start_time='yesterday' is not an ISO"),
    ("get", "/models/{model}/metrics?start_time=2024-03-20T13:00:00Z&end_time=2024-03-20T12:00:00Z", None, 400,
     "must be before end_time"),
    ("get", "/models/{model}/metrics?start_time=2020-01-01T00:00:00Z", None, 400, "more than 2000 intervals"),
    ("get", "/models/{missing}/metrics", None, 404, "not found"),
    ("get", "/metrics?interval=1d", None, 400, "interval='1d'"),
    ("post", "/models/{missing}/undeploy", None, 404, "not found"),
    ("post", "/models/{missing}/predict", {"observation": [0.0] * 30}, 404, "not found"),
    ("post", "/models/{model}/predict", {"observation": [True] * 30}, 422, "observation"),
    ("get", "/training/{missing}/reconciliations", None, 404, "not found"),
    ("get", "/training/nope/reconciliations", None, 404, "task_id 'nope' not found: malformed id"),
])
def test_bad_model_requests_are_4xx_and_change_nothing(api, ppo_checkpoint, method, path, body, code, words):
    _, model = add_trained_model(api.services, ppo_checkpoint)
    before = snapshot(api.services)
    url = "/api/v1" + path.format(missing=MISSING, model=model)
    r = getattr(api, method)(url, headers=api.admin, **({"json": body} if body is not None else {}))
    assert r.status_code == code, r.text
    assert words in str(r.json()["detail"])
    assert snapshot(api.services) == before


def test_archived_model_cannot_be_deployed(api, ppo_checkpoint):
    _, model = add_trained_model(api.services, ppo_checkpoint)
    api.post(f"/api/v1/models/{model}/archive", headers=api.admin)
    r = api.post(f"/api/v1/models/{model}/deploy", json={"replicas": 1}, headers=api.admin)
    assert r.status_code == 409 and "archived" in r.json()["detail"]


def test_serving_metrics_count_the_recorded_requests(api, ppo_checkpoint):
    _, model = add_trained_model(api.services, ppo_checkpoint)
    recorder = SampleRecorder(api.services.store.samples, model, flush_s=0.05, sample_s=0.05,
                              cpu_request=0.5, memory_request=2**30)
    for i in range(37):
        recorder.record_request(0.002 + 0.001 * (i % 3))
    recorder.close()
    body = api.get(f"/api/v1/models/{model}/metrics?interval=5m", headers=api.read).json()["metrics"]
    assert sum(body["requests"]["values"]) == 37
    assert sum(v * 300 for v in body["throughput"]["values"]) == pytest.approx(37)
    assert all(0.002 <= v <= 0.004 for v in body["latency"]["values"])
    assert body["resource_usage"]["memory"]["values"][0] > 0  # RSS of this process over 1 GiB requested
    assert len(body["latency"]["timestamps"]) == len(body["latency"]["values"])
    old = api.get(f"/api/v1/models/{model}/metrics?start_time=2024-03-20T12:00:00Z&end_time=2024-03-20T13:00:00Z",
                  headers=api.read).json()["metrics"]
    assert old["requests"] == {"values": [], "timestamps": []}  # nothing was served then


def test_system_metrics(api, ppo_checkpoint):
    api.services.store.samples.add_many([system_sample() for _ in range(3)])
    add_trained_model(api.services, ppo_checkpoint)
    body = api.get("/api/v1/metrics", headers=api.read).json()
    assert len(body["system"]["cpu_usage"]["values"]) >= 1
    assert 0 < body["system"]["memory_usage"]["values"][-1] <= 1
    # no cluster here: the spec's shape, with zero counts and unknown shares (never a missing key)
    assert body["kubernetes"]["status"] == "not_configured" and body["kubernetes"]["node_count"] == 0
    assert body["kubernetes"]["pod_count"] == 0 and body["kubernetes"]["resource_usage"] == {"cpu": None, "memory": None}
    assert "no Kubernetes cluster is configured" in body["kubernetes"]["detail"]
    assert body["training"]["active_tasks"] == 0 and body["training"]["completed_tasks"] == 1
    # a task timed as the scheduler and the runner time it (dates set by $set updates)
    tasks = api.services.store.tasks
    t = tasks.create({"name": "timed", "model_type": "ppo", "parameters": {}, "total_episodes": 1,
                      "group_id": "profile-a"})
    start = datetime.now(timezone.utc) - timedelta(seconds=90)
    tasks.transition(t["_id"], ("created",), "running", started_at=start)
    tasks.transition(t["_id"], ("running",), "completed", finished_at=start + timedelta(seconds=90))
    body = api.get("/api/v1/metrics", headers=api.read).json()
    assert body["training"]["completed_tasks"] == 2 and body["training"]["average_training_time"] == "1m 30s"


@pytest.mark.parametrize("query, code, words", [
    ("", 400, "sample_size is required"),
    ("?sample_size=0", 400, "sample_size=0 is outside 1..10000"),
    ("?sample_size=-3", 400, "outside"),
    ("?sample_size=10001", 400, "outside 1..10000"),
    ("?sample_size=many", 400, "not an integer"),
    ("?sample_size=10&group_id=nowhere", 400, "unknown workload group 'nowhere'"),
    # a 4-node model on the 8-node group: both shapes named, before any work (it was a 500 from torch)
    ("?sample_size=10&group_id=synthetic-8", 400, "trained on 'profile-a' (4 nodes, max replicas [4, 4, 4, 4]) "
                                                  "and cannot act on 'synthetic-8' (8 nodes"),
    ("?sample_size=10&group_id=" + "g" * 101, 422, "group_id"),
])
def test_bad_reconcile_requests(api, ppo_checkpoint, query, code, words):
    task, _ = add_trained_model(api.services, ppo_checkpoint)
    before = snapshot(api.services)
    r = api.post(f"/api/v1/training/{task}/reconcile{query}", headers=api.admin)
    assert r.status_code == code and words in str(r.json()["detail"]), r.text
    assert snapshot(api.services) == before


@pytest.mark.parametrize("body, words", [
    ({"sample_size": [1]}, "not an integer"), ({"sample_size": 5, "group_id": 7}, "must be a workload group"),
    ([1, 2], "must be an object"), ("{not json", "not valid JSON")])
def test_bad_reconcile_bodies(api, ppo_checkpoint, body, words):
    task, _ = add_trained_model(api.services, ppo_checkpoint)
    content = body if isinstance(body, str) else __import__("json").dumps(body)
    r = api.post(f"/api/v1/training/{task}/reconcile", content=content,
                 headers={**api.admin, "Content-Type": "application/json"})
    assert r.status_code == 400 and words in r.json()["detail"], r.text


@pytest.mark.parametrize("kind", ["text/plain", "multipart/form-data; boundary=x", "application/xml"])
def test_a_body_neither_form_nor_json_is_400(api, ppo_checkpoint, kind):
    task, _ = add_trained_model(api.services, ppo_checkpoint)
    before = snapshot(api.services)
    r = api.post(f"/api/v1/training/{task}/reconcile", content="sample_size=5",
                 headers={**api.admin, "Content-Type": kind})
    assert r.status_code == 400 and "send sample_size and group_id as a form" in r.json()["detail"], r.text
    assert snapshot(api.services) == before


def test_reconcile_declares_sample_size_an_integer():
    from lwmecps.serve.api.app import create_app

    op = create_app().openapi()["paths"]["/api/v1/training/{task_id}/reconcile"]["post"]
    query = [p for p in op["parameters"] if p["name"] == "sample_size"]
    assert len(query) == 1 and query[0]["schema"]["type"] == "integer" and query[0]["in"] == "query"
    for kind in ("application/x-www-form-urlencoded", "application/json"):
        schema = op["requestBody"]["content"][kind]["schema"]
        assert schema["required"] == ["sample_size"] and schema["properties"]["sample_size"]["type"] == "integer"


def test_reconcile_needs_a_trained_model(api):
    r = api.post(f"/api/v1/training/{MISSING}/reconcile?sample_size=5", headers=api.admin)
    assert r.status_code == 404 and "not found" in r.json()["detail"]
    assert api.post("/api/v1/training/bad/reconcile?sample_size=5", headers=api.admin).status_code == 404
    created = api.post("/api/v1/training", json={"name": "t", "model_type": "ppo", "parameters": {},
                                                 "total_episodes": 1}, headers=api.admin).json()
    r = api.post(f"/api/v1/training/{created['task_id']}/reconcile?sample_size=5", headers=api.admin)
    assert r.status_code == 404 and "has no trained model" in r.json()["detail"]
    assert api.post(f"/api/v1/training/{created['task_id']}/reconcile?sample_size=5",
                    headers=api.read).status_code == 403


@pytest.mark.timeout(600)
def test_reconcile_on_another_group_is_stored_and_tracked(api, ppo_checkpoint, tmp_path):
    task, model = add_trained_model(api.services, ppo_checkpoint)
    own = api.post(f"/api/v1/training/{task}/reconcile?sample_size=60", headers=api.admin)
    assert own.status_code == 200, own.text
    # the spec's cURL example sends the parameters as a form body
    other = api.post(f"/api/v1/training/{task}/reconcile", content="sample_size=60&group_id=profile-b",
                     headers={**api.admin, "Content-Type": "application/x-www-form-urlencoded"})
    assert other.status_code == 200, other.text
    a, b = own.json(), other.json()
    assert set(a) >= {"task_id", "model_type", "wandb_run_id", "metrics", "sample_size", "timestamp",
                      "model_weights_path"}
    assert a["task_id"] == task and a["model_type"] == "ppo" and a["sample_size"] == 60
    assert set(a["metrics"]) == {"avg_reward", "avg_latency", "avg_throughput", "success_rate", "latency_std",
                                 "reward_std", "adaptation_score"}
    assert a["metrics"]["adaptation_score"] == pytest.approx(1.0)  # its own group: adapts as it learned
    assert a["group_id"] == "profile-a" and b["group_id"] == "profile-b"
    assert a["metrics"]["avg_reward"] != b["metrics"]["avg_reward"]
    assert 0 <= b["metrics"]["success_rate"] <= 1 and b["metrics"]["avg_latency"] > 5
    assert set(b["costs"]) == {"profile-a", "profile-b"}
    listed = api.get(f"/api/v1/training/{task}/reconciliations", headers=api.read).json()
    assert listed["total"] == 2 and listed["reconciliations"][0]["group_id"] == "profile-b"
    assert Path(b["model_weights_path"]).is_file() and b["model_id"] == model
    from ray.rllib.core.rl_module.rl_module import RLModule  # the weights' folder loads in one line, as documented

    assert RLModule.from_checkpoint(Path(b["model_weights_path"]).parent).forward_inference is not None
    runs = list((tmp_path / "wandb").glob(f"offline-run-*-{b['wandb_run_id']}"))
    assert len(runs) == 1  # an offline W&B run, its group and job type in its transaction log
    log = (runs[0] / f"run-{b['wandb_run_id']}.wandb").read_bytes()
    assert b"profile-b" in log and b"reconcile" in log


def test_window_defaults_to_the_last_hour():
    from lwmecps.platform.serving.series import parse_window

    now = datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc)
    start, end, seconds = parse_window(None, None, None, now=now)
    assert (start, end, seconds) == (now - timedelta(hours=1), now, 60)


@pytest.mark.parametrize("body, code, words", [
    ({"model_type": "ppo", "param_space": {"momentum": {"uniform": [0, 1]}}}, 422, "cannot sweep 'momentum'"),
    ({"model_type": "xgboost", "param_space": {"learning_rate": 0.1}}, 422, "unsupported model_type"),
    ({"model_type": "ppo", "param_space": {"learning_rate": 0.1}, "group_id": "nowhere"}, 404, "unknown workload"),
    ({"model_type": "ppo", "param_space": {}}, 422, "param_space"),
    ({"model_type": "ppo", "param_space": {"learning_rate": 0.1}, "num_samples": 65}, 422, "num_samples"),
])
def test_bad_sweeps(api, body, code, words):
    r = api.post("/api/v1/sweeps", json=body, headers=api.admin)
    assert r.status_code == code and words in str(r.json()["detail"]), r.text
    assert api.services.store.db.sweeps.count_documents({}) == 0
    assert api.get(f"/api/v1/sweeps/{MISSING}", headers=api.read).status_code == 404
    assert api.get("/api/v1/sweeps/x", headers=api.read).status_code == 404  # not an id: nothing there
    assert api.post("/api/v1/sweeps", json=body, headers=api.read).status_code == 403
