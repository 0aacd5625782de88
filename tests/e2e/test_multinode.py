"""The platform on a real multi-node Ray cluster (``tests/e2e/cluster.py``: a head and two worker
nodes, each its own raylet), attached through ``RAY_ADDRESS`` with Ray's token auth on every node
(``lwmecps up`` then starts no Ray of its own and leaves the cluster running when it stops):

* a PPO task with 2 EnvRunners: its runners sit on both worker nodes (Ray's state, through the
  task's ``resources.nodes``), it completes, and its episodes number exactly ``total_episodes``;
* ``kill -9`` of one worker's raylet mid-training: the runner is recreated on a node that is alive
  and the task completes with the exact episode count; a node started again joins and gets work;
* the admin token given to ``lwmecps up`` (``LWMECPS_ADMIN_TOKEN``) is accepted by the API however
  the ingress replica is placed (it is registered in the token store, not passed to the workers).
"""
import secrets

import httpx
import pytest

from lwmecps.platform.ports import free_port

from .cluster import RayCluster
from .service import Service, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = RayCluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.start_head(num_cpus=0)  # Ray's own work only, as a KubeRay head with num-cpus 0
        c.add_worker("w1", num_cpus=3)
        c.add_worker("w2", num_cpus=3)
        yield c
    finally:
        c.stop()


ADMIN = "lwm_" + secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def service(cluster, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("svc")
    svc = Service(workdir, api_port=free_port())
    svc.env.update(cluster.env)
    svc.env.update({"RAY_ADDRESS": cluster.address, "LWMECPS_ADMIN_TOKEN": ADMIN,
                    "LWMECPS_TRAINING_NUM_CPUS": "0.5"})
    svc.start()
    try:
        # attach mode: `lwmecps up` joins the cluster through RAY_ADDRESS and starts no Ray of its own
        assert f"attaching to {cluster.address}" in svc.log.read_text()
        assert not any("raylet" in cmd for cmd in svc.processes().values())
        # the control loop sits on the head (0 CPUs, as KubeRay heads often are), not on a worker that may die
        assert cluster.actor_node("scheduler") == cluster.head_node_id()
        yield svc
    finally:
        assert svc.stop() == 0
    assert cluster.nodes["head"].poll() is None  # it leaves the cluster it did not start running


def _get(api: httpx.Client, path: str):
    """GET that rides out a moment without an ingress replica (one was on the node that died)."""
    try:
        response = api.get(path)
    except httpx.TransportError:
        return None
    return response.json() if response.status_code == 200 else None


@pytest.mark.timeout(600)
def test_a_sweeps_trials_run_on_different_nodes(cluster, service):
    """Each trial reserves its whole footprint (2.5 CPUs: actor + 2 runners) as one packed placement
    group, which a 3-CPU worker holds once: the two trials run side by side, one per worker."""
    with service.client(token=ADMIN) as api:
        body = {"model_type": "ppo", "param_space": {"learning_rate": {"grid": [0.0003, 0.001]}}, "num_samples": 1,
                "iterations": 1, "resources": {"num_env_runners": 2, "num_cpus_per_env_runner": 1.0,
                                               "num_envs_per_env_runner": 1}}
        created = api.post("/sweeps", json=body)
        assert created.status_code == 201, created.text
        sweep_id = created.json()["sweep_id"]
        done = wait_for(lambda: (s := _get(api, f"/sweeps/{sweep_id}")) and s["status"] != "running" and s, 540)
    assert done["status"] == "completed", done.get("error")
    nodes = {row["node_id"] for row in done["results"]}
    assert nodes == {cluster.node_id("w1"), cluster.node_id("w2")}, done["results"]


@pytest.mark.timeout(900)
def test_training_spreads_over_workers_and_survives_a_lost_node(cluster, service):
    """Runner bundles (1 CPU) are placed before the actor's (0.5: Ray places a placement group's
    largest bundles first) on distinct nodes (SPREAD), and the head has no CPUs (as KubeRay heads
    often run): so the two runners sit one on each worker."""
    with service.client(token=ADMIN) as api:
        assert api.get("/health").status_code == 200
        body = {"name": "spread", "model_type": "ppo", "total_episodes": 64,
                "parameters": {"num_env_runners": 2, "num_cpus_per_env_runner": 1.0,
                               "num_envs_per_env_runner": 1}}
        task_id = api.post("/training", json=body).json()["task_id"]
        running = wait_for(lambda: (t := _get(api, f"/training/{task_id}")) and t["status"] == "running"
                           and (t.get("resources") or {}).get("nodes") and t["current_episode"] >= 2 and t, 300)
        workers = {cluster.node_id("w1"): "w1", cluster.node_id("w2"): "w2"}
        runner_nodes = [n["node_id"] for n in running["resources"]["nodes"]["env_runners"]]
        assert sorted(workers.get(n, n) for n in runner_nodes) == ["w1", "w2"], running["resources"]
        assert running["resources"]["env_runners"] == 2 and running["resources"]["cpus"] == 2.5

        lost = cluster.node_id("w2")
        cluster.kill_raylet("w2")  # the pod's kernel died: no goodbye
        cluster.wait_nodes(2)
        done = wait_for(lambda: (t := _get(api, f"/training/{task_id}")) and t["status"] in (
            "completed", "failed", "cancelled") and t, 600)
        assert done["status"] == "completed", done.get("error")
        assert len(done["metrics"]["episode_rewards"]) == done["current_episode"] == body["total_episodes"]
        # the lost runner was recreated on a node that is alive (the task refreshes where its
        # runners are after a restart)
        now_on = [n["node_id"] for n in done["resources"]["nodes"]["env_runners"]]
        assert len(now_on) == 2 and lost not in now_on, done["resources"]

        cluster.add_worker("w3", num_cpus=3)  # a node started again joins and gets work
        again = api.post("/training", json={**body, "name": "rejoined", "total_episodes": 4}).json()["task_id"]
        task = wait_for(lambda: (t := _get(api, f"/training/{again}")) and t["status"] in (
            "completed", "failed") and t, 600)
        assert task["status"] == "completed", task.get("error")
        w3 = cluster.node_id("w3")
        assert w3 in [n["node_id"] for n in task["resources"]["nodes"]["env_runners"]], task["resources"]
