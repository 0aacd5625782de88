"""Load and crash recovery through `lwmecps up` (real Ray, Serve, nx-27017): 50 clients for 60 s on
the read routes while two trainings run and a model is served; then `kill -9` of every process of the
service mid-training, a restart, and nothing lost or stuck."""
import os
import signal
import threading
import time

import httpx
import numpy as np
import pytest

from lwmecps.platform.ports import free_port

from .service import Service, alive, wait_for

pytestmark = pytest.mark.timeout(900)
CLIENTS, SECONDS = 50, 60.0


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """The service with a finished task, its model deployed, and two long trainings running."""
    service = Service(tmp_path_factory.mktemp("resilience"), api_port=free_port())
    service.env.update({"LWMECPS_MAX_CONCURRENT_TRAININGS": "2", "LWMECPS_TRAINING_NUM_CPUS": "0.8"})
    service.start()
    with service.client() as api:
        done = api.post("/training", json={"name": "done", "model_type": "ppo", "parameters": {},
                                           "total_episodes": 8}).json()["task_id"]
        task = wait_for(lambda: (t := api.get(f"/training/{done}").json())["status"] in (
            "completed", "failed") and t, 300)
        assert task["status"] == "completed", task
        assert api.post(f"/models/{task['model_id']}/deploy", json={"replicas": 1, "resources": {
            "cpu": "500m", "memory": "512Mi"}}).status_code == 202
        wait_for(lambda: api.get(f"/models/{task['model_id']}").json()["status"] == "deployed", 240)
        running = [api.post("/training", json={"name": f"long-{i}", "model_type": "ppo", "parameters": {},
                                               "total_episodes": 2000}).json()["task_id"] for i in range(2)]
        wait_for(lambda: all(api.get(f"/training/{t}").json()["current_episode"] >= 8 for t in running), 300)
    yield service, task, running
    service.stop()


def test_fifty_clients_on_the_read_routes_while_training_and_serving(busy):
    service, task, running = busy
    paths = [f"/training/{running[0]}", "/models", "/metrics", "/health", f"/models/{task['model_id']}/metrics",
             "/training?status=running"]
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + SECONDS

    def client(i: int) -> None:
        with httpx.Client(base_url=service.url, timeout=30,
                          headers={"Authorization": f"Bearer {service.token()}"}) as c:
            n = 0
            while time.monotonic() < deadline and n < 5000:
                path = paths[(i + n) % len(paths)]
                t0 = time.perf_counter()
                try:
                    r = c.get(path)
                    if r.status_code != 200:
                        errors.append(f"{path}: {r.status_code} {r.text[:100]}")
                except httpx.HTTPError as exc:
                    errors.append(f"{path}: {type(exc).__name__}")
                latencies.append(time.perf_counter() - t0)
                n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    lat = np.array(latencies) * 1000
    print(f"\nload: {len(lat)} requests in {SECONDS:.0f} s from {CLIENTS} clients, {len(lat) / SECONDS:.0f} req/s, "
          f"p50 {np.percentile(lat, 50):.0f} ms, p99 {np.percentile(lat, 99):.0f} ms, {len(errors)} errors")
    (service.workdir / "load.txt").write_text(f"p50_ms={np.percentile(lat, 50):.1f} p99_ms={np.percentile(lat, 99):.1f} "
                                              f"requests={len(lat)} errors={len(errors)}\n")
    assert not errors, errors[:10]
    assert len(lat) > CLIENTS  # every client got answers


def test_kill_9_mid_training_loses_nothing(busy):
    service, task, running = busy
    with service.client() as api:
        before = {t: api.get(f"/training/{t}").json() for t in running}
        model_before = api.get(f"/models/{task['model_id']}").json()
    assert all(b["status"] == "running" for b in before.values())
    victims = [service.proc.pid, *service.processes()]
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    service.proc.wait(10)
    wait_for(lambda: not alive(victims), 30)
    service.start()
    with service.client() as api:
        again = api.get(f"/training/{task['task_id']}").json()
        assert again["status"] == "completed" and again["model_id"] == task["model_id"]
        assert again["metrics"]["episode_rewards"] == task["metrics"]["episode_rewards"]
        model = api.get(f"/models/{task['model_id']}").json()
        # the model survives with the very checkpoint it had before the kill
        assert model["type"] == "ppo" and model["checkpoint"] == model_before["checkpoint"]

        def moved_on(t):
            """The task once it failed or went past where it was killed; None until then."""
            x = api.get(f"/training/{t}").json()
            failed = x["status"] == "failed"
            progressed = x["status"] == "running" and x["current_episode"] > before[t]["current_episode"]
            return x if failed or progressed else None

        for t in running:  # resumed from the last checkpoint: progress goes on from where it was
            resumed = wait_for(lambda t=t: moved_on(t), 300)
            # it goes on, or it failed saying why (never silently)
            assert resumed["status"] == "running" or (resumed["status"] == "failed" and resumed["error"]), resumed
            assert resumed["metrics"]["episode_rewards"][:8] == before[t]["metrics"]["episode_rewards"][:8]
        for t in running:
            api.post(f"/training/{t}/cancel")
        stuck = wait_for(lambda: api.get("/training?status=running").json()["total"] == 0, 60)
        assert stuck
        wait_for(lambda: api.get(f"/models/{task['model_id']}").json()["status"] == "deployed", 240)


def test_up_waits_for_the_proxy_serve_restarts_after_a_slow_start(tmp_path):
    """Serve's controller kills a proxy that has not answered its ready check in time (seen in CI: HAProxy
    on two CPUs busy with a training); ``up`` then waits for the proxy Serve starts next, not exit 1.
    Whether ``serve.start`` meets the killed proxy or already its successor depends on timing (a CI run
    met the successor: no retry, no message), so the test asserts that ``up`` serves, not which path it took;
    without the retry it failed here with ``lwmecps up exited with 1``. A later CI run got "connection refused"
    on the first request after ``ready``: the successor proxy was not listening yet, so ``up`` now says ready
    only once a request gets through (``runtime.wait_until_answering``)."""
    service = Service(tmp_path, api_port=free_port())
    service.env["RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S"] = "0.3"  # below any proxy's start: the first is killed
    try:
        service.start()
        with service.client() as client:
            assert client.get("/health").status_code == 200
    finally:
        code = service.stop()  # after a failed start too, whose error then propagates unmasked
    assert code == 0
