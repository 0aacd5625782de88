"""The batched simulator gives the same numbers as N single envs with the same seeds."""
import gymnasium as gym
import numpy as np
import pytest

from lwmecps.envs import ENV_ID, EdgeClusterEnv
from lwmecps.envs.vector import EdgeClusterVectorEnv


# 80 crosses into the multi-threaded kernel; alpha > 0 redraws station shares at every reset
@pytest.mark.parametrize("num_envs, alpha", [(3, 0.0), (80, 0.0), (5, 6.0), (80, 6.0)])
def test_batched_equals_single_envs_across_autoreset(num_envs, alpha):
    params = {"episode_hours": 1.0, "station_share_alpha": alpha}  # 12 steps: several autoresets
    seeds = [11 * i + 5 for i in range(num_envs)]
    venv = EdgeClusterVectorEnv(num_envs, group="profile-a", params=params)
    singles = [EdgeClusterEnv("profile-a", params=params) for _ in range(num_envs)]
    obs_v, _ = venv.reset(seed=seeds)
    obs_s = [env.reset(seed=s)[0] for env, s in zip(singles, seeds)]
    assert np.array_equal(obs_v, np.array(obs_s))
    rng = np.random.default_rng(0)
    pending = [False] * num_envs
    for _ in range(40):
        actions = rng.integers(0, 5, (num_envs, 4))
        obs_v, rew_v, term_v, trunc_v, info_v = venv.step(actions)
        for i, env in enumerate(singles):
            if pending[i]:  # NEXT_STEP autoreset: this step resets the sub-env
                obs, rew, trunc = env.reset()[0], 0.0, False
            else:
                obs, rew, _, trunc, info = env.step(actions[i])
                assert info_v["p95_latency_ms"][i] == info["p95_latency_ms"]
                assert np.array_equal(info_v["station_cost"][i], info["station_cost"])
            pending[i] = trunc
            assert np.array_equal(obs_v[i], obs)
            assert rew_v[i] == rew and trunc_v[i] == trunc and not term_v[i]


def test_make_vec_uses_the_batched_simulator():
    venv = gym.make_vec(ENV_ID, num_envs=4, vectorization_mode="vector_entry_point", group="profile-b")
    assert isinstance(venv.unwrapped, EdgeClusterVectorEnv)
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (4, 30)


def test_bad_vector_input():
    venv = EdgeClusterVectorEnv(2)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(2, 4\)"):
        venv.step(np.ones((3, 4), dtype=int))
    with pytest.raises(ValueError, match="takes 0..4 replicas, got 7"):
        venv.step(np.array([[1, 1, 1, 1], [7, 1, 1, 1]]))
    with pytest.raises(ValueError, match="2 seeds for 2 envs|got 3 seeds"):
        venv.reset(seed=[1, 2, 3])
    with pytest.raises(ValueError, match="batch must be a positive integer"):
        EdgeClusterVectorEnv(0)
