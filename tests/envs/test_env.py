"""EdgeClusterEnv: registration, Gymnasium's checker, determinism, spaces and bad input."""
import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import lwmecps.envs as envs
from lwmecps.envs import ENV_ID, EdgeClusterEnv, GroupFileError, UnknownGroupError
from lwmecps.envs.edge_cluster import node_feature


def rollout(env, seed, steps=60, action_seed=1):
    rng = np.random.default_rng(action_seed)
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for _ in range(steps):
        obs, reward, _, _, info = env.step(rng.integers(0, env.action_space.nvec))
        out.extend([obs, np.array([reward, info["latency_ms"], info["p95_latency_ms"]])])
    return out


def test_make_with_group_and_seed():
    env = gym.make(ENV_ID, group="profile-a", seed=0)
    obs, info = env.reset()
    assert env.observation_space.contains(obs)
    assert isinstance(env.unwrapped, EdgeClusterEnv)
    for key in ("latency_ms", "p95_latency_ms", "throughput_rps", "success_rate", "replicas", "cost"):
        assert key in info


@pytest.mark.parametrize("group", envs.known_groups())
def test_gymnasium_env_checker_passes(group):
    check_env(gym.make(ENV_ID, group=group, seed=0).unwrapped)


def test_same_seed_same_trajectory_other_seed_differs():
    a = rollout(EdgeClusterEnv("profile-a"), seed=7)
    b = rollout(EdgeClusterEnv("profile-a"), seed=7)
    c = rollout(EdgeClusterEnv("profile-a"), seed=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_constructor_seed_is_the_first_reset_seed():
    a = gym.make(ENV_ID, group="profile-b", seed=3)
    b = EdgeClusterEnv("profile-b")
    assert np.array_equal(a.reset()[0], b.reset(seed=3)[0])


def test_episode_is_24h_of_steps_and_truncates():
    env = EdgeClusterEnv("profile-a")
    env.reset(seed=0)
    steps, done = 0, False
    while not done:
        _, _, terminated, truncated, _ = env.step(np.array([2, 2, 2, 2]))
        assert not terminated
        done = truncated
        steps += 1
    assert steps == 288  # 24 h / 300 s


def test_reward_is_minus_cost_per_step():
    env = EdgeClusterEnv("profile-a")
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.array([3, 3, 3, 3]))
    w = env.params.reward
    expected = (w.latency_per_100ms * info["latency_ms"] / 100 + w.replica * 12 + w.failure * info["failed_fraction"]
                + w.switch * info["switches"])
    assert reward == pytest.approx(-expected)
    assert info["switches"] == 8  # 1 -> 3 on four nodes


def test_observation_has_time_of_day_and_no_constants():
    env = EdgeClusterEnv("profile-a")
    obs = [env.reset(seed=0)[0]]
    rng = np.random.default_rng(0)
    for _ in range(100):
        obs.append(env.step(rng.integers(1, 5, 4))[0])
    obs = np.array(obs)
    assert (obs.std(axis=0) > 0).all()  # every feature moves
    assert np.allclose(obs[:, -2] ** 2 + obs[:, -1] ** 2, 1.0, atol=1e-6)


@pytest.mark.parametrize("window_s, steps", [(1800, 6), (300, 1), (3600, 12)])
def test_peak_load_is_the_largest_load_of_the_window(window_s, steps):
    """``obs[7j+6]`` is the largest ``obs[7j+1]`` of the last ``peak_window_s / decision_interval_s``
    observations (fewer right after reset), node by node."""
    env = EdgeClusterEnv("profile-a", params={"peak_window_s": window_s})
    rng = np.random.default_rng(1)
    loads, peaks = [], []
    obs, _ = env.reset(seed=3)
    for _ in range(40):
        loads.append(node_feature(obs, 4, "load"))
        peaks.append(node_feature(obs, 4, "peak_load"))
        obs = env.step(rng.integers(0, 5, 4))[0]
    loads, peaks = np.array(loads), np.array(peaks)
    want = np.array([loads[max(0, t - steps + 1): t + 1].max(axis=0) for t in range(len(loads))])
    assert np.allclose(peaks, np.minimum(want, 2.0), atol=1e-6)
    assert steps == 1 or (peaks > loads + 1e-6).any()  # a fallen load still reads high


def test_live_load_memory_keeps_the_window():
    from lwmecps.envs.config import EnvParams
    from lwmecps.envs.kubernetes import LoadMemory

    params = EnvParams.load({"peak_window_s": 900})  # 3 intervals
    memory = None
    for load in ([0.9, 0.1], [0.2, 0.3], [0.1, 0.2], [0.1, 0.1]):
        memory = LoadMemory.after(memory, np.array(load), params)
    assert memory.peak.tolist() == [0.2, 0.3] and len(memory.recent) == 3


@pytest.mark.parametrize("action, match", [
    (np.array([5, 1, 1, 1]), r"node 0 \(bs1\) takes 0..4 replicas, got 5"),
    (np.array([1, -1, 1, 1]), r"node 1 \(bs2\) takes 0..4 replicas, got -1"),
    (np.array([1, 1, 1]), "4 integer replica counts"),
    (np.array([1.5, 1, 1, 1]), "integer replica counts"),
    ([[1, 1, 1, 1]], "4 integer replica counts"),
])
def test_action_outside_space_is_a_clear_error(action, match):
    env = EdgeClusterEnv("profile-a")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        env.step(action)
    env.step(np.array([1, 1, 1, 1]))  # the env is still usable


def test_step_before_reset_is_a_clear_error():
    with pytest.raises(RuntimeError, match="reset"):
        EdgeClusterEnv("profile-a").step(np.array([1, 1, 1, 1]))


def test_unknown_group_names_the_known_ones():
    with pytest.raises(UnknownGroupError, match="unknown workload group 'nope'; known groups: .*profile-a, profile-b"):
        EdgeClusterEnv("nope")


@pytest.mark.parametrize("params, match", [
    ({"decision_interval_s": 0}, "decision_interval_s"),
    ({"service_rate_per_replica": -3}, "service_rate_per_replica"),
    ({"timeout_ms": 0}, "timeout_ms"),
    ({"reward": {"replica": -1}}, "reward.replica"),
    ({"bogus": 1}, "bogus"),
    ({"startup_delay_s": 900}, "startup_delay_s"),
    ({"decision_interval_s": 75}, "whole number of 10.0 s slots"),
    ({"initial_replicas": 9}, "initial_replicas=9 exceeds"),
    ({"pod_cpu": 16}, "cannot host one replica"),
])
def test_bad_params_are_clear_errors(params, match):
    with pytest.raises(ValueError, match=match):
        EdgeClusterEnv("profile-a", params=params)


def test_render_ansi():
    env = EdgeClusterEnv("profile-a", render_mode="ansi")
    env.reset(seed=0)
    env.step(np.array([1, 2, 3, 4]))
    assert "replicas=[1, 2, 3, 4]" in env.render()
    with pytest.raises(ValueError, match="render_mode"):
        EdgeClusterEnv("profile-a", render_mode="human")


def test_malformed_group_file(tmp_path):
    bad = tmp_path / "g.yaml"
    bad.write_text("name: g\nslot_s: 10\nslots: 8640\nnodes: []\n")
    with pytest.raises(GroupFileError, match="nodes"):
        envs.load_group_file(bad)
