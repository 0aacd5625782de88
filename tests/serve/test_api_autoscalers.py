"""/api/v1/autoscalers on a real Ray Serve: a deployed policy shadowing HPA, then running the twin."""
import time

import pytest

from .conftest import add_trained_model, make_api, snapshot

pytestmark = pytest.mark.timeout(600)
MISSING = "0123456789abcdef01234567"


@pytest.fixture(scope="module")
def served(ray_local, nx_uri, tmp_path_factory, ppo_checkpoint):
    """The API with Serve up and one deployed PPO policy."""
    from ray import serve

    serve.start(proxy_location="Disabled")
    api = make_api(nx_uri, tmp_path_factory.mktemp("autoscalers"))
    _, model = add_trained_model(api.services, ppo_checkpoint, "autoscaled")
    r = api.post(f"/api/v1/models/{model}/deploy", json={"replicas": 1, "resources": {"cpu": "1", "memory": "512Mi"}},
                 headers=api.admin)
    assert r.status_code == 202, r.text
    wait(lambda: api.get(f"/api/v1/models/{model}", headers=api.read).json()["status"] == "deployed", 180)
    _, idle = add_trained_model(api.services, ppo_checkpoint, "not-deployed")
    yield api, model, idle
    for a in api.get("/api/v1/autoscalers?status=running", headers=api.read).json()["autoscalers"]:
        api.post(f"/api/v1/autoscalers/{a['autoscaler_id']}/stop", headers=api.admin)
    api.post(f"/api/v1/models/{model}/undeploy", headers=api.admin)
    serve.shutdown()


def wait(predicate, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if value := predicate():
            return value
        time.sleep(0.25)
    raise AssertionError("timed out")


FAST = {"kind": "simulated", "speed": 600}  # one 5-minute interval every 0.5 s


def test_shadow_then_active_on_the_twin(served):
    api, model, _ = served
    r = api.post("/api/v1/autoscalers", json={"model_id": model, "mode": "shadow", "target": FAST}, headers=api.admin)
    assert r.status_code == 201, r.text
    shadow = r.json()
    assert shadow["status"] == "running" and shadow["target"]["group_id"] == "profile-a" and shadow["mode"] == "shadow"
    sid = shadow["autoscaler_id"]
    got = wait(lambda: (a := api.get(f"/api/v1/autoscalers/{sid}", headers=api.read).json())["summary"]["decisions"] >= 4
               and a)
    # shadow: HPA runs the cluster, so its cost is the HPA twin's exactly (saving 0)
    assert got["summary"]["cost_so_far"] == pytest.approx(got["summary"]["hpa_cost_so_far"], rel=1e-6)
    d = api.get(f"/api/v1/autoscalers/{sid}/decisions", headers=api.read).json()
    rows = d["decisions"]
    assert len(rows) >= 4 and [x["step"] for x in rows] == list(range(len(rows))) and d["total"] >= len(rows)
    assert all(x["applied_by"] == "hpa" and x["applied_replicas"] == x["hpa_replicas"]
               and len(x["policy_replicas"]) == 4 and x["source"] in ("policy", "guardrail") for x in rows)
    assert set(rows[0]["observation"]) == {"load", "utilisation", "latency"}
    assert {"cost", "latency_ms", "success_rate", "time"} <= set(rows[0])
    paged = api.get(f"/api/v1/autoscalers/{sid}/decisions?page=2&per_page=2", headers=api.read).json()
    assert [x["step"] for x in paged["decisions"]] == [2, 3] and paged["page"] == 2 and paged["per_page"] == 2
    window = api.get(f"/api/v1/autoscalers/{sid}/decisions", params={"start_time": rows[1]["time"],
                                                                     "end_time": rows[2]["time"]},
                     headers=api.read).json()["decisions"]
    assert [x["step"] for x in window] == [1, 2]

    r = api.post("/api/v1/autoscalers", json={"model_id": model, "mode": "active", "target": FAST,
                                              "guardrails": {"max_replicas": [3, 3, 1, 3]}}, headers=api.admin)
    assert r.status_code == 201, r.text
    aid = r.json()["autoscaler_id"]
    again = api.post("/api/v1/autoscalers", json={"model_id": model, "mode": "active", "target": FAST},
                     headers=api.admin)
    assert again.status_code == 409 and aid in again.json()["detail"]
    wait(lambda: api.get(f"/api/v1/autoscalers/{aid}", headers=api.read).json()["summary"]["decisions"] >= 3)
    rows = api.get(f"/api/v1/autoscalers/{aid}/decisions", headers=api.read).json()["decisions"]
    assert all(x["source"] in ("policy", "guardrail") and x["applied_by"] == "policy" for x in rows)
    assert all(max(x["applied_replicas"]) <= 3 and x["applied_replicas"][2] <= 1 for x in rows)  # the guardrail
    assert all(x["outcome"]["replicas"] == x["applied_replicas"] for x in rows)

    for a in (sid, aid):
        stopped = api.post(f"/api/v1/autoscalers/{a}/stop", headers=api.admin)
        assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
        steps = stopped.json()["summary"]["decisions"]
        time.sleep(1.5)
        assert api.get(f"/api/v1/autoscalers/{a}", headers=api.read).json()["summary"]["decisions"] == steps
    assert api.post(f"/api/v1/autoscalers/{sid}/stop", headers=api.admin).status_code == 409
    listed = api.get("/api/v1/autoscalers?status=stopped", headers=api.read).json()
    assert {a["autoscaler_id"] for a in listed["autoscalers"]} >= {sid, aid}


@pytest.mark.parametrize("body, code, words", [
    ({"model_id": MISSING}, 404, MISSING),
    ({"model_id": "IDLE"}, 409, "not deployed"),
    ({"mode": "bold"}, 422, "mode"),
    ({"target": {"kind": "kubernetes", "seed": 3}}, 422, "real time"),
    ({"target": {"kind": "kubernetes", "host": "http://127.0.0.1:9"}}, 503, "did not answer"),
    ({"target": {"group_id": "synthetic-8"}}, 400, "8 nodes"),
    ({"target": {"group_id": "no-such-group"}}, 400, "no-such-group"),
    ({"target": {"speed": 3600}}, 422, "at least 0.5 s"),
    ({"guardrails": {"min_replicas": 3, "max_replicas": 2}}, 422, "max_replicas"),
    ({"guardrails": {"max_replicas": [1, 2]}}, 422, "max_replicas has 2 values; the cluster has 4 nodes"),
    ({"guardrails": {"slo": {"success_rate": 2}}}, 422, "success_rate"),
    ({"interval_s": 0}, 422, "interval_s"),
    ({"interval_s": 10**9}, 422, "interval_s"),
    ({"target": {"speed": 0}}, 422, "speed"),
    ({"extra": 1}, 422, "extra"),
])
def test_bad_autoscalers_are_refused_and_change_nothing(served, body, code, words):
    api, model, idle = served
    payload = {"model_id": model, "mode": "shadow", **body}
    if payload["model_id"] == "IDLE":
        payload["model_id"] = idle
    before = snapshot(api.services), api.services.store.db.autoscalers.count_documents({})
    r = api.post("/api/v1/autoscalers", json=payload, headers=api.admin)
    assert r.status_code == code, r.text
    assert words in str(r.json()["detail"])
    assert (snapshot(api.services), api.services.store.db.autoscalers.count_documents({})) == before


def test_roles_and_missing_autoscalers(served):
    api, model, _ = served
    assert api.post("/api/v1/autoscalers", json={"model_id": model}, headers=api.read).status_code == 403
    assert api.get("/api/v1/autoscalers").status_code == 401
    for path in (f"/api/v1/autoscalers/{MISSING}", f"/api/v1/autoscalers/{MISSING}/decisions"):
        r = api.get(path, headers=api.read)
        assert r.status_code == 404 and MISSING in r.json()["detail"]
    assert api.post(f"/api/v1/autoscalers/{MISSING}/stop", headers=api.admin).status_code == 404
    assert api.get("/api/v1/autoscalers?status=nope", headers=api.read).status_code == 422


def test_a_policy_scales_a_live_cluster(served, tmp_path, monkeypatch):
    """The kubernetes target against the local FAKE API server, over TLS with a CA of the test's own and
    the platform's bearer token (``LWMECPS_KUBE_TOKEN_FILE``: never from a request), each scale's new
    generation observed late: the policy's replicas (within the guardrails) reach the deployments;
    HPA has no twin there, so there is no saving to report."""
    from ..envs.fake_kube import FakeKube, make_tls

    api, model, _ = served
    ca, cert, key = make_tls(tmp_path)
    (tmp_path / "token").write_text("sa-token\n")
    with FakeKube(token="sa-token", tls=(cert, key)) as cluster, FakeKube() as stats:
        cluster.observe_after = 0.2  # the controller sees each new spec 0.2 s late: readiness waits for it
        target = {"kind": "kubernetes", "host": cluster.url, "stats_url": stats.url, "ca_cert": ca}
        body = {"model_id": model, "mode": "active", "target": target, "interval_s": 0.5,
                "guardrails": {"max_replicas": 2}}
        refused = api.post("/api/v1/autoscalers", json=body, headers=api.admin)  # no token configured
        assert refused.status_code == 503 and "401" in refused.json()["detail"], refused.text
        monkeypatch.setattr(api.services.settings, "kube_token_file", tmp_path / "token")
        r = api.post("/api/v1/autoscalers", json=body, headers=api.admin)
        assert r.status_code == 201, r.text
        aid = r.json()["autoscaler_id"]
        assert r.json()["target"]["namespace"] == "edge" and "seed" not in r.json()["target"]
        wait(lambda: api.get(f"/api/v1/autoscalers/{aid}", headers=api.read).json()["summary"]["decisions"] >= 3, 60)
        stopped = api.post(f"/api/v1/autoscalers/{aid}/stop", headers=api.admin).json()
        rows = api.get(f"/api/v1/autoscalers/{aid}/decisions", headers=api.read).json()["decisions"]
        stored = api.services.store.autoscalers.get(__import__("bson").ObjectId(aid))
    assert stopped["status"] == "stopped" and stopped["error"] is None
    assert stopped["summary"]["hpa_cost_so_far"] == 0 and stopped["summary"]["saving"] is None
    assert all(max(x["applied_replicas"]) <= 2 and x["hpa_outcome"] is None for x in rows)
    last = rows[-1]["applied_replicas"]
    scaled = [(path.rsplit("/", 2)[-2], body["spec"]["replicas"]) for m, path, body in cluster.requests if m == "PATCH"]
    assert scaled[-4:] == [(f"server-bs{j + 1}", last[j]) for j in range(4)]  # what it applied, it patched
    assert "sa-token" not in str(stored) and "sa-token" not in r.text  # the token stays in the platform's config


def test_a_dropped_call_is_retried_and_a_refusal_fails_the_autoscaler_naming_the_call(served):
    """Against the local FAKE API server: a connection closed mid-decision is retried next period (the
    autoscaler keeps running); RBAC's 403 on the scale call is final: ``failed``, the call named."""
    from ..envs.fake_kube import FakeKube

    api, model, _ = served
    with FakeKube() as cluster:
        target = {"kind": "kubernetes", "host": cluster.url, "stats_url": cluster.url}
        r = api.post("/api/v1/autoscalers", json={"model_id": model, "mode": "active", "target": target,
                                                  "interval_s": 0.5}, headers=api.admin)
        assert r.status_code == 201, r.text
        aid = r.json()["autoscaler_id"]
        get = lambda: api.get(f"/api/v1/autoscalers/{aid}", headers=api.read).json()  # noqa: E731
        first = wait(lambda: get()["summary"]["decisions"] >= 1 and get(), 60)["summary"]["decisions"]
        cluster.drop_next = 2
        later = wait(lambda: (a := get())["summary"]["decisions"] >= first + 3 and a, 60)
        assert cluster.dropped == 2 and later["status"] == "running" and later["error"] is None
        steps = [x["step"] for x in api.get(f"/api/v1/autoscalers/{aid}/decisions", headers=api.read).json()["decisions"]]
        assert steps == list(range(len(steps)))  # the retried decision is recorded once

        cluster.mode.add("forbid")
        t0 = time.monotonic()
        failed = wait(lambda: (a := get())["status"] == "failed" and a, 30)
        assert time.monotonic() - t0 < 10  # at once, not after minutes of retries
    assert "scale deployment server-bs" in failed["error"] and "403" in failed["error"], failed["error"]
    assert "rbac.yaml" in failed["error"]
