"""Every model type through the platform's task path (TrainingRun, real store, Ray, W&B offline),
and a learning test that can fail: the trained policy must cost at most ``LEARNED`` x best-static on
a fixed evaluation workload, a bar its own untrained module misses (checked in the same test), and
no less than the oracle's lower bound."""
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

# episodes: small, but enough to learn (measured with the defaults: ppo ~2.4-2.7 per step after 32,
# q_learning ~2.9 after 512; 2026-12-06, after 12: dqn 2.58, sac 2.51, td3 2.78 (were 24/32/24: 160 s of CI
# for sac alone); the bar is 3.62, untrained modules cost 6.6 and more; best-static 2.26)
BUDGET = {"ppo": 32, "dqn": 12, "sac": 12, "td3": 12, "q_learning": 512}
# TD3's default trains on hot-station days 60 % of the time (chosen at 240 s, td3.yaml): after 12 or 24 episodes it then
# cost 5.3-5.4 on profile-a in 2 of 3 runs (2026-12-07); this test checks that the learner learns, on profile-a's own days
PARAMS = {"td3": {"hot_station_prob": 0.0}}
LEARNED = 1.6  # x best-static: untrained modules cost 6.6 (sac: tanh ~0 -> 2 per node) to 18 (q_learning: 0 replicas)


SPEC_TYPES = {"q_learning", "dqn", "ppo", "sac", "td3"}  # the API spec's model types; extras: appo, impala, tqc


def test_every_spec_model_type_is_trainable_and_has_defaults():
    assert set(BUDGET) == SPEC_TYPES <= set(MODEL_TYPES)
    for name in MODEL_TYPES:
        assert MODEL_TYPES[name].resolve({}) == MODEL_TYPES[name].defaults()  # configs/algorithms/<type>.yaml


@pytest.fixture(scope="module")
def yardstick():
    """Costs on the evaluation workload: best-static (hindsight), the oracle bound and random."""
    best = make_policy("best-static").prepare("profile-a", EVAL_SEED, EVAL_EPISODES)
    return {name: evaluate(policy, "profile-a", seed=EVAL_SEED, episodes=EVAL_EPISODES)["cost"]
            for name, policy in (("best-static", best), ("oracle", make_policy("oracle")),
                                 ("random", make_policy("random")))}


def untrained_cost(model_type: str) -> float:
    """The same algorithm, built as the task builds it, before any training step, acting as a
    restored model acts (with the scale-down guard)."""
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.policy_adapters import acting_policy
    from lwmecps.platform.training.registry import build_config

    register()
    algo = build_config(model_type, {}, "profile-a").build_algo()
    try:
        policy = acting_policy(algo.get_module(), model_type, "profile-a")
        return evaluate(policy, "profile-a", seed=EVAL_SEED, episodes=EVAL_EPISODES)["cost"]
    finally:
        algo.stop()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("model_type", list(BUDGET))
def test_trains_restores_and_learns(model_type, ray_local, nx_uri, tmp_path, yardstick):
    settings = Settings(mongodb_uri=nx_uri, mongodb_db=f"tp{uuid.uuid4().hex[:8]}", artifacts_dir=tmp_path / "a",
                        wandb_dir=tmp_path, checkpoint_every_iterations=1000)
    store = Store(settings.mongo_uri(), settings.mongodb_db).init()
    task = store.tasks.create({"name": model_type, "model_type": model_type, "parameters": PARAMS.get(model_type, {}),
                               "total_episodes": BUDGET[model_type], "group_id": "profile-a"})
    store.tasks.transition(task["_id"], ("created",), "running")
    status = TrainingRun(str(task["_id"]), settings, threading.Event()).run()
    done = store.tasks.get(task["_id"])
    assert status == "completed", done.get("error")
    assert done["current_episode"] == BUDGET[model_type]
    episodes = store.tasks.episode_metrics(task["_id"])
    assert len(episodes) == BUDGET[model_type]
    # returns are the env's (-cost per step, each step costs well above 1), not the rescaled training
    # reward the algorithm learns from (-0.1 x (cost - 2.5): of order -0.5 per step)
    assert all(e["reward"] / e["steps"] < -1.0 for e in episodes)
    model = store.models.get(__import__("bson").ObjectId(done["model_id"]))
    # the inference module restored from the checkpoint acts exactly as the trained one did:
    # same greedy actions on the same evaluation workload -> the very same per-step costs
    restored, meta = load_policy(model["checkpoint"])
    assert meta["model_type"] == model_type
    again = model_quality(restored, "profile-a")
    assert again["cost"] == pytest.approx(model["metrics"]["cost"], rel=1e-12)
    assert again["accuracy"] == model["metrics"]["accuracy"]
    cost, bar = model["metrics"]["cost"], LEARNED * yardstick["best-static"]
    assert cost <= bar, f"{model_type} did not learn: {cost:.3f} > {LEARNED} x best-static {yardstick['best-static']:.3f}"
    assert cost < yardstick["random"] and cost >= yardstick["oracle"] * (1 - 1e-9)
    # the bar can fail: the very same algorithm before training misses it
    assert untrained_cost(model_type) > bar
