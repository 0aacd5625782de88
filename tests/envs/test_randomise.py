"""Training-time workload randomisation: documented ranges, reproducible, and off by default."""
import numpy as np
import pytest

from lwmecps.envs import EdgeClusterEnv, EnvParams
from lwmecps.envs.randomise import episode_means, is_randomised, random_day
from lwmecps.envs.vector import EdgeClusterVectorEnv

BROAD = {"station_share_alpha": 40.0, "random_day_prob": 0.5, "day_shift_hours": 3.0, "day_amplitude_min": 0.6,
         "day_amplitude_max": 1.4, "load_level_min": 0.7, "load_level_max": 1.5}


def test_off_by_default_and_the_group_curve_is_used():
    env = EdgeClusterEnv("profile-a", params={"random_start": False})
    assert not is_randomised(env.params)
    env.reset(seed=0)
    assert np.array_equal(env.sim.episode_mean_users(), env.sim.means[: env.sim.steps_per_episode])


def test_random_day_has_mean_one_and_varies():
    rng = np.random.default_rng(0)
    days = np.array([random_day(rng, 288) for _ in range(200)])
    assert np.allclose(days.mean(axis=1), 1.0)
    assert (days > 0).all()
    peaks = days.argmax(axis=1) * 24 / 288
    assert np.histogram(peaks, bins=4, range=(0, 24))[0].min() >= 20  # peaks at every time of day
    ratio = days.max(axis=1) / days.min(axis=1)
    assert ratio.min() < 2.0 and ratio.max() > 5.0  # flat days and spiky ones


def test_episode_means_stay_in_the_documented_ranges():
    params = EnvParams.load(BROAD)
    env = EdgeClusterEnv("profile-a")
    means, shares = env.sim.means, env.sim.shares
    rng = np.random.default_rng(1)
    levels = np.array([episode_means(means, shares, params, rng).sum(axis=1).mean() for _ in range(400)])
    base = means.sum(axis=1).mean()
    # the daily mean moves only by the load level (amplitude keeps the mean unless it clips at 0)
    assert levels.min() >= 0.7 * base * 0.99 and levels.max() <= 1.5 * base * 1.01
    assert levels.min() < 0.8 * base and levels.max() > 1.35 * base


def test_a_multi_day_period_gets_the_same_random_day_every_day_and_a_daily_shift():
    means = np.tile(EdgeClusterEnv("profile-a").sim.means, (3, 1))  # a 3-day period
    shares = means.sum(axis=0) / means.sum()
    rng = np.random.default_rng(2)
    day = episode_means(means, shares, EnvParams.load({"random_day_prob": 1.0}), rng, intervals_per_day=288)
    assert day.shape == means.shape and np.allclose(day[:288], day[288:576]) and np.allclose(day[:288], day[576:])
    shifted = episode_means(means, shares, EnvParams.load({"day_shift_hours": 3.0}), rng, intervals_per_day=288)
    lag = int(np.flatnonzero([np.allclose(np.roll(means, k, axis=0), shifted) for k in range(-36, 37)])[0]) - 36
    assert abs(lag) <= 36  # at most 3 h of a 288-interval day, not 3 h of the 864-interval period x 3


def test_bad_ranges_are_rejected():
    with pytest.raises(ValueError, match="load_level_min must not exceed load_level_max"):
        EnvParams.load({"load_level_min": 2.0, "load_level_max": 1.0})
    with pytest.raises(ValueError, match="random_day_prob"):
        EnvParams.load({"random_day_prob": 1.5})


def test_vector_env_equals_single_envs_with_randomisation():
    vec = EdgeClusterVectorEnv(3, "profile-a", params=BROAD)
    singles = [EdgeClusterEnv("profile-a", params=BROAD) for _ in range(3)]
    obs, _ = vec.reset(seed=11)
    assert np.array_equal(obs, np.stack([e.reset(seed=11 + i)[0] for i, e in enumerate(singles)]))
    rng = np.random.default_rng(0)
    for _ in range(40):
        act = rng.integers(0, 5, (3, 4))
        obs, reward, *_ = vec.step(act)
        outs = [e.step(act[i]) for i, e in enumerate(singles)]
        assert np.array_equal(obs, np.stack([o[0] for o in outs]))
        assert np.allclose(reward, [o[1] for o in outs])
    # the planner sees the very users the simulator served
    assert singles[0].sim.episode_users().shape == (288, 4)


def test_hot_stations_keep_the_aggregate_and_heat_one_or_two_neighbours():
    env = EdgeClusterEnv("profile-a")
    means, shares = env.sim.means, env.sim.shares
    params = EnvParams.load({"hot_station_prob": 1.0})
    assert is_randomised(params)
    rng = np.random.default_rng(3)
    counts = set()
    for _ in range(200):
        out = episode_means(means, shares, params, rng)
        assert np.allclose(out.sum(axis=1), means.sum(axis=1))  # only the split moves
        ratio = (out.sum(axis=0) / out.sum()) / shares  # each station's weight against its group share
        hot = np.flatnonzero(ratio > ratio.min() * 1.2)
        assert 1 <= len(hot) <= 2 and ratio.max() / ratio.min() <= 3.5 * 1.001
        if len(hot) == 2:  # neighbours on the ring
            assert (hot[1] - hot[0]) % 4 in (1, 3)
        counts.add(len(hot))
    assert counts == {1, 2}
    never = EnvParams.load({"hot_station_prob": 0.0, "station_share_alpha": 40.0})
    rng_a, rng_b = np.random.default_rng(4), np.random.default_rng(4)
    assert np.array_equal(episode_means(means, shares, never, rng_a),
                          episode_means(means, shares, EnvParams.load({"station_share_alpha": 40.0}), rng_b))
    with pytest.raises(ValueError, match="hot_station_prob"):
        EnvParams.load({"hot_station_prob": -0.1})
