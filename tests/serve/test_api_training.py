"""The /api/v1 routes in-process (FastAPI app, real store on nx-27017, no Ray): contract and bad input."""

import pytest
from fastapi.testclient import TestClient

from lwmecps.platform.services.container import Services
from lwmecps.platform.settings import Settings
from lwmecps.serve.api.app import create_app

SPEC_BODY = {"name": "test-training", "model_type": "dqn",
             "parameters": {"learning_rate": 0.001, "discount_factor": 0.99}, "total_episodes": 1000}


def n_tasks(api):
    return api.services.store.db.tasks.count_documents({})


def test_create_get_list_cancel(api):
    r = api.post("/api/v1/training", json=SPEC_BODY, headers=api.admin)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"task_id", "status", "created_at"} and body["status"] == "created"
    got = api.get(f"/api/v1/training/{body['task_id']}", headers=api.read).json()
    assert got["status"] == "created" and got["progress"] == 0 and got["current_episode"] == 0
    assert got["total_episodes"] == 1000 and got["group_id"] == "profile-a"
    assert got["metrics"] == {"episode_rewards": [], "episode_steps": [], "episode_latencies": []}
    assert {"created_at", "updated_at"} <= set(got)
    listed = api.get("/api/v1/training?status=created&per_page=5", headers=api.read).json()
    assert listed["total"] == 1 and listed["tasks"][0]["task_id"] == body["task_id"] and listed["per_page"] == 5
    c = api.post(f"/api/v1/training/{body['task_id']}/cancel", headers=api.admin)
    assert c.status_code == 200 and c.json()["status"] == "cancelled" and set(c.json()) == {
        "task_id", "status", "updated_at"}
    again = api.post(f"/api/v1/training/{body['task_id']}/cancel", headers=api.admin)
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
    # every timestamp is ISO 8601 UTC with Z, also one written by a $set (cancel's updated_at)
    after = api.get(f"/api/v1/training/{body['task_id']}", headers=api.read).json()
    listed = api.get("/api/v1/training", headers=api.read).json()["tasks"][0]
    stamps = [body["created_at"], c.json()["updated_at"], after["created_at"], after["updated_at"],
              listed["created_at"], listed["updated_at"]]
    assert all(t.endswith("Z") for t in stamps), stamps


@pytest.mark.parametrize("change, code, words", [
    ({"name": None}, 422, "name"),
    ({"total_episodes": "ten"}, 422, "total_episodes"),
    ({"total_episodes": 0}, 422, "total_episodes"),
    ({"total_episodes": -5}, 422, "total_episodes"),
    ({"total_episodes": 10**9}, 422, "exceeds the limit 5000"),
    ({"model_type": "xgboost"}, 422, "unsupported model_type 'xgboost'; supported: ppo, dqn, sac"),
    ({"parameters": {"learning_rate": 0.1, "momentum": 0.9}}, 422, "unknown parameter(s) 'momentum'"),
    ({"parameters": {"learning_rate": "fast"}}, 422, "'learning_rate' must be a float"),
    ({"parameters": {"discount_factor": 1.5}}, 422, "outside [0.0, 1.0]"),
    ({"parameters": "lr=0.1"}, 422, "parameters"),
    ({"group_id": "mars"}, 404, "unknown workload group 'mars'; known groups: heldout-early-morning"),
    ({"parameters": {"load_level_min": 2.0, "load_level_max": 1.5}}, 422, "load_level_min must not exceed"),
    ({"priority": "high"}, 422, "priority"),
    ({"name": 42}, 422, "name"),
    ({"parameters": {"num_env_runners": -1}}, 422, "'num_env_runners'=-1 is outside [0, 64]"),
    ({"parameters": {"num_env_runners": 1000}}, 422, "'num_env_runners'=1000 is outside [0, 64]"),
    ({"parameters": {"num_env_runners": 2.5}}, 422, "'num_env_runners' must be a int, got 2.5"),
    ({"parameters": {"num_env_runners": "many"}}, 422, "accepted: int in [0, 64] or 'auto'"),
    ({"parameters": {"num_learners": 99}}, 422, "'num_learners'=99 is outside [0, 8]"),
    ({"parameters": {"num_cpus_per_env_runner": 0}}, 422, "'num_cpus_per_env_runner'=0.0 is outside [0.1, 64.0]"),
    ({"model_type": "q_learning", "parameters": {"num_learners": 2}}, 422, "own copy of the table"),
])
def test_bad_bodies_are_4xx_and_store_unchanged(api, change, code, words):
    body = {k: v for k, v in {**SPEC_BODY, **change}.items() if v is not None}
    before = n_tasks(api)
    r = api.post("/api/v1/training", json=body, headers=api.admin)
    assert r.status_code == code, r.text
    assert words in str(r.json()["detail"])
    assert n_tasks(api) == before


def test_missing_body_and_malformed_json(api):
    assert api.post("/api/v1/training", headers=api.admin).status_code == 422
    r = api.post("/api/v1/training", content=b"{not json", headers={**api.admin, "Content-Type": "application/json"})
    assert r.status_code == 422


@pytest.mark.parametrize("task_id, words", [("task-id", "malformed id"), ("64f1b2a3c9d4e5f6a7b8c9d0", "not found"),
                                            ("x" * 300, "malformed id")])
def test_bad_task_ids(api, task_id, words):
    """An id that is not one names nothing that exists: 404, like an unknown one, saying which."""
    for method, path in (("get", ""), ("post", "/cancel")):
        r = getattr(api, method)(f"/api/v1/training/{task_id}{path}", headers=api.admin)
        assert r.status_code == 404
        assert words in r.json()["detail"]


def test_list_bad_query(api):
    r = api.get("/api/v1/training?status=sleeping", headers=api.read)
    assert r.status_code == 422 and "unknown status 'sleeping'" in r.json()["detail"]
    assert api.get("/api/v1/training?page=0", headers=api.read).status_code == 422
    assert api.get("/api/v1/training?per_page=1000", headers=api.read).status_code == 422


def test_auth(api):
    assert api.get("/api/v1/health").status_code == 401
    r = api.get("/api/v1/health", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json() == {"detail": "invalid token"}
    assert api.get("/api/v1/health", headers={"Authorization": "Basic abc"}).status_code == 401
    before = n_tasks(api)
    r = api.post("/api/v1/training", json=SPEC_BODY, headers=api.read)
    assert r.status_code == 403 and "read-only" in r.json()["detail"]
    assert api.post("/api/v1/training", json=SPEC_BODY).status_code == 401
    assert n_tasks(api) == before
    task_id = api.post("/api/v1/training", json=SPEC_BODY, headers=api.admin).json()["task_id"]
    assert api.post(f"/api/v1/training/{task_id}/cancel", headers=api.read).status_code == 403
    assert api.get(f"/api/v1/training/{task_id}", headers=api.read).json()["status"] == "created"


def test_health_reports_each_component(api):
    import ray

    r = api.get("/api/v1/health", headers=api.read)
    assert r.status_code == 200
    body = r.json()
    assert set(body["components"]) == {"api", "database", "kubernetes", "wandb", "ray"}
    assert body["components"]["database"] == "healthy"
    assert body["components"]["kubernetes"] == "not_configured"  # no kube config here: said honestly
    if ray.is_initialized():  # another test of this session may have started Ray in-process
        assert body["components"]["ray"] == "healthy" and body["status"] == "healthy"
    else:
        assert body["components"]["ray"].startswith("unhealthy") and body["status"] == "unhealthy"
    assert body["version"] == "0.1.0" and body["uptime"].endswith(("s", "m", "h"))


def test_health_with_the_database_down_is_unhealthy_not_500(tmp_path):
    from lwmecps.platform.mongo_server import start_nx27017
    from lwmecps.platform.ports import free_port

    server = start_nx27017(tmp_path, free_port())
    settings = Settings(mongodb_uri=server.uri, mongodb_db="down", admin_token="t-admin")
    client = TestClient(create_app(Services(settings)), raise_server_exceptions=False)
    server.stop()
    r = client.get("/api/v1/health", headers={"Authorization": "Bearer t-admin"})
    assert r.status_code == 200
    assert r.json()["components"]["database"].startswith("unhealthy") and r.json()["status"] == "unhealthy"
    r = client.get("/api/v1/training", headers={"Authorization": "Bearer t-admin"})
    assert r.status_code == 503 and "database is unavailable" in r.json()["detail"]


def test_a_footprint_larger_than_the_cluster_is_refused_at_creation(api, ray_local):
    """Connected to a Ray cluster (2 CPUs here), a task that could never fit is a 422, not a task
    queued forever; one that fits is accepted."""
    before = n_tasks(api)
    body = {**SPEC_BODY, "parameters": {"num_env_runners": 8, "num_cpus_per_env_runner": 1.0}}
    r = api.post("/api/v1/training", json=body, headers=api.admin)
    assert r.status_code == 422, r.text
    assert "needs 9 CPUs" in r.json()["detail"] and "the Ray cluster has 2" in r.json()["detail"]
    assert n_tasks(api) == before
    body["parameters"] = {"num_env_runners": 2, "num_cpus_per_env_runner": 0.5}
    assert api.post("/api/v1/training", json=body, headers=api.admin).status_code == 201
