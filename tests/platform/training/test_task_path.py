"""Every model type through the platform's task path (TrainingRun, real store, Ray, W&B offline)."""
import threading
import uuid

import pytest

from lwmecps.envs.baselines import evaluate, make_policy
from lwmecps.platform.algorithms.inference import load_policy
from lwmecps.platform.settings import Settings
from lwmecps.platform.store import Store
from lwmecps.platform.training.quality import EVAL_EPISODES, EVAL_SEED, model_quality
from lwmecps.platform.training.registry import MODEL_TYPES
from lwmecps.platform.training.runner import TrainingRun

BUDGET = {"ppo": 16, "dqn": 24, "sac": 12, "td3": 12, "q_learning": 64}  # episodes: tiny, but enough to learn


SPEC_TYPES = {"q_learning", "dqn", "ppo", "sac", "td3"}  # the API spec's model types; extras: appo, impala, tqc


def test_every_spec_model_type_is_trainable_and_has_defaults():
    assert set(BUDGET) == SPEC_TYPES <= set(MODEL_TYPES)
    for name in MODEL_TYPES:
        assert MODEL_TYPES[name].resolve({}) == MODEL_TYPES[name].defaults()  # configs/algorithms/<type>.yaml


@pytest.fixture(scope="module")
def random_cost():
    return evaluate(make_policy("random"), "profile-a", seed=EVAL_SEED, episodes=EVAL_EPISODES)["cost"]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("model_type", list(BUDGET))
def test_trains_restores_and_beats_random(model_type, ray_local, nx_uri, tmp_path, random_cost):
    settings = Settings(mongodb_uri=nx_uri, mongodb_db=f"tp{uuid.uuid4().hex[:8]}", artifacts_dir=tmp_path / "a",
                        wandb_dir=tmp_path, checkpoint_every_iterations=1000)
    store = Store(settings.mongo_uri(), settings.mongodb_db).init()
    task = store.tasks.create({"name": model_type, "model_type": model_type, "parameters": {},
                               "total_episodes": BUDGET[model_type], "group_id": "profile-a"})
    store.tasks.transition(task["_id"], ("created",), "running")
    status = TrainingRun(str(task["_id"]), settings, threading.Event()).run()
    done = store.tasks.get(task["_id"])
    assert status == "completed", done.get("error")
    assert done["current_episode"] == BUDGET[model_type]
    assert len(store.tasks.episode_metrics(task["_id"])) == BUDGET[model_type]
    model = store.models.get(__import__("bson").ObjectId(done["model_id"]))
    # the inference module restored from the checkpoint acts exactly as the trained one did:
    # same greedy actions on the same evaluation workload -> the very same per-step costs
    restored, meta = load_policy(model["checkpoint"])
    assert meta["model_type"] == model_type
    again = model_quality(restored, "profile-a")
    assert again["cost"] == pytest.approx(model["metrics"]["cost"], rel=1e-12)
    assert again["accuracy"] == model["metrics"]["accuracy"]
    assert model["metrics"]["cost"] < random_cost
