"""A user's own group (stored, not shipped) through the task path: the training actor loads it from
the store, a remote EnvRunner gets it in its env_config (no file on its node), and the checkpoint
knows its cluster's shape, so the policy loads and acts where the group cannot be looked up by name."""
import threading
import uuid

import numpy as np
import pytest
from bson import ObjectId

from lwmecps.envs import UnknownGroupError, load_group
from lwmecps.platform.algorithms.inference import load_policy, read_meta
from lwmecps.platform.services.groups import GroupService
from lwmecps.platform.settings import Settings
from lwmecps.platform.store import Store
from lwmecps.platform.training.runner import TrainingRun


def three_node_csv() -> str:
    lines = ["slot,edge-a,edge-b,edge-c"]
    for k in range(24):
        level = 10 + 8 * np.sin(2 * np.pi * k / 24)
        lines.append(f"{k},{level * 1.5:.1f},{level * 0.4:.1f},{level:.1f}")
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(600)
def test_a_task_trains_on_an_uploaded_group_with_a_remote_runner(ray_local, nx_uri, tmp_path):
    settings = Settings(mongodb_uri=nx_uri, mongodb_db=f"ug{uuid.uuid4().hex[:8]}", artifacts_dir=tmp_path / "a",
                        wandb_dir=tmp_path, checkpoint_every_iterations=1000)
    store = Store(settings.mongo_uri(), settings.mongodb_db).init()
    nodes = '[{"name": "edge-a", "cpu": 8, "memory_mib": 16384}, {"name": "edge-b", "cpu": 2, "memory_mib": 4096}, ' \
            '{"name": "edge-c", "cpu": 4, "memory_mib": 8192}]'
    GroupService(store).create_csv("three-edge", three_node_csv().encode(), slot_s="3600", nodes=nodes,
                                   latency_ms="[[0, 30, 3], [30, 0, 30], [3, 30, 0]]")
    with pytest.raises(UnknownGroupError):
        load_group("three-edge")  # not a shipped group: only the store has it
    task = store.tasks.create({"name": "mine", "model_type": "dqn", "parameters": {"num_env_runners": 1},
                               "total_episodes": 4, "group_id": "three-edge"})
    store.tasks.transition(task["_id"], ("created",), "running")
    status = TrainingRun(str(task["_id"]), settings, threading.Event()).run()
    done = store.tasks.get(task["_id"])
    assert status == "completed", done.get("error")
    assert len(done["resources"]["nodes"]["env_runners"]) == 1  # sampled in a remote EnvRunner
    model = store.models.get(ObjectId(done["model_id"]))
    assert model["group_id"] == "three-edge" and model["metrics"]["cost"] > 0
    meta = read_meta(model["checkpoint"])
    assert meta["max_replicas"] == [4, 1, 2] and meta["node_names"] == ["edge-a", "edge-b", "edge-c"]
    policy, _ = load_policy(model["checkpoint"])  # DQN's flat action inverted from the recorded shape
    replicas = policy.act(np.zeros(6 * 3 + 2, dtype=np.float32), None)
    assert len(replicas) == 3 and all(0 <= r <= m for r, m in zip(replicas, [4, 1, 2]))
