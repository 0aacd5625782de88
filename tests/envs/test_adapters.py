"""Action adapters: exact round trips and validation."""
import itertools

import gymnasium as gym
import numpy as np
import pytest

from lwmecps.envs import ENV_ID, EdgeClusterEnv
from lwmecps.envs.adapters import ContinuousAction, FlatDiscreteAction


def test_flat_discrete_round_trip_over_every_configuration():
    env = FlatDiscreteAction(EdgeClusterEnv("profile-a"))
    assert env.action_space.n == 625
    seen = set()
    for replicas in itertools.product(range(5), repeat=4):
        i = env.from_replicas(replicas)
        assert env.to_replicas(i).tolist() == list(replicas)
        seen.add(i)
    assert seen == set(range(625))
    env.reset(seed=0)
    info = env.step(env.from_replicas([1, 2, 3, 4]))[4]
    assert info["replicas"].tolist() == [1, 2, 3, 4]


def test_continuous_round_trip_and_clipping():
    env = ContinuousAction(EdgeClusterEnv("profile-a"))
    for replicas in itertools.product(range(5), repeat=4):
        assert env.to_replicas(env.from_replicas(replicas)).tolist() == list(replicas)
    assert env.to_replicas([-5.0, 5.0, 0.0, 0.49]).tolist() == [0, 4, 2, 3]
    with pytest.raises(ValueError, match="finite"):
        env.to_replicas([np.nan, 0, 0, 0])
    env.reset(seed=0)
    assert env.step(np.array([1.0, -1.0, 0.0, 0.5], dtype=np.float32))[4]["replicas"].tolist() == [4, 0, 2, 3]


def test_adapters_validate(monkeypatch):
    env = FlatDiscreteAction(gym.make(ENV_ID, group="profile-a"))
    with pytest.raises(ValueError, match="outside 0..624"):
        env.to_replicas(625)
    with pytest.raises(ValueError, match="outside the space"):
        env.from_replicas([5, 0, 0, 0])
    monkeypatch.setattr(FlatDiscreteAction, "MAX_ACTIONS", 100_000)
    with pytest.raises(ValueError, match="would have 390625 actions"):
        FlatDiscreteAction(EdgeClusterEnv("synthetic-8"))
    with pytest.raises(TypeError, match="MultiDiscrete"):
        ContinuousAction(gym.make("CartPole-v1"))
