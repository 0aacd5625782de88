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
