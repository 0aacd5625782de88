"""The per-task wall-clock limit: a training that runs past it ends `failed`, naming the limit."""
import threading
import uuid

import pytest

from lwmecps.platform.settings import Settings
from lwmecps.platform.store import Store
from lwmecps.platform.training.runner import TrainingRun


@pytest.mark.timeout(300)
def test_training_past_the_wall_clock_limit_fails_with_the_reason(ray_local, nx_uri, tmp_path):
    settings = Settings(mongodb_uri=nx_uri, mongodb_db=f"lim{uuid.uuid4().hex[:8]}", artifacts_dir=tmp_path / "a",
                        wandb_dir=tmp_path, max_training_seconds=0.5)
    store = Store(settings.mongo_uri(), settings.mongodb_db).init()
    task = store.tasks.create({"name": "slow", "model_type": "ppo", "parameters": {}, "total_episodes": 1000,
                               "group_id": "profile-a"})
    store.tasks.transition(task["_id"], ("created",), "running")
    assert TrainingRun(str(task["_id"]), settings, threading.Event()).run() == "failed"
    done = store.tasks.get(task["_id"])
    assert done["status"] == "failed" and done["current_episode"] < 1000
    assert "wall-clock limit of 0.5 s (LWMECPS_MAX_TRAINING_SECONDS)" in done["error"]
