"""Models: list, read, archive, delete, deploy, undeploy and predict (the logic behind /models)."""
from __future__ import annotations

import math
from typing import Any

from lwmecps.envs.simulator import OBS_PER_NODE

from ..algorithms.inference import checkpoint_layout
from ..serving.deployer import Deployer, app_name
from ..store.deployment_state import can_move, is_live, state_of
from ..serving.quantities import QuantityError, parse_cpu, parse_memory
from ..settings import Settings
from ..store import MODEL_STATUSES, Store, parse_id
from ..store.common import now
from .groups import resolve_group
from .errors import Conflict, Invalid, NotFound, Unavailable

STRATEGIES = ("rolling", "recreate")


class ModelService:
    def __init__(self, store: Store, settings: Settings, deployer: Deployer | None = None):
        self.store, self.settings = store, settings
        self.deployer = deployer or Deployer(store, settings)

    def get(self, model_id: str) -> dict[str, Any]:
        model = self.store.models.get(parse_id(model_id, "model_id"))
        if model is None:
            raise NotFound(f"model {model_id} not found")
        return model

    def list(self, status: str | None, page: int, per_page: int) -> tuple[list[dict], int]:
        if status is not None and status not in MODEL_STATUSES:
            raise Invalid(f"unknown status {status!r}; statuses: {', '.join(MODEL_STATUSES)}")
        return self.store.models.list(status, (page - 1) * per_page, per_page)

    def archive(self, model_id: str) -> dict[str, Any]:
        model = self.get(model_id)
        if is_live(model):
            raise Conflict(f"model {model_id} is deployed; undeploy it first")
        moved = self.store.models.transition(model["_id"], ("trained",), "archived")
        if moved is None:
            raise Conflict(self._why_not(model_id, "archived"))
        return moved

    def delete(self, model_id: str) -> None:
        model = self.get(model_id)
        if is_live(model):
            raise Conflict(f"model {model_id} is deployed; undeploy it first")
        if state_of(model) == "stopping":
            raise Conflict(f"model {model_id} is being undeployed; delete it once deployment.state is stopped")
        if not self.store.models.delete(model["_id"], ("deployed",)):
            raise Conflict(self._why_not(model_id, "deleted"))
        self.store.samples.delete_model(model_id)

    # -- serving --------------------------------------------------------------------------------
    def deploy(self, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Validate, check the cluster can hold it, then create or update the Serve application."""
        model = self.get(model_id)
        replicas = body["replicas"]
        if not 1 <= replicas <= self.settings.max_policy_replicas:
            raise Invalid(f"replicas={replicas} is outside 1..{self.settings.max_policy_replicas} "
                          f"(LWMECPS_MAX_POLICY_REPLICAS)")
        if body["strategy"] not in STRATEGIES:
            raise Invalid(f"strategy={body['strategy']!r} is not one of {', '.join(STRATEGIES)}")
        try:
            cpu = parse_cpu(body["resources"]["cpu"])
            memory = parse_memory(body["resources"]["memory"])
        except QuantityError as exc:
            raise Invalid(str(exc)) from None
        if model["status"] == "archived":
            raise Conflict(f"model {model_id} is archived; archived models cannot be deployed")
        if not can_move(model, "deploying"):  # stopping
            raise Conflict(f"model {model_id} is being undeployed; deploy it again once deployment.state is stopped")
        try:  # a checkpoint of an older observation layout would fail in every replica
            checkpoint_layout(model["checkpoint"])
        except (ValueError, OSError) as exc:
            raise Conflict(f"model {model_id} cannot be deployed: {exc}") from None
        self.deployer.check_fits(model_id, replicas, cpu, memory)
        deployment = {"name": app_name(model_id), "namespace": app_name(model_id), "replicas": replicas,
                      "resources": dict(body["resources"]), "cpu_cores": cpu, "memory_bytes": memory,
                      "strategy": body["strategy"], "state": "deploying", "error": None, "requested_at": now()}
        # rolling: a deployed model keeps serving through the update; recreate: it stops until rebuilt
        keep = model["status"] if body["strategy"] == "rolling" else "trained"
        updated = self.store.models.transition(model["_id"], ("trained", "deployed"), keep, deployment=deployment)
        if updated is None:
            raise Conflict(self._why_not(model_id, "deployed"))
        try:
            self.deployer.deploy(updated, replicas, cpu, memory, body["strategy"])
        except Exception:
            # leave the record as it was
            self.store.models.update(model["_id"], status=model["status"], deployment=model.get("deployment"))
            raise
        return {"model_id": model_id, "status": "deploying", "deployment": {
            "name": deployment["name"], "namespace": deployment["namespace"], "replicas": replicas},
            "created_at": deployment["requested_at"]}

    def undeploy(self, model_id: str) -> dict[str, Any]:
        """``trained`` at once with ``deployment.state`` ``stopping`` (it no longer takes predicts); the
        application is deleted in the background, then the state is ``stopped``."""
        model = self.get(model_id)
        if state_of(model) == "stopping":
            raise Conflict(f"model {model_id} is being undeployed already")
        if not can_move(model, "stopping"):
            raise Conflict(f"model {model_id} is not deployed")
        self.deployer.require_serve()
        moved = self.store.models.transition(model["_id"], ("trained", "deployed"), "trained",
                                             **{"deployment.state": "stopping", "deployment.stopping_at": now()})
        if moved is None:
            raise Conflict(self._why_not(model_id, "undeployed"))
        self.deployer.undeploy(model_id)
        return moved

    def predict(self, model_id: str, observation: list[float]) -> dict[str, Any]:
        model = self.get(model_id)
        state = state_of(model)
        if model["status"] != "deployed":  # (a rolling update keeps it deployed: its replicas serve)
            detail = f"; deployment is {state}" if state else ""
            raise Conflict(f"model {model_id} is not serving (status {model['status']}{detail}); deploy it first")
        nodes = [nd.name for nd in resolve_group(self.store, model["group_id"]).spec.nodes]
        size = OBS_PER_NODE * len(nodes) + 2
        if len(observation) != size:
            raise Invalid(f"observation has {len(observation)} values; model {model_id} (group "
                          f"{model['group_id']}, {len(nodes)} nodes) takes {size}: {OBS_PER_NODE} per node + time of day")
        if not all(math.isfinite(x) for x in observation):
            raise Invalid("observation values must be finite numbers")
        try:
            action = self.deployer.predict(model_id, observation)
        except Unavailable:
            raise
        except Exception as exc:
            raise Unavailable(f"the replicas of model {model_id} did not answer ({type(exc).__name__}); "
                              f"try again") from None
        return {"model_id": model_id, "action": action, "replicas_per_node": dict(zip(nodes, action))}

    # -- helpers --------------------------------------------------------------------------------
    def _why_not(self, model_id: str, what: str) -> str:
        current = self.store.models.get(parse_id(model_id, "model_id"))
        status = current["status"] if current else "deleted"
        return f"model {model_id} is {status} and cannot be {what}"
