"""End to end through ``lwmecps up`` (real Ray, Serve, nx-27017, W&B offline), as the spec shows it.

The spec's examples address ``http://localhost:8000``, so the service runs on port 8000.
"""
import json
import subprocess
import sys
import time

import pytest

from .service import Service, alive, wait_for

pytestmark = pytest.mark.timeout(900)

SPEC_PYTHON = '''
import requests

API_URL = "http://localhost:8000/api/v1"
TOKEN = "your-token"

headers = {
    "Authorization": f"Bearer {TOKEN}",
    "Content-Type": "application/json"
}

# Создание задачи обучения
response = requests.post(
    f"{API_URL}/training",
    headers=headers,
    json={
        "name": "test-training",
        "model_type": "dqn",
        "parameters": {
            "learning_rate": 0.001,
            "discount_factor": 0.99
        },
        "total_episodes": 1000
    }
)
task_id = response.json()["task_id"]

# Получение статуса задачи
response = requests.get(
    f"{API_URL}/training/{task_id}",
    headers=headers
)
status = response.json()["status"]
'''

# The rest of the spec's Python example, verbatim. It deploys ``model_id`` (which the spec leaves
# to the reader: the glue below takes it from GET /models) and reconciles ``task_id`` on the group
# ``reconciliation-group-1`` (one of our workload groups).
SPEC_PYTHON_DEPLOY = '''
# Развертывание модели
response = requests.post(
    f"{API_URL}/models/{model_id}/deploy",
    headers=headers,
    json={
        "replicas": 3,
        "resources": {
            "cpu": "1",
            "memory": "1Gi"
        }
    }
)
'''

SPEC_PYTHON_RECONCILE = '''
# Запуск reconciliation
response = requests.post(
    f"{API_URL}/training/{task_id}/reconcile",
    headers=headers,
    params={
        "sample_size": 100,
        "group_id": "reconciliation-group-1"  # Опционально
    }
)
reconciliation_result = response.json()
print(f"Reconciliation completed with avg_reward: {reconciliation_result['metrics']['avg_reward']}")
'''

SPEC_CURL_DEPLOY = '''curl -X POST "http://localhost:8000/api/v1/models/model-id/deploy" \\
  -H "Authorization: Bearer your-token" \\
  -H "Content-Type: application/json" \\
  -d '{
    "replicas": 3,
    "resources": {
      "cpu": "1",
      "memory": "1Gi"
    }
  }'
'''

SPEC_CURL_RECONCILE = '''curl -X POST "http://localhost:8000/api/v1/training/task-id/reconcile" \\
  -H "Authorization: Bearer your-token" \\
  -d 'sample_size=100&group_id=reconciliation-group-1'
'''

SPEC_CURL_CREATE = '''curl -X POST "http://localhost:8000/api/v1/training" \\
  -H "Authorization: Bearer your-token" \\
  -H "Content-Type: application/json" \\
  -d '{
    "name": "test-training",
    "model_type": "dqn",
    "parameters": {
      "learning_rate": 0.001,
      "discount_factor": 0.99
    },
    "total_episodes": 1000
  }'
'''

SPEC_CURL_STATUS = '''curl -X GET "http://localhost:8000/api/v1/training/task-id" \\
  -H "Authorization: Bearer your-token"
'''


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = Service(tmp_path_factory.mktemp("svc")).start()
    yield svc
    svc.stop()


def test_spec_python_example_verbatim(service):
    code = SPEC_PYTHON.replace('"your-token"', json.dumps(service.token()))
    code += "\nprint(task_id, status)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    task_id, status = out.stdout.split()
    assert status in ("created", "queued", "running")
    with service.client() as api:
        assert api.post(f"/training/{task_id}/cancel").json()["status"] == "cancelled"


def test_spec_curl_examples_verbatim(service):
    token = service.token()
    created = subprocess.run(["bash", "-c", SPEC_CURL_CREATE.replace("your-token", token)], capture_output=True,
                             text=True, timeout=60)
    body = json.loads(created.stdout)
    assert body["status"] == "created"
    got = subprocess.run(["bash", "-c", SPEC_CURL_STATUS.replace("your-token", token).replace(
        "task-id", body["task_id"])], capture_output=True, text=True, timeout=60)
    assert json.loads(got.stdout)["task_id"] == body["task_id"]
    with service.client() as api:
        api.post(f"/training/{body['task_id']}/cancel")


def test_ppo_task_completes_with_metrics_wandb_and_model(service):
    with service.client() as api:
        task_id = api.post("/training", json={"name": "ppo-20", "model_type": "ppo", "parameters": {
            "learning_rate": 0.0003, "discount_factor": 0.99}, "total_episodes": 20,
            "wandb_project": "lwmecps-e2e", "wandb_run_name": "ppo-20"}).json()["task_id"]
        seen_progress = set()

        def done():
            t = api.get(f"/training/{task_id}").json()
            seen_progress.add(t["current_episode"])
            return t if t["status"] in ("completed", "failed", "cancelled") else None

        task = wait_for(done, 300)
    assert task["status"] == "completed", task
    assert task["current_episode"] == task["total_episodes"] == 20 and task["progress"] == 1.0
    m = task["metrics"]
    assert len(m["episode_rewards"]) == len(m["episode_steps"]) == len(m["episode_latencies"]) == 20
    assert all(s == 288 for s in m["episode_steps"]) and all(0 < lat < 1 for lat in m["episode_latencies"])
    assert task["model_id"] and task["wandb_run_id"]
    runs = list((service.workdir / "wandb").glob(f"offline-run-*-{task['wandb_run_id']}"))
    assert runs, "no offline W&B run for the task"
    from pymongo import MongoClient

    with MongoClient(f"mongodb://127.0.0.1:{service.env['LWMECPS_EMBEDDED_MONGO_PORT']}/") as client:
        model = client.lwmecps.models.find_one({"task_id": task_id})
    assert model["status"] == "trained" and model["type"] == "ppo"
    assert 0 <= model["metrics"]["accuracy"] <= 1 and model["metrics"]["latency"] > 0


def test_spec_deploy_and_reconcile_examples_verbatim(service):
    """train (above) -> status -> deploy (model_id from GET /models) -> reconcile, as the spec writes it."""
    header, _ = SPEC_PYTHON.split("# Создание задачи обучения")
    glue = """
models = requests.get(f"{API_URL}/models", headers=headers).json()["models"]
model_id = next(m["model_id"] for m in models if m["name"] == "ppo-20")
task_id = next(m["task_id"] for m in models if m["name"] == "ppo-20")
status = requests.get(f"{API_URL}/training/{task_id}", headers=headers).json()["status"]
assert status == "completed", status
"""
    code = header.replace('"your-token"', json.dumps(service.token())) + glue + SPEC_PYTHON_DEPLOY
    code += "\nassert response.status_code == 202, response.text\nprint(response.text)\n" + SPEC_PYTHON_RECONCILE
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    deploy_body, printed = out.stdout.splitlines()[-2:]
    deployed = json.loads(deploy_body)
    assert deployed["status"] == "deploying" and deployed["deployment"]["replicas"] == 3
    assert printed.startswith("Reconciliation completed with avg_reward: -")
    model_id = deployed["model_id"]
    with service.client() as api:
        model = wait_for(lambda: (m := api.get(f"/models/{model_id}").json())["status"] == "deployed" and m, 240)
        task_id = model["task_id"]
        assert model["deployment"]["state"] == "running"
        p = api.post(f"/models/{model_id}/predict", json={"observation": [0.3] * 28 + [0.0, 1.0]})
        assert p.status_code == 200 and len(p.json()["action"]) == 4
        stored = api.get(f"/training/{task_id}/reconciliations").json()
    assert stored["total"] == 1 and stored["reconciliations"][0]["group_id"] == "reconciliation-group-1"

    token = service.token()
    curl = SPEC_CURL_DEPLOY.replace("your-token", token).replace("model-id", model_id)
    again = json.loads(subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=60).stdout)
    assert again["status"] == "deploying" and again["deployment"]["name"] == f"policy-{model_id}"
    curl = SPEC_CURL_RECONCILE.replace("your-token", token).replace("task-id", task_id)
    result = json.loads(subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=600).stdout)
    assert result["sample_size"] == 100 and result["task_id"] == task_id and result["wandb_run_id"]
    assert set(result["metrics"]) >= {"avg_reward", "avg_latency", "success_rate", "adaptation_score"}


def test_autoscalers_run_the_twin_as_an_offline_replay_says(service):
    """The served PPO (above) as an autoscaler on the simulated target at speed 600 (a 5-minute interval
    every 0.5 s): shadow, then active. Active and unguarded, its decisions are the policy's and its
    summary equals an offline replay of the same policy and of HPA on the same day (seed 0, from
    midnight) — to 1e-3 per step, the rounding of the stored figures; then guarded (``max_replicas`` 1 on
    bs3) with an SLO no interval can meet, HPA takes over every interval after the first, within the guard."""
    with service.client() as api:
        model_id = next(m["model_id"] for m in api.get("/models").json()["models"] if m["name"] == "ppo-20")
        wait_for(lambda: api.get(f"/models/{model_id}").json()["status"] == "deployed", 240)
        target = {"kind": "simulated", "group_id": "profile-a", "seed": 0, "speed": 600}

        def run(mode, steps, **extra):
            r = api.post("/autoscalers", json={"model_id": model_id, "mode": mode, "target": target, **extra})
            assert r.status_code == 201, r.text
            aid = r.json()["autoscaler_id"]
            wait_for(lambda: api.get(f"/autoscalers/{aid}").json()["summary"]["decisions"] >= steps, 60, every=0.25)
            stopped = api.post(f"/autoscalers/{aid}/stop").json()
            rows = api.get(f"/autoscalers/{aid}/decisions", params={"per_page": 500}).json()["decisions"]
            assert stopped["status"] == "stopped" and [x["step"] for x in rows] == list(range(len(rows)))
            assert len(rows) == stopped["summary"]["decisions"]
            return stopped["summary"], rows

        shadow, rows = run("shadow", 4)
        assert shadow["cost_so_far"] == pytest.approx(shadow["hpa_cost_so_far"], rel=1e-6) and shadow["saving"] == 0
        assert all(x["applied_replicas"] == x["hpa_replicas"] for x in rows)

        active, rows = run("active", 8)
        k = len(rows)
        replay = api.get(f"/models/{model_id}/replay", params={"group_id": "profile-a", "seed": 0,
                                                                "baselines": "hpa"}).json()["policies"]
        assert all(x["source"] == "policy" for x in rows)
        assert [x["applied_replicas"] for x in rows] == replay["model"]["replicas"][:k]
        assert [x["hpa_replicas"] for x in rows][:1] == replay["hpa"]["replicas"][:1]  # same rule, same start
        assert active["cost_so_far"] == pytest.approx(sum(replay["model"]["cost"][:k]), abs=1e-3 * k)
        assert active["hpa_cost_so_far"] == pytest.approx(sum(replay["hpa"]["cost"][:k]), abs=1e-3 * k)

        guarded, rows = run("active", 5, guardrails={"max_replicas": [4, 4, 1, 4],
                                                     "slo": {"success_rate": 1.0, "p95_latency_ms": 1}})
        assert all(x["applied_replicas"][2] <= 1 for x in rows)
        assert all(x["source"] == "fallback" and x["applied_by"] == "hpa" for x in rows[1:])
        assert guarded["fallbacks"] == len(rows) - 1 and guarded["slo_breaches"] == len(rows)


def _actor_alive(service):
    return any("TrainingActor" in cmd for cmd in service.processes().values())


def test_cancel_stops_the_actor_within_5s(service):
    with service.client() as api:
        task_id = api.post("/training", json={"name": "long", "model_type": "ppo", "parameters": {},
                                              "total_episodes": 5000}).json()["task_id"]
        wait_for(lambda: api.get(f"/training/{task_id}").json()["current_episode"] > 0, 180)
        assert _actor_alive(service)
        t0 = time.monotonic()
        r = api.post(f"/training/{task_id}/cancel")
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        wait_for(lambda: not _actor_alive(service), 5, every=0.2)
        assert time.monotonic() - t0 <= 5.5
        assert api.get(f"/training/{task_id}").json()["status"] == "cancelled"
        assert api.post(f"/training/{task_id}/cancel").status_code == 409


def test_restart_keeps_tasks_and_resumes_interrupted_training(service):
    with service.client() as api:
        done = [t for t in api.get("/training?status=completed").json()["tasks"]]
        served = [m["model_id"] for m in api.get("/models?status=deployed").json()["models"]]
        task_id = api.post("/training", json={"name": "resume-me", "model_type": "ppo", "parameters": {},
                                              "total_episodes": 32}).json()["task_id"]
        # an autoscaler of a served policy (deployed above), shadowing HPA on its twin: it comes back too
        assert served, "the deploy test above leaves a served policy"
        auto = api.post("/autoscalers", json={"model_id": served[0], "target": {"speed": 600}})
        assert auto.status_code == 201, auto.text
        auto_id = auto.json()["autoscaler_id"]
        before = wait_for(lambda: (t := api.get(f"/training/{task_id}").json())["current_episode"] >= 8 and t, 180)
        auto_steps = wait_for(lambda: api.get(f"/autoscalers/{auto_id}").json()["summary"]["decisions"], 60)
    started = service.processes()
    assert any("raylet" in c for c in started.values()) and any("nx-27017" in c for c in started.values())
    assert service.stop() == 0
    wait_for(lambda: not alive(started), 30)  # nothing left behind
    service.start()
    with service.client() as api:
        for t in done:  # completed tasks and their models survive
            again = api.get(f"/training/{t['task_id']}").json()
            assert again["status"] == "completed" and again["model_id"] == t["model_id"]
        for model_id in served:  # served policies come back on the new Ray cluster
            wait_for(lambda: api.get(f"/models/{model_id}").json()["status"] == "deployed", 240)
            assert api.post(f"/models/{model_id}/predict", json={"observation": [0.3] * 28 + [0.0, 1.0]}
                            ).status_code == 200
        a = wait_for(lambda: (a := api.get(f"/autoscalers/{auto_id}").json())["summary"]["decisions"] > auto_steps + 2
                     and a, 240)
        assert a["status"] == "running", a
        stopped = api.post(f"/autoscalers/{auto_id}/stop").json()
        assert stopped["status"] == "stopped"
        rows = api.get(f"/autoscalers/{auto_id}/decisions", params={"per_page": 1000}).json()["decisions"]
        # it kept counting where it was: every step once, none twice, none skipped
        assert [x["step"] for x in rows] == list(range(stopped["summary"]["decisions"]))
        resumed = wait_for(lambda: (t := api.get(f"/training/{task_id}").json())["status"] in (
            "completed", "failed") and t, 300)
    assert resumed["status"] == "completed", resumed
    assert resumed["current_episode"] == 32 >= before["current_episode"]
    rewards = resumed["metrics"]["episode_rewards"]
    assert rewards[: before["current_episode"]] == before["metrics"]["episode_rewards"]


def test_second_up_refuses_while_one_runs(service):
    from .service import LWMECPS

    second = subprocess.run([LWMECPS, "up"], cwd=service.workdir, env=service.env, capture_output=True, text=True,
                            timeout=60)
    assert second.returncode == 1
    assert "already running" in second.stderr + second.stdout


def _five_node_csv(seed: int) -> str:
    """A measured day of 5 stations, 15-minute rows."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lines = ["timestamp,bs1,bs2,bs3,bs4,bs5"]
    for k in range(96):
        level = 11 + 8 * np.sin(2 * np.pi * (k / 96 - 0.3))
        lines.append(f"{1_700_000_000 + 900 * k}," + ",".join(f"{level * w + rng.uniform(0, 2):.2f}"
                                                           for w in (1.4, 1.0, 0.5, 1.2, 0.3)))
    return "\n".join(lines) + "\n"


FIVE_NODES = [{"name": f"bs{i + 1}", "cpu": c, "memory_mib": 16384} for i, c in enumerate((8, 8, 4, 8, 2))]
FIVE_LATENCY = [[0 if j == k else 3 + 10 * abs(j - k) for k in range(5)] for j in range(5)]


def test_a_users_own_cluster_end_to_end(service, tmp_path):
    """Upload a CSV trace with a 5-node topology (curl, as the README shows), train PPO on it, reconcile
    on a second uploaded group of the same shape, deploy and predict with 5 x 6 + 2 values; a 4-node
    model reconciled on it is a 400 naming both shapes."""
    trace = tmp_path / "edge5.csv"
    trace.write_text(_five_node_csv(0))
    curl = (f"curl -s -X POST {service.url}/groups -H 'Authorization: Bearer "
            f"{service.token()}' -F name=edge5 -F trace=@{trace} -F 'nodes={json.dumps(FIVE_NODES)}' "
            f"-F 'latency_ms={json.dumps(FIVE_LATENCY)}'")
    made = json.loads(subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=60).stdout)
    assert made["group_id"] == "edge5" and made["nodes"] == 5 and made["source"] == "trace", made
    with service.client() as api:
        rows = [[float(v) for v in line.split(",")[1:]] for line in _five_node_csv(1).splitlines()[1:]]
        r = api.post("/groups", json={"name": "edge5-tomorrow", "nodes": FIVE_NODES, "latency_ms": FIVE_LATENCY,
                                      "trace": {"slot_s": 900, "users": rows}})
        assert r.status_code == 201, r.text
        task_id = api.post("/training", json={"name": "on-edge5", "model_type": "ppo", "group_id": "edge5",
                                              "parameters": {}, "total_episodes": 8}).json()["task_id"]
        task = wait_for(lambda: (t := api.get(f"/training/{task_id}").json())["status"] in (
            "completed", "failed", "cancelled") and t, 300)
        assert task["status"] == "completed", task.get("error")
        # the first reconcile on new groups computes their baselines (tuned HPA, best static, causal oracle)
        rec = api.post(f"/training/{task_id}/reconcile", json={"sample_size": 24, "group_id": "edge5-tomorrow"},
                       timeout=400)
        assert rec.status_code == 200 and rec.json()["group_id"] == "edge5-tomorrow", rec.text
        assert set(rec.json()["costs"]) == {"edge5", "edge5-tomorrow"}
        four_node = next(m for m in api.get("/models").json()["models"] if m["name"] == "ppo-20")
        bad = api.post(f"/training/{four_node['task_id']}/reconcile", json={"sample_size": 24, "group_id": "edge5"})
        assert bad.status_code == 400 and "(4 nodes" in bad.json()["detail"] and "(5 nodes" in bad.json()["detail"]
        model_id = task["model_id"]
        assert api.post(f"/models/{model_id}/deploy", json={"replicas": 1}).status_code == 202
        wait_for(lambda: api.get(f"/models/{model_id}").json()["status"] == "deployed", 240)
        p = api.post(f"/models/{model_id}/predict", json={"observation": [0.3] * 35 + [0.0, 1.0]})
        assert p.status_code == 200 and len(p.json()["action"]) == 5, p.text
        assert api.post(f"/models/{model_id}/predict", json={"observation": [0.3] * 28 + [0.0, 1.0]}).status_code == 422
        assert api.delete("/groups/edge5").status_code == 409  # its model uses it
        # undeploy answers at once; the application is deleted in the background
        assert api.post(f"/models/{model_id}/undeploy", timeout=10).status_code == 202
        wait_for(lambda: api.get(f"/models/{model_id}").json()["deployment"]["state"] == "stopped", 60)


def test_sweep_through_the_api_registers_its_best_model(service):
    with service.client() as api:
        r = api.post("/sweeps", json={"model_type": "ppo", "num_samples": 1, "iterations": 1,
                                      "param_space": {"learning_rate": {"choice": [0.0003, 0.001]}}})
        assert r.status_code == 201, r.text
        sweep = wait_for(lambda: (s := api.get(f"/sweeps/{r.json()['sweep_id']}").json())["status"] != "running"
                         and s, 400)
        assert sweep["status"] == "completed", sweep
        assert len(sweep["results"]) == 1 and sweep["best_params"]["learning_rate"] in (0.0003, 0.001)
        model = api.get(f"/models/{sweep['model_id']}").json()
    assert model["type"] == "ppo" and model["status"] == "trained" and model["name"].startswith("sweep-ppo")
