"""RLlib PPO (new API stack) learns on the env: its greedy policy costs less than random's."""
import numpy as np
import pytest

from lwmecps.envs import EdgeClusterEnv
from lwmecps.envs.baselines import evaluate, make_policy
from lwmecps.platform.algorithms.inference import load_policy, save_checkpoint
from lwmecps.platform.algorithms.policy import RLModulePolicy


@pytest.mark.timeout(600)
def test_ppo_beats_random_after_a_few_iterations(ray_local, tmp_path):
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.tune.registry import register_env

    register_env("lwmecps-edge-smoke", lambda cfg: EdgeClusterEnv(**cfg))
    config = (
        PPOConfig()
        .environment("lwmecps-edge-smoke", env_config={"group": "profile-a"})
        .env_runners(num_env_runners=0, num_envs_per_env_runner=8)
        .training(lr=3e-4, gamma=0.99, lambda_=0.95, train_batch_size_per_learner=2304, minibatch_size=256,
                  num_epochs=6, vf_clip_param=1e4)
        .rl_module(model_config={"fcnet_hiddens": [64, 64]})
        .debugging(seed=0)
    )
    algo = config.build_algo()
    try:
        returns = [algo.train()["env_runners"]["episode_return_mean"] for _ in range(6)]
        policy = RLModulePolicy(algo.get_module())
        learned = evaluate(policy, "profile-a", seed=100, episodes=1)
        checkpoint = save_checkpoint(algo, tmp_path / "ckpt", {"model_type": "ppo", "group_id": "profile-a"})
    finally:
        algo.stop()
    # the inference RLModule alone, no Algorithm (and no scale-down guard: the module's own actions)
    restored, meta = load_policy(checkpoint, guard=False)
    assert meta["versions"]["ray"] == "2.60.0"
    env = EdgeClusterEnv("profile-a")
    obs, _ = env.reset(seed=5)
    for _ in range(100):
        action = policy.act(obs, env)
        assert np.array_equal(action, restored.act(obs, env))
        obs = env.step(action)[0]
    rand = evaluate(make_policy("random"), "profile-a", seed=100, episodes=1)
    assert returns[-1] > returns[0]
    assert learned["cost"] < rand["cost"]
