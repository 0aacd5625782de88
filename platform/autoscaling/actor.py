"""An autoscaler as a detached, named Ray actor (``autoscaler-<id>``): the decision loop on a clock.

The actor holds no CPU (``num_cpus=0``: it waits most of the time; a decision is one simulated
interval and one predict through Serve). Every ``interval_s / speed`` wall seconds (``speed``: 1 on
a real cluster; on the simulated target e.g. 60 = one simulated 5-minute interval every 5 s) it makes
one decision (``loop.DecisionLoop``) and stores it. A decision that fails is retried next period (a
dropped connection, a policy being redeployed) until five minutes of failures in a row; a cluster
that refuses (``KubernetesBackendError`` not ``retryable``: RBAC's 403 naming the call) fails at
once. Either way the error is stored as the autoscaler's ``error`` and its status is ``failed``.
``stop()`` ends the loop; the record says ``stopped``. Each autoscaler is one W&B run (offline by default; ``job_type=autoscaler``, resumed
with the actor) logging per decision ``cost``, ``hpa_cost``, the running ``saving`` and whether
it fell back. Actors come back after ``lwmecps up`` restarts (``resume``): a new Ray cluster has none,
so every autoscaler still ``running`` in the store gets a new actor that continues its counts; its
simulated twin (and the HPA twin) start afresh at midnight of the day after the last one it began
(``seed + days``), both the same, so the counterfactual stays exact.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

import ray

from .summary import summary

log = logging.getLogger("lwmecps.autoscaler")
NAMESPACE = "lwmecps"
# what a kubernetes target may set of the live backend's KubeConfig (credentials come from the
# platform's own in-cluster or kube config, never from a request body)
KUBE_KEYS = ("host", "namespace", "deployment_prefix", "stats_url", "ca_cert", "ready_timeout_s")


def actor_name(autoscaler_id: str) -> str:
    return f"autoscaler-{autoscaler_id}"


def build_loop(doc: dict[str, Any], store, settings, group=None):
    """The decision loop of an autoscaler document: its target, the model's predict, its guardrails."""
    from ..serving.deployer import Deployer
    from ..services.groups import resolve_group
    from .guardrails import Guardrails
    from .loop import DecisionLoop
    from .twin import KubernetesTarget, SimulatedTarget

    target = doc["target"]
    group = group or resolve_group(store, target["group_id"])
    if target["kind"] == "kubernetes":
        kube = {k: target[k] for k in KUBE_KEYS if target.get(k) is not None}
        if kube.get("host") and settings.kube_token_file is not None:  # the platform's credentials, never a body's
            kube["token_file"] = str(settings.kube_token_file)
        twin = KubernetesTarget(group, {**kube, "observe_s": float(doc["interval_s"])})
    else:
        twin = SimulatedTarget(group, seed=target.get("seed", 0))
        if doc.get("decisions"):
            twin.continue_after(int(doc["decisions"]))
    deployer = Deployer(store, settings)
    model_id = doc["model_id"]
    return DecisionLoop(twin, lambda obs: deployer.predict(model_id, obs),
                        Guardrails.from_body(doc["guardrails"], len(twin.nodes)), doc["mode"])


@ray.remote(num_cpus=0, max_restarts=0)
class AutoscalerActor:
    def __init__(self, autoscaler_id: str, settings):
        from ..store import Store, parse_id

        self.id, self.oid = autoscaler_id, parse_id(autoscaler_id)
        self.settings = settings
        self.store = Store(settings.mongo_uri(), settings.mongodb_db)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.run = None

    def start(self) -> bool:
        if self.thread is not None and self.thread.is_alive():  # get_if_exists found this one running
            return True
        doc = self.store.autoscalers.get(self.oid)
        loop = build_loop(doc, self.store, self.settings)
        loop.step_index = int(doc.get("decisions", 0))
        self.run = self._wandb(doc)
        # a live cluster's step itself lasts the interval (it serves observe_s before measuring)
        live = doc["target"]["kind"] == "kubernetes"
        period = 0.0 if live else float(doc["interval_s"]) / float(doc["target"].get("speed", 1.0))
        self.thread = threading.Thread(target=self._run, args=(loop, period), daemon=True, name=actor_name(self.id))
        self.thread.start()
        return True

    def _run(self, loop, period: float) -> None:
        # a policy being redeployed (after a restart) answers nothing for a while: give up only after
        # five minutes (and at least 3 tries) of failures in a row
        retry = max(period, 1.0)
        failures, allowed = 0, max(3, int(300 / retry))
        while not self.stopping.wait(retry if failures else period):
            try:
                decision = loop.step()
                summary = self.store.autoscalers.record(self.oid, decision)
                failures = 0
                if summary is None:  # the step was counted already: another actor of this autoscaler runs
                    log.warning("autoscaler %s: step %d was recorded already; this loop stops", self.id, decision["step"])
                    return
                self._log(decision, summary)
            except Exception as exc:  # a failed predict, cluster call or store write
                failures += 1
                log.warning("autoscaler %s: decision failed (%d in a row): %s", self.id, failures, exc)
                # a cluster that refuses (RBAC's 403, a missing deployment) will refuse again: fail at once
                if failures >= allowed or getattr(exc, "retryable", True) is False:
                    self.store.autoscalers.finish(self.oid, "failed", error=f"{type(exc).__name__}: {str(exc)[:300]}")
                    return

    def stop(self) -> bool:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=30)
        if self.run is not None:
            self.run.finish()
            self.run = None
        return True

    def _wandb(self, doc: dict[str, Any]):
        """The autoscaler's W&B run (resumed after a restart); None when W&B cannot start (logged)."""
        from ..tracking import start_run

        try:
            run = start_run(self.settings, project=None, name=f"autoscaler-{self.id}", group=doc["target"]["group_id"],
                            job_type="autoscaler", run_id=doc.get("wandb_run_id"), config={
                                "autoscaler_id": self.id, "model_id": doc["model_id"], "mode": doc["mode"],
                                "interval_s": doc["interval_s"], "target": doc["target"],
                                "guardrails": doc["guardrails"]})
        except Exception as exc:  # tracking must not stop an autoscaler
            log.warning("autoscaler %s: no W&B run: %s", self.id, exc)
            return None
        self.store.autoscalers.set_fields(self.oid, wandb_run_id=run.id)
        return run

    def _log(self, decision: dict[str, Any], doc: dict[str, Any]) -> None:
        """One decision, with the running saving of the stored summary (so it carries over a resume)."""
        if self.run is None:
            return
        row = {"autoscaler/cost": decision["cost"], "autoscaler/replicas": sum(decision["applied_replicas"]),
               "autoscaler/fallback": int(decision["source"] == "fallback")}
        if decision.get("hpa_outcome") is not None:
            row["autoscaler/hpa_cost"] = decision["hpa_outcome"]["cost"]
        if (saving := summary(doc)["saving"]) is not None:
            row["autoscaler/saving"] = saving
        self.run.log(row, step=decision["step"])


def start_actor(autoscaler_id: str, settings) -> None:
    """Create (or find) the detached named actor and start its loop."""
    actor = AutoscalerActor.options(name=actor_name(autoscaler_id), namespace=NAMESPACE, lifetime="detached",
                                    get_if_exists=True).remote(autoscaler_id, settings)
    try:
        ray.get(actor.start.remote(), timeout=120)
    except Exception:
        ray.kill(actor)  # detached: it would outlive the request that failed to start it
        raise


def stop_actor(autoscaler_id: str) -> None:
    """Stop the loop and kill the actor; nothing when it is already gone."""
    try:
        actor = ray.get_actor(actor_name(autoscaler_id), namespace=NAMESPACE)
    except ValueError:
        return
    try:
        ray.get(actor.stop.remote(), timeout=60)
    finally:
        ray.kill(actor)


def resume(store, settings) -> int:
    """A new actor for every autoscaler still ``running`` in the store (after ``lwmecps up`` restarts)."""
    docs = store.autoscalers.running()
    for doc in docs:
        try:
            start_actor(str(doc["_id"]), settings)
        except Exception as exc:
            log.warning("could not resume autoscaler %s: %s", doc["_id"], exc)
            store.autoscalers.finish(doc["_id"], "failed", error=f"resume failed: {exc}"[:300])
    return len(docs)
