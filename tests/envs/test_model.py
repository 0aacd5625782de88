"""The cluster model's behaviour (DESIGN §4): queueing, timeouts, failover, capacity, dynamics."""

import numpy as np
import pytest
from scipy import integrate

from lwmecps.envs import EdgeClusterEnv
from lwmecps.envs.queueing import erlang_c, response_tail, tail_and_capped_mean, tail_and_density

QUIET = {"noise": False, "random_start": False, "retry_fraction": 0.0}


def run_interval(replicas, users=None, params=None, steps=1, prev=None):
    """One interval's info with the given replicas (first settling on ``prev`` to skip start-up)."""
    env = EdgeClusterEnv("profile-a", params={**QUIET, **(params or {})})
    env.reset(seed=0)
    if users is not None:
        env.sim.means[:] = users  # every interval of the day gets these users per station
        env.sim.cdf[:] = 0
    info = None
    for _ in range(steps):
        info = env.step(np.asarray(prev if prev is not None else replicas))[4]
    if prev is not None:
        info = env.step(np.asarray(replicas))[4]
    return info, env


# ---- queueing formulas ---------------------------------------------------------------------------

def test_erlang_c_known_values():
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 2.0) == pytest.approx(0.4444444, rel=1e-6)


@pytest.mark.parametrize("c, lam", [(1, 20.0), (3, 80.0), (4, 60.0), (2, 30.0)])
def test_tail_density_and_capped_mean_agree(c, lam):
    mu = 30.0
    cw, delta = erlang_c(c, lam / mu), c * mu - lam
    # the density integrates to the tail, and the capped mean is the integral of the tail
    for t in (0.01, 0.1, 0.5):
        dens_int = integrate.quad(lambda s: tail_and_density(s, mu, delta, cw)[1], t, 50)[0]
        assert dens_int == pytest.approx(response_tail(t, mu, delta, cw), rel=1e-6, abs=1e-12)
    tail, capped = tail_and_capped_mean(0.795, mu, delta, cw)
    assert capped == pytest.approx(integrate.quad(lambda s: response_tail(s, mu, delta, cw), 0, 0.795)[0], rel=1e-7)
    # uncapped mean response of M/M/c: 1/mu + C / (c mu - lam)
    assert tail_and_capped_mean(1e3, mu, delta, cw)[1] == pytest.approx(1 / mu + cw / delta, rel=1e-9)


@pytest.mark.parametrize("c, lam", [(1, 20.0), (2, 30.0), (4, 100.0), (3, 29.999999)])
def test_the_kernels_mixture_tail_is_the_tested_tail(c, lam):
    """The simulator's p95 kernel evaluates each station's tail inline (sharing exponentials across
    stations): for one station it must be ``queueing.tail_and_density`` itself (density per ms)."""
    from lwmecps.envs.simulator import C_CW, C_DELTA, C_FLAG, C_MU, C_NET, N_COMP, _mixture_tail

    mu, net = 30.0, 12.0
    comp = np.zeros((1, N_COMP))
    cw = erlang_c(c, lam / mu)
    comp[0, [C_MU, C_DELTA, C_CW, C_NET, C_FLAG]] = mu, c * mu - lam, cw, net, 0.0
    for x in (net + 0.5, net + 20.0, net + 150.0, net + 900.0):
        tail, dens = _mixture_tail(x, comp, np.ones(1), mu)
        want_tail, want_dens = tail_and_density((x - net) * 1e-3, mu, c * mu - lam, cw)
        assert tail == pytest.approx(want_tail, rel=1e-9, abs=1e-12)
        assert dens == pytest.approx(want_dens * 1e-3, rel=1e-6, abs=1e-12)


def test_mmc_tail_matches_a_simulation():
    rng = np.random.default_rng(0)
    c, mu, lam, n = 2, 30.0, 40.0, 300_000
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    service = rng.exponential(1 / mu, n)
    free = np.zeros(c)
    response = np.empty(n)
    for i in range(n):  # FCFS: each request takes the server that frees first
        k = free.argmin()
        start = max(arrivals[i], free[k])
        free[k] = start + service[i]
        response[i] = free[k] - arrivals[i]
    cw, delta = erlang_c(c, lam / mu), c * mu - lam
    for t in (0.05, 0.1, 0.2):
        assert (response[1000:] > t).mean() == pytest.approx(response_tail(t, mu, delta, cw), abs=0.01)


# ---- the model's behaviour -----------------------------------------------------------------------

def test_latency_grows_with_load():
    lat = [run_interval([2, 2, 2, 2], users=u)[0]["latency_ms"] for u in (5, 15, 25)]
    assert lat[0] < lat[1] < lat[2]
    assert 5 < lat[0] < 100  # tens of ms when lightly loaded


def test_above_capacity_requests_time_out():
    ok, _ = run_interval([1, 1, 1, 1], users=10)  # 21 req/s on 30 req/s per node
    over, _ = run_interval([1, 1, 1, 1], users=20)  # 43 req/s > 30 req/s
    assert ok["success_rate"] > 0.99
    assert over["success_rate"] == 0.0 and over["latency_ms"] == pytest.approx(800.0)
    near, _ = run_interval([1, 1, 1, 1], users=13.6)  # rho = 0.97: the Erlang tail bites
    assert 0.0 < near["success_rate"] < ok["success_rate"]
    assert over["p95_latency_ms"] == pytest.approx(800.0)


def test_station_without_replica_fails_over_and_pays_hops():
    params = {"hop_latency_ms": 60.0}
    own, env = run_interval([1, 1, 1, 1], users=3, params=params)
    moved, env = run_interval([1, 0, 1, 1], users=3, params=params)
    lat_moved = env.sim.node_out[0, :, 1]
    assert lat_moved[1] >= 60.0 + 5.0  # one hop (bs2 -> bs3) plus the base network
    assert lat_moved[1] - lat_moved[2] == pytest.approx(60.0, abs=1.0)  # same queue, one hop more
    two_hops, env = run_interval([1, 0, 0, 1], users=3, params=params)
    assert env.sim.node_out[0, 1, 1] - env.sim.node_out[0, 3, 1] == pytest.approx(120.0, abs=1.0)
    assert moved["latency_ms"] > own["latency_ms"]


def test_station_costs_sum_to_the_cost_and_stay_local():
    env = EdgeClusterEnv("profile-a", params={"hop_latency_ms": 60.0})
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(60):  # zeros included: stations fail over, their users cost on other nodes
        info = env.step(rng.integers(0, 5, 4))[4]
        assert info["station_cost"].sum() == pytest.approx(info["cost"], rel=1e-9)
        assert (info["station_cost"] > 0).all()
    # with every node serving its own station, another node's replicas leave station 0's cost alone
    other, _ = run_interval([2, 1, 4, 3], users=8, prev=[2, 2, 2, 2])
    settled, _ = run_interval([2, 2, 2, 2], users=8, prev=[2, 2, 2, 2])
    assert other["station_cost"][0] == pytest.approx(settled["station_cost"][0], rel=1e-9)
    assert other["station_cost"][2] > settled["station_cost"][2]  # 2 more replicas and 2 switches


def test_all_zero_replicas_nothing_succeeds():
    info, _ = run_interval([0, 0, 0, 0], users=10)
    assert info["success_rate"] == 0.0
    assert info["throughput_rps"] == 0.0
    assert info["latency_ms"] == pytest.approx(800.0)


def test_capacity_limits_hold():
    env = EdgeClusterEnv("profile-a", params={"pod_cpu": 3.0})  # 8-core nodes: 2 replicas of 3 cores
    assert env.action_space.nvec.tolist() == [3, 3, 3, 3]
    env.reset(seed=0)
    with pytest.raises(ValueError, match="takes 0..2 replicas"):
        env.step(np.array([3, 1, 1, 1]))
    env2 = EdgeClusterEnv("profile-a", params={"pod_memory_mib": 6000})  # 16 GiB: 2 by memory
    assert env2.action_space.nvec.tolist() == [3, 3, 3, 3]
    rng = np.random.default_rng(0)
    env.step(np.array([2, 2, 2, 2]))
    for _ in range(50):
        info = env.step(rng.integers(0, 3, 4))[4]
        assert (info["replicas"] <= 2).all()


def test_added_replica_serves_only_after_startup():
    # settle on 1 per node under a load that needs 2, then scale up: the start-up share runs on 1
    settled, _ = run_interval([2, 2, 2, 2], users=18, steps=3)
    scaled, _ = run_interval([2, 2, 2, 2], users=18, prev=[1, 1, 1, 1], steps=3)
    assert scaled["failed_fraction"] == pytest.approx(0.2, abs=0.02)  # 60 s of 300 s overloaded
    assert settled["failed_fraction"] < 0.01
    instant, _ = run_interval([2, 2, 2, 2], users=18, prev=[1, 1, 1, 1], steps=3, params={"startup_delay_s": 0})
    assert instant["failed_fraction"] == pytest.approx(settled["failed_fraction"])


def test_switching_has_a_cost():
    a, _ = run_interval([2, 2, 2, 2], users=5, prev=[2, 2, 2, 2])
    b, _ = run_interval([2, 2, 2, 2], users=5, prev=[3, 3, 3, 3])  # removal: immediate, but costs
    assert b["cost"] - a["cost"] == pytest.approx(4 * 0.05)


def test_overload_backlog_carries_into_next_interval_bounded():
    env = EdgeClusterEnv("profile-a", params={"noise": False, "random_start": False})
    env.reset(seed=0)
    env.sim.means[:] = 20  # 43 req/s per station: a single replica is overloaded
    first = env.step(np.array([1, 1, 1, 1]))[4]
    second = env.step(np.array([1, 1, 1, 1]))[4]
    assert second["arrival_rps"] > first["arrival_rps"]  # retries of the timed-out requests
    cap = 60.0 * 4 * 30.0 / 300.0  # backlog_cap_s x full node rate / interval, per station
    assert second["arrival_rps"] - 4 * 20 * 2.146 <= 4 * cap + 1e-9
    relief = env.step(np.array([4, 4, 4, 4]))[4]  # its first 60 s still run on 1 replica
    env.step(np.array([4, 4, 4, 4]))
    after = env.step(np.array([4, 4, 4, 4]))[4]
    assert relief["arrival_rps"] > after["arrival_rps"] == pytest.approx(4 * 20 * 2.146)


def test_noise_is_poisson_around_the_mean():
    env = EdgeClusterEnv("profile-a", params={"random_start": False})
    env.reset(seed=0)
    realised = env.sim.episode_users()
    means = env.sim.episode_mean_users()
    z = (realised - means) / np.sqrt(np.maximum(means, 1e-9))
    assert abs(z.mean()) < 0.1 and 0.85 < z.std() < 1.15
    env.reset(seed=1)
    assert not np.array_equal(env.sim.episode_users(), realised)  # a new draw per episode


def test_station_shares_redrawn_per_episode_keep_the_aggregate():
    env = EdgeClusterEnv("profile-a", params={"station_share_alpha": 6.0, "random_start": False})
    day = env.sim.means[: env.sim.steps_per_episode]
    shares = []
    for seed in range(300):
        env.reset(seed=seed)
        means = env.sim.episode_mean_users()
        # the same daily load, split another way (the group's own split varies a little per interval)
        assert means.sum() == pytest.approx(day.sum(), rel=0.01)
        shares.append(means.sum(axis=0) / means.sum())
    shares = np.array(shares)
    assert np.allclose(shares.mean(axis=0), env.sim.shares, atol=0.01)  # centred on the group's shares
    assert (shares.std(axis=0) > 0.04).all()
    # the simulator serves exactly the users a planner replays, Poisson around the episode's means
    env.reset(seed=7)
    realised, means = env.sim.episode_users(), env.sim.episode_mean_users()
    for t in range(6):
        info = env.step(np.array([2, 2, 2, 2]))[4]
        assert info["users"] == realised[t].sum()
    z = (realised - means) / np.sqrt(means)
    assert abs(z.mean()) < 0.1 and 0.85 < z.std() < 1.15


def test_station_shares_fixed_by_default():
    env = EdgeClusterEnv("profile-a", params={"random_start": False})
    env.reset(seed=0)
    assert np.array_equal(env.sim.episode_mean_users(), env.sim.means[: env.sim.steps_per_episode])
