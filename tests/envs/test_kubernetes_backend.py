"""The live Kubernetes backend against a local FAKE API server (tests/envs/fake_kube.py)."""
import time

import numpy as np
import pytest

from lwmecps.envs import EdgeClusterEnv
from lwmecps.envs.kubernetes import KubeConfig, KubernetesBackendError
from lwmecps.envs.simulator import OBS_PER_NODE

from .fake_kube import FakeKube, make_tls


@pytest.fixture()
def fake():
    with FakeKube() as f:
        yield f


def make_env(fake, **kube):
    return EdgeClusterEnv("profile-a", backend="kubernetes",
                          kube={"host": fake.url, "stats_url": fake.url, "poll_s": 0.05, "ready_timeout_s": 2.0,
                                "request_timeout_s": 2.0, "observe_s": 0.0, **kube})


def patches(fake):
    return [(path.rsplit("/", 2)[-2], body["spec"]["replicas"]) for m, path, body in fake.requests if m == "PATCH"]


def test_scale_up_and_down_to_zero_for_real(fake):
    env = make_env(fake)
    sim = EdgeClusterEnv("profile-a")
    assert env.action_space == sim.action_space and env.observation_space == sim.observation_space
    obs, info = env.reset()
    assert set(info) == set(sim.reset(seed=0)[1]) and obs.shape == (30,)
    fake.requests.clear()
    obs, reward, terminated, truncated, info = env.step(np.array([3, 2, 0, 4]))
    assert patches(fake) == [("server-bs1", 3), ("server-bs2", 2), ("server-bs3", 0), ("server-bs4", 4)]
    assert fake.replicas == {"server-bs1": 3, "server-bs2": 2, "server-bs3": 0, "server-bs4": 4}
    _, _, _, _, sim_info = sim.step(np.array([3, 2, 0, 4]))
    assert set(info) == set(sim_info)  # the same info keys as the simulated backend
    assert info["replicas"].tolist() == [3, 2, 0, 4] and info["switches"] == 2 + 1 + 1 + 3
    assert info["station_cost"].sum() == pytest.approx(info["cost"], rel=1e-9)  # the shares sum to the cost
    assert 0 < info["success_rate"] < 1  # bs3 has no replica: its requests fail
    assert reward == -info["cost"] and not terminated and not truncated
    assert obs[2 * OBS_PER_NODE] == 0.0 and obs[0] == pytest.approx(3 / 4)
    assert env.observation_space.contains(obs)
    with pytest.raises(ValueError, match="outside the action space"):
        env.step(np.array([5, 0, 0, 0]))


def test_waits_for_readiness_then_times_out_clearly(fake):
    fake.ready_after = 0.3
    env = make_env(fake)
    env.reset()
    env.step(np.array([2, 2, 2, 2]))  # ready after 0.3 s: waited for
    fake.mode.add("never_ready")
    with pytest.raises(KubernetesBackendError, match=r"not ready within 2 s: server-bs1 0/3 ready"):
        env.step(np.array([3, 3, 3, 3]))


def test_forbidden_is_a_clear_error(fake):
    env = make_env(fake)
    fake.mode.add("forbid")
    with pytest.raises(KubernetesBackendError, match=r"scale deployment server-bs1 in edge to 1: .*403 .*rbac.yaml") as e:
        env.reset()
    assert e.value.retryable is False  # a refusal stays a refusal: an autoscaler fails at once


def test_dropped_connection_is_a_clear_error(fake):
    env = make_env(fake)
    fake.mode.add("drop")
    with pytest.raises(KubernetesBackendError, match="did not answer") as e:
        env.reset()
    assert e.value.retryable is True


def test_missing_nodes_and_stats_are_clear_errors(fake):
    with pytest.raises(KubernetesBackendError, match=r"nodes \['bs5', 'bs6', 'bs7', 'bs8'\] of group"):
        EdgeClusterEnv("synthetic-8", backend="kubernetes", kube={"host": fake.url})
    env = make_env(fake, stats_url="http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(KubernetesBackendError, match="stats endpoint"):
        env.reset()
    with pytest.raises(ValueError, match="backend 'docker'"):
        EdgeClusterEnv("profile-a", backend="docker")


def test_readiness_waits_until_the_controller_has_seen_the_new_spec(fake):
    """Scaling to the count a deployment already runs: its stale status (the previous generation's)
    already reads "ready" — the step must wait until observedGeneration catches up."""
    env = make_env(fake)
    env.reset()  # every deployment at 1 (initial_replicas)
    fake.observe_after = 0.5
    t0 = time.monotonic()
    env.step(np.array([1, 1, 1, 1]))
    assert time.monotonic() - t0 >= 0.5
    fake.mode.add("never_ready")
    fake.observe_after = 10.0
    with pytest.raises(KubernetesBackendError, match=r"server-bs1 generation 4 not yet observed \(at 3\)"):
        env.step(np.array([1, 1, 1, 1]))


def test_observing_lasts_the_decision_interval_by_default(fake, monkeypatch):
    """Measured after serving one decision interval (300 s here), not at once (the old default 0)."""
    import types

    import lwmecps.envs.kubernetes as backend

    assert KubeConfig().observe_s is None
    env = EdgeClusterEnv("profile-a", backend="kubernetes", kube={"host": fake.url, "stats_url": fake.url})
    slept = []
    monkeypatch.setattr(backend, "time", types.SimpleNamespace(sleep=slept.append, monotonic=time.monotonic))
    env.reset()
    env.step(np.array([2, 2, 2, 2]))
    assert slept == [300.0, 300.0]  # reset's interval and the step's


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


def test_token_and_tls_of_a_real_api_server_are_honoured(tls):
    ca, cert, key = tls
    with FakeKube(token="s3cret-token", tls=(cert, key)) as api, FakeKube() as stats:
        base = {"host": api.url, "stats_url": stats.url, "poll_s": 0.05, "ready_timeout_s": 2.0,
                "request_timeout_s": 2.0, "observe_s": 0.0}
        env = EdgeClusterEnv("profile-a", backend="kubernetes", kube={**base, "token": "s3cret-token", "ca_cert": ca})
        env.reset()
        env.step(np.array([2, 3, 1, 0]))
        assert api.replicas["server-bs2"] == 3 and api.url.startswith("https://")
        assert "s3cret" not in repr(KubeConfig(**base, token="s3cret-token"))
        with pytest.raises(KubernetesBackendError, match="401") as wrong:
            EdgeClusterEnv("profile-a", backend="kubernetes", kube={**base, "token": "guess", "ca_cert": ca})
        assert "guess" not in str(wrong.value)
        with pytest.raises(KubernetesBackendError, match="401"):  # no token at all
            EdgeClusterEnv("profile-a", backend="kubernetes", kube={**base, "ca_cert": ca})
        with pytest.raises(KubernetesBackendError, match="did not answer .*SSL"):  # a CA that did not sign it
            EdgeClusterEnv("profile-a", backend="kubernetes", kube={**base, "token": "s3cret-token"})


def test_token_file(tls, tmp_path):
    ca, cert, key = tls
    (tmp_path / "token").write_text("from-a-file\n")
    with FakeKube(token="from-a-file", tls=(cert, key)) as api:
        # reading the nodes (capacities) needs the token: without it this is a 401 (above)
        env = EdgeClusterEnv("profile-a", backend="kubernetes", kube={
            "host": api.url, "stats_url": api.url, "token_file": str(tmp_path / "token"), "ca_cert": ca})
        assert len(env.action_space.nvec) == 4 and ("GET", "/api/v1/nodes", None) in api.requests
    with pytest.raises(KubernetesBackendError, match="token_file"):
        EdgeClusterEnv("profile-a", backend="kubernetes", kube={"host": api.url, "token_file": str(tmp_path / "none")})
