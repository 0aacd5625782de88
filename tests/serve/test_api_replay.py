"""GET /api/v1/models/{id}/replay: a model's day beside baselines, on the very same workload."""
import numpy as np
import pytest

from .conftest import add_trained_model, snapshot

MISSING = "0123456789abcdef01234567"


@pytest.fixture(scope="module")
def day(nx_uri, tmp_path_factory, ppo_checkpoint):
    from .conftest import make_api

    api = make_api(nx_uri, tmp_path_factory.mktemp("replay"))
    _, model_id = add_trained_model(api.services, ppo_checkpoint)
    r = api.get(f"/api/v1/models/{model_id}/replay?seed=3&baselines=hpa,best-static,causal-oracle,static-2",
                headers=api.read)
    assert r.status_code == 200, r.text
    return api, model_id, r.json()


def test_every_run_covers_the_same_day_from_midnight(day):
    _, model_id, body = day
    assert body["model_id"] == model_id and body["group_id"] == "profile-a" and body["seed"] == 3
    assert list(body["policies"]) == ["model", "hpa", "best-static", "causal-oracle", "static-2"]
    steps = body["steps"]
    assert steps == 288 and body["interval_s"] == 300 and body["nodes"] == ["bs1", "bs2", "bs3", "bs4"]
    assert body["time_h"][0] == 0 and body["time_h"][-1] == pytest.approx(24 - 5 / 60, abs=1e-4)
    assert len(body["users"]) == steps and max(body["users"]) > 2 * min(body["users"])  # a day, not a flat hour
    assert body["load"] == body["policies"]["model"]["load"] and len(body["load"]) == steps
    for name, run in body["policies"].items():
        assert len(run["cost"]) == len(run["replicas"]) == len(run["load"]) == steps, name
        assert all(len(r) == 4 for r in run["replicas"]) and all(len(x) == 4 for x in run["load"])
        assert run["total_cost"] == pytest.approx(sum(run["cost"]), rel=1e-4)
        assert run["mean_cost"] == pytest.approx(run["total_cost"] / steps, rel=1e-4)
    assert {tuple(r) for r in body["policies"]["static-2"]["replicas"]} == {(2, 2, 2, 2)}
    assert len({tuple(r) for r in body["policies"]["best-static"]["replicas"]}) == 1
    assert len({tuple(r) for r in body["policies"]["hpa"]["replicas"]}) > 1  # it follows the load


def test_the_figures_are_the_simulators_for_that_day(day):
    """A baseline's replayed day costs exactly what ``evaluate`` measures for it on the same seed from
    midnight; the hindsight and planning baselines beat bare HPA on it, as everywhere."""
    from lwmecps.envs.baselines import HPAPolicy, evaluate

    runs = day[2]["policies"]
    hpa = evaluate(HPAPolicy(), "profile-a", seed=3, params={"random_start": False})
    assert runs["hpa"]["mean_cost"] == pytest.approx(hpa["cost"], rel=1e-4)
    assert np.mean(runs["hpa"]["latency_ms"]) == pytest.approx(hpa["latency_ms"], rel=1e-3)
    assert runs["causal-oracle"]["total_cost"] < runs["hpa"]["total_cost"]
    assert runs["best-static"]["total_cost"] <= runs["static-2"]["total_cost"]


def test_default_baselines_and_another_group(day):
    api, model_id, _ = day
    r = api.get(f"/api/v1/models/{model_id}/replay?group_id=profile-b", headers=api.read)
    assert r.status_code == 200, r.text
    assert list(r.json()["policies"]) == ["model", "hpa", "best-static", "causal-oracle"]
    assert r.json()["group_id"] == "profile-b"


@pytest.mark.parametrize("query, code, words", [
    ("baselines=oracle", 400, "unknown baseline 'oracle'"),
    ("baselines=hpa,nope", 400, "unknown baseline 'nope'"),
    ("baselines=static-9", 400, "static-9"),
    ("group_id=synthetic-8", 400, "8 nodes"),
    ("group_id=no-such-group", 400, "no-such-group"),
    ("seed=-1", 400, "seed=-1"),
    ("seed=abc", 422, "seed"),
])
def test_bad_replays_are_refused_and_change_nothing(day, query, code, words):
    api, model_id, _ = day
    before = snapshot(api.services)
    r = api.get(f"/api/v1/models/{model_id}/replay?{query}", headers=api.read)
    assert r.status_code == code, r.text
    assert words in str(r.json()["detail"])
    assert snapshot(api.services) == before


def test_replay_of_a_missing_model_and_without_a_token(day):
    api, _, _ = day
    r = api.get(f"/api/v1/models/{MISSING}/replay", headers=api.read)
    assert r.status_code == 404 and MISSING in r.json()["detail"]
    assert api.get(f"/api/v1/models/{MISSING}/replay").status_code == 401


def test_the_workload_is_the_same_whatever_the_replicas():
    """Why one ``users`` series serves every run: the day's users do not depend on the policy."""
    from lwmecps.envs import EnvParams
    from lwmecps.envs.baselines import HPAPolicy, StaticPolicy
    from lwmecps.platform.training.replay import trace

    params = EnvParams.load({"random_start": False})
    a, b = trace(HPAPolicy(), "profile-b", 5, params), trace(StaticPolicy(1), "profile-b", 5, params)
    assert a["users"] == b["users"] and a["time_h"] == b["time_h"] and a["time_h"][0] == 0
    assert a["replicas"] != b["replicas"] and a["cost"] != b["cost"]


def test_a_checkpoint_of_the_old_observation_layout_is_refused_before_any_work(day, ppo_checkpoint, tmp_path):
    """A checkpoint saved before ``obs_per_node`` was recorded observes 6 values per node: replay and
    reconcile answer 400, deploy 409, each naming both layouts; nothing is stored."""
    import json
    import shutil

    from lwmecps.envs.simulator import OBS_PER_NODE

    api = day[0]
    old = tmp_path / "old-layout"
    shutil.copytree(ppo_checkpoint, old)
    meta = json.loads((old / "lwmecps.json").read_text())
    meta.pop("obs_per_node")
    (old / "lwmecps.json").write_text(json.dumps(meta))
    task_id, model_id = add_trained_model(api.services, str(old), name="old-layout")
    before = snapshot(api.services)
    for verb, path, body, code in (
            ("get", f"/api/v1/models/{model_id}/replay", None, 400),
            ("post", f"/api/v1/training/{task_id}/reconcile", {"sample_size": 10}, 400),
            ("post", f"/api/v1/models/{model_id}/deploy", {"replicas": 1}, 409)):
        r = getattr(api, verb)(path, headers=api.admin, **({} if body is None else {"json": body}))
        assert r.status_code == code and "observes 6 values per node" in r.json()["detail"], (path, r.text)
        assert f"gives {OBS_PER_NODE}" in r.json()["detail"]
    assert snapshot(api.services) == before
