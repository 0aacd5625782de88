"""An in-process API over a real store (nx-27017) with a completed task and its model."""
import uuid

import pytest
from fastapi.testclient import TestClient

from lwmecps.platform.auth import create_token
from lwmecps.platform.services.container import Services
from lwmecps.platform.settings import Settings
from lwmecps.serve.api.app import create_app


def make_api(nx_uri, tmp_path, **overrides):
    settings = Settings(mongodb_uri=nx_uri, mongodb_db=f"api{uuid.uuid4().hex[:8]}", max_total_episodes=5000,
                        artifacts_dir=tmp_path / "artifacts", wandb_dir=tmp_path, **overrides)
    services = Services(settings)
    client = TestClient(create_app(services), raise_server_exceptions=False)
    client.admin = {"Authorization": f"Bearer {create_token(services.store.tokens, 'admin')}"}
    client.read = {"Authorization": f"Bearer {create_token(services.store.tokens, 'read')}"}
    client.services = services
    return client


def add_trained_model(services, checkpoint: str, name: str = "test-training", group: str = "profile-a"):
    """A completed task and its model record, as TrainingRun leaves them."""
    store = services.store
    task = store.tasks.create({"name": name, "model_type": "ppo", "parameters": {}, "total_episodes": 1,
                               "group_id": group})
    model = store.models.create({"name": name, "type": "ppo", "task_id": str(task["_id"]), "group_id": group,
                                 "checkpoint": checkpoint, "module_path": checkpoint,
                                 "metrics": {"accuracy": 0.25, "latency": 0.08, "cost": 3.0,
                                             "vs_best_static": 1.5, "vs_hpa_tuned": 1.25, "vs_oracle": 2.0}})
    store.tasks.transition(task["_id"], ("created",), "completed", model_id=str(model["_id"]), progress=1.0)
    return str(task["_id"]), str(model["_id"])


def snapshot(services):
    """Everything stored that a bad request must leave unchanged."""
    db = services.store.db
    return {c: sorted(map(repr, db[c].find({}, {"updated_at": 0}))) for c in ("tasks", "models", "reconciliations")}


@pytest.fixture()
def api(nx_uri, tmp_path):
    return make_api(nx_uri, tmp_path)
