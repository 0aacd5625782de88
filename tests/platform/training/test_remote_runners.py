"""Every model type through the task path with 2 remote EnvRunner actors (``num_env_runners=2``):
it completes with exactly ``total_episodes`` episodes counted across the runners, the task reports
where its runners run, and the checkpoint's restored policy acts as the trained one did."""
import threading
import uuid

import pytest
from bson import ObjectId

from lwmecps.platform.algorithms.inference import load_policy
from lwmecps.platform.settings import Settings
from lwmecps.platform.store import Store
from lwmecps.platform.training import resources
from lwmecps.platform.training.quality import model_quality
from lwmecps.platform.training.registry import MODEL_TYPES, get_model_type
from lwmecps.platform.training.runner import TrainingRun

# one iteration's worth or a little more: q_learning samples 2304 steps (8 episodes) per iteration
EPISODES = {"q_learning": 10, "ppo": 10, "appo": 6, "impala": 6}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("model_type", list(MODEL_TYPES))
def test_trains_with_two_remote_env_runners(model_type, ray_local, nx_uri, tmp_path):
    settings = Settings(mongodb_uri=nx_uri, mongodb_db=f"rr{uuid.uuid4().hex[:8]}", artifacts_dir=tmp_path / "a",
                        wandb_dir=tmp_path, checkpoint_every_iterations=1000)
    store = Store(settings.mongo_uri(), settings.mongodb_db).init()
    params = {"num_env_runners": 2, "num_cpus_per_env_runner": 0.5, "num_envs_per_env_runner": 2}
    total = EPISODES.get(model_type, 4)
    task = store.tasks.create({"name": model_type, "model_type": model_type, "parameters": params,
                               "total_episodes": total, "group_id": "profile-a"})
    footprint = resources.resolve(get_model_type(model_type).resolve(params), settings, free_cpus=2.0)
    assert (footprint.env_runners, footprint.cpus) == (2, 2.0)
    store.tasks.transition(task["_id"], ("created",), "running", resources=footprint.as_doc())
    status = TrainingRun(str(task["_id"]), settings, threading.Event()).run()
    done = store.tasks.get(task["_id"])
    assert status == "completed", done.get("error")
    assert done["current_episode"] == total and len(store.tasks.episode_metrics(task["_id"])) == total
    nodes = done["resources"]["nodes"]
    assert len(nodes["env_runners"]) == 2 and all(n["node_id"] for n in nodes["env_runners"])
    # the dashboard's name for each runner says whose it is
    assert sorted(n["name"] for n in nodes["env_runners"]) == [
        f"EnvRunner(training:{task['_id']}, runner {i}/2)" for i in (1, 2)]
    assert done["env_steps"] >= total * 288 and done["env_steps_per_s"] > 0
    model = store.models.get(ObjectId(done["model_id"]))
    restored, _ = load_policy(model["checkpoint"])
    assert model_quality(restored, "profile-a")["cost"] == pytest.approx(model["metrics"]["cost"], rel=1e-12)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("model_type", ["ppo", "td3"])
def test_trains_with_two_learners(model_type, ray_local, nx_uri, tmp_path):
    """``num_learners=2``: torch DDP over two learner actors (TD3's delayed actor step included)."""
    settings = Settings(mongodb_uri=nx_uri, mongodb_db=f"rl{uuid.uuid4().hex[:8]}", artifacts_dir=tmp_path / "a",
                        wandb_dir=tmp_path, checkpoint_every_iterations=1000, training_num_cpus_per_learner=0.5)
    store = Store(settings.mongo_uri(), settings.mongodb_db).init()
    # PPO: one iteration (8 episodes). TD3: 2 episodes of one env (576 steps), learning from step 540
    # on: ~36 DDP critic steps and their delayed actor steps (8 vectorised envs end every episode at
    # step 2304 of the run, whatever total_episodes is: 86 s of the CI). One env per runner also
    # finishes one episode per iteration, which Ray reports as an item, not a list (callbacks.py).
    td3 = {"num_envs_per_env_runner": 1, "learning_starts": 540}
    params = {"num_env_runners": 0, "num_learners": 2, **(td3 if model_type == "td3" else {})}
    total = {"ppo": 8, "td3": 2}[model_type]
    task = store.tasks.create({"name": model_type, "model_type": model_type, "parameters": params,
                               "total_episodes": total, "group_id": "profile-a"})
    footprint = resources.resolve(get_model_type(model_type).resolve(params), settings, free_cpus=2.0)
    store.tasks.transition(task["_id"], ("created",), "running", resources=footprint.as_doc())
    status = TrainingRun(str(task["_id"]), settings, threading.Event()).run()
    done = store.tasks.get(task["_id"])
    assert status == "completed", done.get("error")
    assert done["current_episode"] == total and len(done["resources"]["nodes"]["learners"]) == 2
