"""W&B runs stay offline by default and never carry secrets."""
import json

from lwmecps.platform.settings import Settings
from lwmecps.platform.tracking import safe_config, start_run


def test_offline_run_without_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    settings = Settings(wandb_dir=tmp_path, admin_token="super-secret-admin")
    assert settings.wandb_mode == "offline"
    run = start_run(settings, project="p", name="n", group="profile-a", job_type="test",
                    config={"task_id": "x", "mongodb_uri": "mongodb://u:pw@h/", "api_token": "t0k", "lr": 0.1})
    run_id = run.id
    run.log({"episode_reward": -1.0})
    run.finish()
    assert list((tmp_path / "wandb").glob(f"offline-run-*-{run_id}"))
    blob = b"".join(p.read_bytes() for p in (tmp_path / "wandb").rglob("*") if p.is_file())
    for secret in (b"super-secret-admin", b"u:pw", b"t0k"):
        assert secret not in blob


def test_safe_config_drops_secret_like_keys():
    assert safe_config({"lr": 1, "WANDB_API_KEY": "k", "mongo_uri": "u", "db_password": "p"}) == {"lr": 1}
    assert json.dumps(safe_config({"token": "x"})) == "{}"


def test_online_only_with_a_key():
    assert Settings(wandb_api_key="abc").wandb_mode == "online"
    assert "abc" not in repr(Settings(wandb_api_key="abc"))


LAUNCHER = """
import os, subprocess, sys
from lwmecps.platform.runtime import export_settings
from lwmecps.platform.settings import Settings
from lwmecps.platform.tracking import start_run

settings = Settings(wandb_dir=sys.argv[1], data_dir=sys.argv[1] + "/data", artifacts_dir=sys.argv[1] + "/a")
held = start_run(settings, project="p", name="held", group="g", job_type="test", config={})
assert os.environ.get("WANDB_SERVICE")  # an open run leaves its wandb-core's token here
if sys.argv[2] == "up":
    export_settings(settings.resolved())
resume = ("from lwmecps.platform.settings import Settings; from lwmecps.platform.tracking import start_run; "
          f"r = start_run(Settings(wandb_dir={sys.argv[1]!r}), project='p', name='again', group='g', "
          f"job_type='test', config={{}}, run_id={held.id!r}); print(r.id); r.finish()")
child = subprocess.run([sys.executable, "-c", resume], capture_output=True, text=True, timeout=120)
held.finish()
print("RESUMED" if child.returncode == 0 and child.stdout.strip() == held.id else "FAILED " + child.stderr[-300:])
"""


def test_a_launched_service_does_not_log_through_its_launchers_wandb(tmp_path):
    """A process with a W&B run open keeps its wandb-core's token in WANDB_SERVICE, which children
    inherit. ``lwmecps up`` started from it (``export_settings``) drops the token, so its Ray workers
    start their own service: a task resumed under its stored run id resumes it. Through the
    launcher's service the id is "in use" while the launcher keeps it open (the control run)."""
    import subprocess
    import sys

    def launch(mode: str) -> str:
        out = subprocess.run([sys.executable, "-c", LAUNCHER, str(tmp_path / mode), mode], capture_output=True,
                             text=True, timeout=240)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout.strip().splitlines()[-1]

    assert launch("up") == "RESUMED"
    assert "is in use" in launch("inherit")
