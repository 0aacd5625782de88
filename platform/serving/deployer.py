"""Create, update and delete the Serve application ``policy-<model_id>`` of a model.

* ``rolling`` (default): ``serve`` updates the running application in place. A change of ``replicas``
  alone scales it (Serve sees the same code and config, so no replica is replaced); a change of
  resources replaces replicas one by one, each old one finishing its requests (graceful shutdown)
  while the others serve: no request is lost.
* ``recreate``: the application is deleted, then created anew; requests sent in between fail with 503.

``deploy`` returns at once (``deploying``); a watcher thread marks the model ``deployed`` once Serve
reports the application ``RUNNING``, or records the failure (``deploy_timeout_s``). ``undeploy`` returns
at once too (``stopping``); a thread deletes the application and marks it ``stopped``.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..ray_here import require
from ..services.errors import Conflict
from ..settings import Settings
from ..store import Store, parse_id
from ..store.common import now
from ..store.deployment_state import is_live, state_of

log = logging.getLogger("lwmecps.serving")
APP_PREFIX = "policy-"


def app_name(model_id: str) -> str:
    return f"{APP_PREFIX}{model_id}"


def _serve():
    from ray import serve

    require("served policies")
    return serve


class Deployer:
    def __init__(self, store: Store, settings: Settings):
        self.store, self.settings = store, settings
        self._handles: dict[str, Any] = {}

    # -- capacity -------------------------------------------------------------------------------
    def check_fits(self, model_id: str, replicas: int, cpu: float, memory: int) -> None:
        """409 naming the shortfall when the cluster cannot hold the replicas (beside this model's own)."""
        _serve()
        import ray

        need_cpu = replicas * cpu * self.settings.policy_cpu_scale
        total, free = ray.cluster_resources(), ray.available_resources()
        own = self._current_usage(model_id)
        free_cpu = free.get("CPU", 0.0) + own[0]
        free_mem = free.get("memory", 0.0) + own[1]
        if need_cpu > total.get("CPU", 0.0) or need_cpu > free_cpu + 1e-9:
            raise Conflict(f"the cluster cannot fit {replicas} replica(s) x cpu {cpu:g} "
                           f"({need_cpu:.2f} Ray CPUs at policy_cpu_scale {self.settings.policy_cpu_scale:g}): "
                           f"{free_cpu:.2f} of {total.get('CPU', 0.0):.2f} CPUs are free")
        if replicas * memory > free_mem:
            raise Conflict(f"the cluster cannot fit {replicas} replica(s) x {memory / 2**20:.0f} MiB: "
                           f"{free_mem / 2**20:.0f} MiB of memory are free")

    def _current_usage(self, model_id: str) -> tuple[float, float]:
        doc = self.store.models.get(parse_id(model_id, "model_id"))
        if not is_live(doc):
            return 0.0, 0.0
        dep = doc["deployment"]
        return (dep["replicas"] * dep["cpu_cores"] * self.settings.policy_cpu_scale,
                float(dep["replicas"] * dep["memory_bytes"]))

    # -- lifecycle ------------------------------------------------------------------------------
    def deploy(self, model: dict[str, Any], replicas: int, cpu: float, memory: int, strategy: str) -> None:
        from .policy_app import PolicyServer

        serve = _serve()
        model_id = str(model["_id"])
        name = app_name(model_id)
        if strategy == "recreate":
            self._delete(name)
        app = PolicyServer.options(
            num_replicas=replicas,
            ray_actor_options={"num_cpus": cpu * self.settings.policy_cpu_scale, "memory": memory},
        ).bind(model_id, model["checkpoint"], cpu, memory, self.settings)
        # the API answers now and the watcher waits for RUNNING: Serve 2.60 has no public call that submits
        # without waiting (serve.run's `blocking` is about looping after it; it always waits for RUNNING)
        serve._run(app, name=name, route_prefix=None, _blocking=False)
        threading.Thread(target=self._watch, args=(model_id, time.monotonic()), daemon=True,
                         name=f"watch-{name}").start()

    def restore(self) -> int:
        """Redeploy every model that was served when the platform stopped (a new Ray cluster has none);
        one that was being undeployed is ``stopped`` (the new cluster has no application of it)."""
        self.store.models.finish_stopping()
        models = self.store.models.with_deployment()
        for model in models:
            dep = model["deployment"]
            # "deployed" again once the new replicas are healthy (the watcher)
            self.store.models.update(model["_id"], status="trained", **{"deployment.state": "deploying"})
            try:
                self.deploy(model, dep["replicas"], dep["cpu_cores"], dep["memory_bytes"], "rolling")
            except Exception as exc:
                log.warning("could not redeploy model %s: %s", model["_id"], exc)
                self.store.models.update(model["_id"], status="trained", **{
                    "deployment.state": "failed", "deployment.error": f"redeploy failed: {exc}"[:500]})
        return len(models)

    @staticmethod
    def require_serve() -> None:
        """``Unavailable`` when this process has no Ray (and so no Serve) to change."""
        _serve()

    def undeploy(self, model_id: str) -> None:
        """Delete the application in the background (Serve drains its replicas first), then mark the
        model's deployment ``stopped`` (``failed`` naming the error) unless a new call changed it meanwhile."""
        threading.Thread(target=self._stop, args=(model_id,), daemon=True, name=f"stop-{app_name(model_id)}").start()

    def _stop(self, model_id: str) -> None:
        try:
            self._delete(app_name(model_id))
            fields = {"deployment.state": "stopped", "deployment.stopped_at": now()}
        except Exception as exc:
            log.warning("undeploying model %s failed: %s", model_id, exc)
            fields = {"deployment.state": "failed", "deployment.error": f"undeploy failed: {exc}"[:500]}
        self.store.models.set_if_deployment(parse_id(model_id, "model_id"), "stopping", **fields)

    def _delete(self, name: str) -> None:
        serve = _serve()
        self._handles.pop(name, None)
        if name in serve.status().applications:
            serve.delete(name, _blocking=True)

    def _watch(self, model_id: str, started: float) -> None:
        """Mark the model ``deployed`` when its application runs; record a failure otherwise."""
        from ray import serve

        oid, name = parse_id(model_id), app_name(model_id)
        reason = f"not healthy within {self.settings.deploy_timeout_s:g} s"
        while time.monotonic() - started < self.settings.deploy_timeout_s:
            doc = self.store.models.get(oid)
            if state_of(doc) != "deploying":
                return  # undeployed, redeployed or deleted meanwhile: that call's watcher decides
            app = serve.status().applications.get(name)
            if app is not None and app.status == "RUNNING":
                self.store.models.transition(oid, ("trained", "deployed"), "deployed", **{
                    "deployment.state": "running", "deployment.ready_at": now()})
                return
            if app is not None and app.status == "DEPLOY_FAILED":
                reason = app.message[:500] or "Serve reported DEPLOY_FAILED"
                break
            time.sleep(0.5)
        log.warning("deployment of model %s failed: %s", model_id, reason)
        self.store.models.update(oid, **{"deployment.state": "failed", "deployment.error": reason})

    # -- inference ------------------------------------------------------------------------------
    def predict(self, model_id: str, observation: list[float], timeout_s: float = 30.0) -> list[int]:
        serve = _serve()
        name = app_name(model_id)
        handle = self._handles.get(name)
        if handle is None:
            handle = self._handles[name] = serve.get_app_handle(name)
        return handle.predict.remote(observation).result(timeout_s=timeout_s)
