"""Served policies on a real Ray Serve: deploy, predict, rolling update under load, metrics, undeploy."""
import threading
import time

import pytest
from fastapi.testclient import TestClient

from .conftest import add_trained_model, make_api

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def serve_api(ray_local, nx_uri, tmp_path_factory):
    from ray import serve

    serve.start(proxy_location="Disabled")  # handles only: no HTTP proxy on port 8000
    api = make_api(nx_uri, tmp_path_factory.mktemp("serving"), metrics_sample_s=0.5)
    yield api
    serve.shutdown()


def wait_for(predicate, timeout=180.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def model_doc(api, model):
    return api.get(f"/api/v1/models/{model}", headers=api.read).json()


def deployed(api, model, replicas):
    from ray import serve

    app = serve.status().applications.get(f"policy-{model}")
    if model_doc(api, model)["status"] != "deployed" or app is None:
        return False
    dep = app.deployments["policy"]
    return dep.status == "HEALTHY" and dep.replica_states.get("RUNNING", 0) == replicas


OBS = [0.25, 0.3, 0.3, 0.1, 0.0, 0.3, 0.3] * 4 + [0.0, 1.0]


def test_deploy_predict_update_and_undeploy(serve_api, ppo_checkpoint):
    api = serve_api
    _, model = add_trained_model(api.services, ppo_checkpoint)
    r = api.post(f"/api/v1/models/{model}/deploy", json={"replicas": 1, "resources": {"cpu": "1", "memory": "512Mi"}},
                 headers=api.admin)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "deploying" and body["model_id"] == model
    assert body["deployment"] == {"name": f"policy-{model}", "namespace": f"policy-{model}", "replicas": 1}
    assert model_doc(api, model)["deployment"]["resources"] == {"cpu": "1", "memory": "512Mi"}
    wait_for(lambda: deployed(api, model, 1), what="the policy to serve")
    assert model_doc(api, model)["deployment"]["state"] == "running"

    # predicts: replicas per node within each node's capacity; N of them show in the metrics
    n = 25
    for _ in range(n):
        p = api.post(f"/api/v1/models/{model}/predict", json={"observation": OBS}, headers=api.read)
        assert p.status_code == 200, p.text
    out = p.json()
    assert out["model_id"] == model and len(out["action"]) == 4 and all(0 <= a <= 4 for a in out["action"])
    assert out["replicas_per_node"] == dict(zip(["bs1", "bs2", "bs3", "bs4"], out["action"]))
    metrics = wait_for(lambda: (m := api.get(f"/api/v1/models/{model}/metrics", headers=api.read).json()["metrics"])
                       and sum(m["requests"]["values"]) == n and m["resource_usage"]["cpu"]["values"] and m,
                       timeout=30, what="the recorded predicts")
    assert all(v > 0 for v in metrics["latency"]["values"])
    bad = api.post(f"/api/v1/models/{model}/predict", json={"observation": OBS[:-1]}, headers=api.read)
    assert bad.status_code == 422 and "takes 30" in bad.json()["detail"]
    for verb, path in (("post", "archive"), ("delete", "")):
        r = getattr(api, verb)(f"/api/v1/models/{model}/{path}".rstrip("/"), headers=api.admin)
        assert r.status_code == 409 and "undeploy it first" in r.json()["detail"]
    too_big = api.post(f"/api/v1/models/{model}/deploy", json={"replicas": 8, "resources": {"cpu": "256"}},
                       headers=api.admin)
    assert too_big.status_code == 409 and "cannot fit" in too_big.json()["detail"]
    assert model_doc(api, model)["deployment"]["replicas"] == 1  # the refused update changed nothing

    # rolling update 1 -> 2 replicas while a client sends predicts: none fails
    stop, results = threading.Event(), []
    client = TestClient(api.app, raise_server_exceptions=False)

    def loop():
        while not stop.is_set() and len(results) < 20000:
            results.append(client.post(f"/api/v1/models/{model}/predict", json={"observation": OBS},
                                       headers=api.read).status_code)

    sender = threading.Thread(target=loop)
    sender.start()
    try:
        time.sleep(1.0)
        r = api.post(f"/api/v1/models/{model}/deploy", json={"replicas": 2, "resources": {"cpu": "1",
                                                                                         "memory": "512Mi"}},
                     headers=api.admin)
        assert r.status_code == 202, r.text
        wait_for(lambda: deployed(api, model, 2), what="two replicas")
        time.sleep(1.0)
    finally:
        stop.set()
        sender.join(timeout=60)
    assert len(results) > 20 and set(results) == {200}, {c: results.count(c) for c in set(results)}

    t0 = time.monotonic()
    r = api.post(f"/api/v1/models/{model}/undeploy", headers=api.admin)
    answered = time.monotonic() - t0
    # at once: trained (no more predicts), stopping; the application goes in the background
    assert r.status_code == 202 and r.json()["status"] == "trained" and r.json()["deployment"]["state"] == "stopping"
    assert answered < 5, answered
    assert api.post(f"/api/v1/models/{model}/predict", json={"observation": OBS}, headers=api.read).status_code == 409
    again = api.post(f"/api/v1/models/{model}/undeploy", headers=api.admin)
    assert again.status_code == 409 and "being undeployed" in again.json()["detail"]
    wait_for(lambda: api.get(f"/api/v1/models/{model}", headers=api.read).json()["deployment"]["state"] == "stopped",
             what="stopped")
    from ray import serve

    assert f"policy-{model}" not in serve.status().applications
    assert api.post(f"/api/v1/models/{model}/predict", json={"observation": OBS}, headers=api.read).status_code == 409
