"""`lwmecps up` with RAY_ADDRESS: a training task completes on a Ray cluster the platform did not start."""
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lwmecps.platform.mongo_server import free_port

from .service import Service, wait_for

RAY = str(Path(sys.executable).parent / "ray")


@pytest.fixture()
def ray_head(tmp_path):
    """`ray start --head` on non-default ports with its own temp dir, stopped by its process group."""
    port = free_port()
    temp = tempfile.mkdtemp(prefix="rayh", dir="/tmp")
    log = open(tmp_path / "ray-head.log", "wb")
    proc = subprocess.Popen([RAY, "start", "--head", f"--port={port}", "--num-cpus=2", f"--temp-dir={temp}",
                             "--include-dashboard=false", f"--ray-client-server-port={free_port()}",
                             f"--node-manager-port={free_port()}", f"--object-manager-port={free_port()}",
                             "--disable-usage-stats", "--block"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while subprocess.run([RAY, "status", f"--address={address}"], capture_output=True).returncode != 0:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "ray-head.log").read_text()[-2000:]
            time.sleep(1)
        yield address, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the head and every process it started
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.mark.timeout(600)
def test_training_completes_on_a_cluster_the_platform_did_not_start(ray_head, tmp_path):
    address, head = ray_head
    service = Service(tmp_path / "svc", api_port=free_port())
    (tmp_path / "svc").mkdir()
    service.env["RAY_ADDRESS"] = address
    service.start()
    try:
        assert f"attaching to {address}" in service.log.read_text()
        assert not any("raylet" in cmd for cmd in service.processes().values())  # no Ray of its own
        with service.client() as api:
            task_id = api.post("/training", json={"name": "attached", "model_type": "ppo", "parameters": {},
                                                  "total_episodes": 8}).json()["task_id"]
            task = wait_for(lambda: (t := api.get(f"/training/{task_id}").json())["status"] in (
                "completed", "failed", "cancelled") and t, 300)
        assert task["status"] == "completed", task
        assert task["model_id"] and len(task["metrics"]["episode_rewards"]) == 8
    finally:
        assert service.stop() == 0
    assert head.poll() is None  # the platform leaves the cluster it did not start running
