"""Security and limits of the API in-process: roles on every write route, body size, CORS, no secret
in responses, logs or the OpenAPI document, the training queue limit."""
import logging

import pytest
from fastapi.testclient import TestClient

from .conftest import make_api, snapshot

MISSING = "0123456789abcdef01234567"
SECRETS = {"admin_token": "adm-SECRET-7f3a9c", "wandb_api_key": "wandb-SECRET-51be0d"}


def write_routes(app):
    """Every route that is not a read, from the OpenAPI document (the app's own list)."""
    for path, methods in app.openapi()["paths"].items():
        for method in methods:
            # predict is a POST that changes nothing: read tokens may query served policies
            if method not in ("get", "head", "options") and not path.endswith("/predict"):
                yield method.upper(), path.format(task_id=MISSING, model_id=MISSING, sweep_id=MISSING, group_id="nope",
                                                         autoscaler_id=MISSING)


def test_the_read_role_cannot_change_anything(api):
    routes = list(write_routes(api.app))
    assert len(routes) >= 8
    before = snapshot(api.services)
    for method, path in routes:
        r = api.request(method, path, headers=api.read, json={})
        assert r.status_code == 403 and "read-only" in r.json()["detail"], (method, path, r.text)
        assert api.request(method, path, json={}).status_code == 401, (method, path)
    assert snapshot(api.services) == before


def test_body_size_is_limited(nx_uri, tmp_path):
    api = make_api(nx_uri, tmp_path, max_body_bytes=4096)
    big = {"name": "x" * 5000, "model_type": "ppo", "parameters": {}, "total_episodes": 1}
    r = api.post("/api/v1/training", json=big, headers=api.admin)
    assert r.status_code == 413 and "4096 bytes (LWMECPS_MAX_BODY_BYTES)" in r.json()["detail"]

    def chunks():  # no Content-Length: the limit applies while the body streams in
        for _ in range(10):
            yield b"x" * 1000

    r = api.post("/api/v1/training", content=chunks(), headers={**api.admin, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert api.services.store.db.tasks.count_documents({}) == 0


def test_cors_is_closed_by_default_and_configurable(api, nx_uri, tmp_path):
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    r = api.options("/api/v1/training", headers=preflight)
    assert "access-control-allow-origin" not in r.headers
    r = api.get("/api/v1/health", headers={**api.read, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    opened = make_api(nx_uri, tmp_path, cors_origins=["https://console.example"])
    r = opened.options("/api/v1/training", headers={**preflight, "Origin": "https://console.example"})
    assert r.headers["access-control-allow-origin"] == "https://console.example"
    r = opened.options("/api/v1/training", headers=preflight)
    assert r.headers.get("access-control-allow-origin") != "https://evil.example"


def test_no_secret_in_openapi_responses_or_logs(nx_uri, tmp_path, caplog):
    api = make_api(nx_uri, tmp_path, **SECRETS)
    admin = {"Authorization": f"Bearer {SECRETS['admin_token']}"}
    caplog.set_level(logging.DEBUG)
    bodies = [TestClient(api.app).get("/openapi.json").text]
    for method, path, kw in [
        ("get", "/api/v1/health", {}), ("get", f"/api/v1/training/{MISSING}", {}), ("get", "/api/v1/training/bad", {}),
        ("post", "/api/v1/training", {"json": {"name": "t", "model_type": "nope", "parameters": {},
                                               "total_episodes": 1}}),
        ("post", f"/api/v1/models/{MISSING}/deploy", {"json": {"replicas": 1}}),
        ("post", f"/api/v1/training/{MISSING}/reconcile?sample_size=5", {}), ("get", "/api/v1/metrics", {}),
    ]:
        bodies.append(getattr(api, method)(path, headers=admin, **kw).text)
    bodies.append(api.get("/api/v1/health", headers={"Authorization": "Bearer adm-SECRET-7f3a9d"}).text)  # near miss
    text = "\n".join(bodies) + "\n".join(r.getMessage() for r in caplog.records)
    for secret in SECRETS.values():
        assert secret not in text
    assert "SECRET" not in repr(api.services.settings)


def test_the_training_queue_is_limited(nx_uri, tmp_path):
    api = make_api(nx_uri, tmp_path, max_queued_trainings=2)
    body = {"name": "t", "model_type": "ppo", "parameters": {}, "total_episodes": 1}
    for _ in range(2):
        assert api.post("/api/v1/training", json=body, headers=api.admin).status_code == 201
    before = snapshot(api.services)
    r = api.post("/api/v1/training", json=body, headers=api.admin)
    assert r.status_code == 429 and "queue limit is 2 (LWMECPS_MAX_QUEUED_TRAININGS)" in r.json()["detail"]
    assert snapshot(api.services) == before


@pytest.mark.parametrize("path", ["/api/v1/training/{id}", "/api/v1/models/{id}", "/api/v1/sweeps/{id}",
                                  "/api/v1/training/{id}/reconciliations", "/api/v1/models/{id}/metrics"])
def test_ids_are_validated_before_the_store(api, path, monkeypatch):
    def no_store(*args, **kwargs):
        raise AssertionError("the store was called with a malformed id")

    for repo in ("tasks", "models", "sweeps", "reconciliations"):
        monkeypatch.setattr(getattr(api.services.store, repo), "get", no_store, raising=False)
    for bad in ("../../etc/passwd", "0" * 23, "z" * 24, "%00"):
        r = api.get(path.format(id=bad), headers=api.read)
        assert r.status_code in (404, 422), (path, bad, r.text)  # 404 for an id that is none; 422 for a bad path
