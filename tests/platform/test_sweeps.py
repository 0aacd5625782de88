"""Sweeps: search spaces on the right RLlib keys, the notebook end to end, bad sweeps through the API."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from lwmecps.platform.sweeps import search_space, tune_param_space
from lwmecps.platform.training.registry import COMMON_PARAMS, ParameterError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("model_type", ["ppo", "dqn", "sac", "td3", "q_learning", "appo", "impala", "tqc"])
def test_every_sweepable_parameter_names_real_config_keys(model_type):
    from lwmecps.platform.training.registry import MODEL_TYPES, build_config, rllib_keys

    config = build_config(model_type, {}, "profile-a").to_dict()
    accepted = set(MODEL_TYPES[model_type].validate({k: v for k, v in MODEL_TYPES[model_type].defaults().items()}))
    for key, targets in rllib_keys(model_type).items():
        assert all(t in config for t in targets), (key, targets)
    structural = {k for k, p in MODEL_TYPES[model_type].extra.items() if not p.sweepable}  # e.g. network
    assert set(rllib_keys(model_type)) >= accepted - set(COMMON_PARAMS) - structural


def test_search_spaces_land_on_the_rllib_keys():
    from ray.tune.search.sample import Float, Function

    _, space = tune_param_space("ppo", {"learning_rate": {"loguniform": [1e-4, 1e-3]}, "epochs": 3}, "profile-a")
    assert isinstance(space["lr"], Float) and space["num_epochs"] == 3
    _, sac = tune_param_space("sac", {"learning_rate": {"uniform": [1e-4, 1e-3]}}, "profile-a")
    assert isinstance(sac["actor_lr"], Float) and isinstance(sac["critic_lr"], Function)  # one sample for both


@pytest.mark.parametrize("space, words", [
    ({"momentum": {"uniform": [0, 1]}}, "cannot sweep 'momentum'"),
    ({"learning_rate": {"loguniform": [0, 1]}}, "low > 0"),
    ({"learning_rate": {"uniform": [1, 0]}}, "low < high"),
    ({"learning_rate": {"normal": [0, 1]}}, "a search space is one of"),
    ({"epochs": {"choice": []}}, "non-empty list"),
    ({"network": {"choice": ["mlp", "symmetric"]}}, "cannot sweep 'network'"),  # structure, not a config key
])
def test_bad_search_spaces(space, words):
    with pytest.raises(ParameterError, match=words):
        tune_param_space("ppo", space, "profile-a")


def test_plain_values_pass_through():
    assert search_space(0.5) == 0.5 and search_space([1, 2]) == [1, 2]


@pytest.mark.timeout(900)
def test_notebook_runs_and_registers_the_best_model(nx_uri, tmp_path):
    """examples/sweep.ipynb with a tiny budget, in its own kernel and its own Ray."""
    import nbformat
    from nbclient import NotebookClient

    from lwmecps.platform.store import Store

    db = f"nb{uuid.uuid4().hex[:8]}"
    env = {"SWEEP_SAMPLES": "2", "SWEEP_ITERATIONS": "2", "MONGODB_URI": nx_uri, "LWMECPS_MONGODB_DB": db,
           "LWMECPS_ARTIFACTS_DIR": str(tmp_path / "artifacts"), "LWMECPS_WANDB_DIR": str(tmp_path),
           "RAY_ADDRESS": "", "WANDB_MODE": "offline"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    os.environ.pop("RAY_ADDRESS")
    try:
        nb = nbformat.read(ROOT / "examples" / "sweep.ipynb", as_version=4)
        NotebookClient(nb, timeout=800, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    table = nb.cells[4].outputs[0]["data"]
    assert "cost" in table["text/plain"] and "learning_rate" in table["text/html"]
    assert (tmp_path / "sweep_cost.png").stat().st_size > 1000
    printed = "".join(o.get("text", "") for o in nb.cells[6].outputs)
    model_id = printed.split("registered as model ")[1].split()[0]
    model = Store(nx_uri, db).models.get(__import__("bson").ObjectId(model_id))
    assert model["type"] == "ppo" and model["status"] == "trained" and Path(model["checkpoint"]).exists()
    assert 0 <= model["metrics"]["accuracy"] <= 1
    assert list((tmp_path / "wandb").glob("offline-run-*"))  # every trial logged to W&B offline


def test_sweep_cli_rejects_a_bad_space():
    lwmecps = str(Path(sys.executable).parent / "lwmecps")
    out = subprocess.run([lwmecps, "sweep", "--space", '{"momentum": 0.9}'], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2 and "cannot sweep 'momentum'" in out.stdout + out.stderr


def test_asha_scheduler_and_bad_scheduler_names():
    from ray.tune.schedulers import ASHAScheduler

    from lwmecps.platform.sweeps import trial_scheduler

    assert trial_scheduler(None, 20) is None
    asha = trial_scheduler("asha", 20)
    assert isinstance(asha, ASHAScheduler) and asha._max_t == 20
    assert [rung for rung, _ in asha._brackets[0]._rungs] == [20, 10, 5]  # grace 20 // 4, halving
    with pytest.raises(ParameterError, match="unknown scheduler 'hyperband'; schedulers: asha"):
        trial_scheduler("hyperband", 20)


def test_each_trial_reserves_its_whole_footprint():
    """Tune's placement group per trial is the algorithm's resource request: actor + runners + learners."""
    from ray.rllib.algorithms.ppo import PPO

    from lwmecps.platform.settings import Settings
    from lwmecps.platform.sweeps import trial_footprint, tune_param_space

    settings = Settings(training_num_cpus=0.5)
    footprint = trial_footprint("ppo", {"num_env_runners": 2, "num_cpus_per_env_runner": 1.0}, settings)
    _, space = tune_param_space("ppo", {"learning_rate": 0.001}, "profile-a", footprint=footprint)
    bundles = PPO.default_resource_request(space).bundles
    assert [b["CPU"] for b in bundles] == [0.5, 1.0, 1.0] and sum(b["CPU"] for b in bundles) == footprint.cpus
    with pytest.raises(ParameterError, match="own copy of the table"):
        trial_footprint("q_learning", {"num_learners": 2}, settings)
    with pytest.raises(ParameterError, match="'num_env_runners'=-1 is outside"):
        trial_footprint("ppo", {"num_env_runners": -1}, settings)
    with pytest.raises(ParameterError, match="unknown resource key\\(s\\) 'num_runners'"):
        trial_footprint("ppo", {"num_runners": 2}, settings)
    with pytest.raises(ParameterError, match="unknown resource key\\(s\\) 'learning_rate'"):
        trial_footprint("ppo", {"learning_rate": 0.1}, settings)
