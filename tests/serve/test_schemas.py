"""Each resource's responses validate straight from the document the store wrote (one mapping per resource,
on its schema): the ``_id`` is shown as the resource's id, what the schema does not declare is left out,
every timestamp is UTC with ``Z``, and a second validation (FastAPI's, against ``response_model``) changes
nothing."""
import uuid
from datetime import datetime

import pytest

from lwmecps.platform.services.groups import GroupService
from lwmecps.platform.store import Store
from lwmecps.serve.api.schemas import TaskRef, TrainingBase, TrainingCreated, TrainingStatus, TrainingSummary
from lwmecps.serve.api.schemas_autoscalers import AutoscalerOut
from lwmecps.serve.api.schemas_base import FromDoc
from lwmecps.serve.api.schemas_groups import GroupOut
from lwmecps.serve.api.schemas_models import ModelBase, ModelOut
from lwmecps.serve.api.schemas_reconcile import ReconcileResult
from lwmecps.serve.api.schemas_sweeps import SweepOut


@pytest.fixture(scope="module")
def store(nx_uri):
    return Store(nx_uri, f"t{uuid.uuid4().hex[:8]}").init()


def same_again(schema: type[FromDoc], out: FromDoc) -> None:
    """FastAPI dumps a returned model and validates it once more: nothing may change."""
    assert schema.model_validate(out.model_dump()) == out


def test_a_task_validates_from_its_document_at_every_level(store):
    task = store.tasks.create({"name": "t", "model_type": "ppo", "parameters": {"learning_rate": 3e-4},
                               "total_episodes": 4, "group_id": "profile-a", "secret_note": "internal"})
    task = store.tasks.transition(task["_id"], ("created",), "running")  # after a $set, as the API reads it
    # Base -> Summary -> Status: each level the one above plus its own fields
    assert issubclass(TrainingStatus, TrainingSummary) and issubclass(TrainingSummary, TrainingBase)
    assert issubclass(TrainingBase, TaskRef) and issubclass(TrainingCreated, TaskRef)
    summary = TrainingSummary.model_validate(task)
    assert summary.task_id == str(task["_id"]) and summary.status == "running" and summary.progress == 0.0
    assert "secret_note" not in summary.model_dump() and "_id" not in summary.model_dump()
    full = TrainingStatus.model_validate({**task, "metrics": {"episode_rewards": [], "episode_steps": [],
                                                              "episode_latencies": []}})
    assert full.model_dump(include=set(TrainingSummary.model_fields)) == summary.model_dump()
    assert full.parameters == {"learning_rate": 3e-4}
    for stamp in (full.created_at, full.updated_at):
        assert stamp.utcoffset().total_seconds() == 0
    assert full.model_dump_json().count("Z\"") == 2  # both timestamps end in Z
    same_again(TrainingStatus, full)


def test_a_model_and_its_deployment_validate_from_the_document(store):
    doc = store.models.create({"name": "m", "type": "ppo", "task_id": "abc", "group_id": "profile-a",
                               "checkpoint": "/tmp/ckpt", "metrics": None,
                               "deployment": {"name": "policy-x", "namespace": "lwmecps", "replicas": 2,
                                              "state": "running", "app": "internal"}})
    out = ModelOut.model_validate(doc)
    assert out.model_id == str(doc["_id"]) and isinstance(out, ModelBase)
    assert out.metrics.accuracy is None  # registered before its evaluation: every figure null
    assert out.deployment.state == "running" and "app" not in out.deployment.model_dump()
    same_again(ModelOut, out)
    evaluated = ModelOut.model_validate({**doc, "metrics": {"accuracy": 0.9, "vs_hpa_tuned": 0.8, "cost": 2.3}})
    assert evaluated.metrics.vs_hpa_tuned == 0.8 and "cost" not in evaluated.metrics.model_dump()


def test_an_autoscaler_gathers_its_counts_under_summary(store):
    doc = store.autoscalers.create({"model_id": "m", "name": None, "mode": "shadow", "interval_s": 300.0,
                                    "target": {"kind": "simulated"}, "guardrails": {}})
    doc = {**doc, "decisions": 3, "cost_so_far": 6.0, "hpa_cost_so_far": 8.0}
    out = AutoscalerOut.model_validate(doc)
    assert out.autoscaler_id == str(doc["_id"])
    assert out.summary.decisions == 3 and out.summary.saving == pytest.approx(0.25)
    same_again(AutoscalerOut, out)


def test_a_sweep_and_a_reconciliation_validate_from_the_document(store):
    doc = store.sweeps.create({"model_type": "ppo", "param_space": {"learning_rate": {"choice": [1e-3]}},
                               "group_id": "profile-a", "num_samples": 1, "iterations": 2, "scheduler": None,
                               "resources": None, "max_concurrent_trials": None})
    out = SweepOut.model_validate(doc)
    assert out.sweep_id == str(doc["_id"]) and out.resources == {} and out.results == []
    same_again(SweepOut, out)
    rec = {"_id": "its-own-id", "task_id": "the-task", "model_type": "ppo", "wandb_run_id": None,
           "metrics": {"avg_reward": -2.0, "avg_latency": 40.0, "avg_throughput": 10.0, "success_rate": 0.99,
                       "latency_std": 1.0, "reward_std": 0.1, "adaptation_score": 0.5},
           "sample_size": 10, "timestamp": datetime(2026, 12, 4, 12, 0), "model_weights_path": "/w/module_state.pkl",
           "group_id": "profile-a", "model_id": "m", "costs": {"profile-a": {"policy": 2.0}}}
    out = ReconcileResult.model_validate(rec)
    assert out.task_id == "the-task" and out.model_dump_json().count('"2026-12-04T12:00:00Z"') == 1
    same_again(ReconcileResult, out)


def test_a_user_group_and_a_shipped_one_validate_alike(store):
    services = GroupService(store)
    stored = services.create({"name": "tiny", "nodes": [{"name": "a", "cpu": 8, "memory_mib": 8192}],
                              "trace": {"slot_s": 3600, "users": [[1.0]] * 24}})
    assert stored["_id"] == "tiny"  # the service hands over the stored document; the schema maps it
    out = GroupOut.model_validate(stored)
    assert (out.group_id, out.nodes, out.node_count, out.shipped, out.days) == ("tiny", 1, 1, False, 1)
    assert out.created_at is not None and "fingerprint" not in out.model_dump()
    shipped = GroupOut.model_validate(services.get("profile-a"))
    assert shipped.shipped and shipped.created_at is None and shipped.node_count == shipped.nodes == 4
    same_again(GroupOut, out)
    older = {k: v for k, v in stored.items() if k != "days"}  # stored before multi-day traces
    assert GroupOut.model_validate(older).days == 1
