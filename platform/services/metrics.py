"""The metrics routes: a served model's request and resource series, and the system's."""
from __future__ import annotations

from typing import Any

from ..serving.series import bucket, parse_window
from ..settings import Settings
from ..store import ACTIVE, Store, as_utc
from ..store.samples import SYSTEM
from .durations import duration
from .health import kubernetes_status
from .models import ModelService


class MetricsService:
    def __init__(self, store: Store, settings: Settings, models: ModelService):
        self.store, self.settings, self.models = store, settings, models

    def model(self, model_id: str, start_time: str | None, end_time: str | None,
              interval: str | None) -> dict[str, Any]:
        """Per interval: ``latency`` (mean s per predict), ``throughput`` (req/s), ``requests``
        (count), ``resource_usage.cpu`` / ``.memory`` (mean share of the replica's request)."""
        start, end, seconds = parse_window(start_time, end_time, interval)
        model = self.models.get(model_id)
        requests = self.store.samples.window("request", str(model["_id"]), start, end)
        resources = self.store.samples.window("resource", str(model["_id"]), start, end)
        return {"model_id": model_id, "metrics": {
            "latency": bucket(requests, start, seconds, lambda s: s["latency_s"]),
            "throughput": bucket(requests, start, seconds, how="rate"),
            "requests": bucket(requests, start, seconds, how="sum"),
            "resource_usage": {
                "cpu": bucket(resources, start, seconds, lambda s: s["cpu"]),
                "memory": bucket(resources, start, seconds, lambda s: s["memory"]),
            }}}

    def system(self, start_time: str | None, end_time: str | None, interval: str | None) -> dict[str, Any]:
        start, end, seconds = parse_window(start_time, end_time, interval)
        samples = self.store.samples.window("system", SYSTEM, start, end)
        return {
            "system": {"cpu_usage": bucket(samples, start, seconds, lambda s: s["cpu"]),
                       "memory_usage": bucket(samples, start, seconds, lambda s: s["memory"])},
            "kubernetes": self._kubernetes(),
            "training": self._training(),
        }

    def _training(self) -> dict[str, Any]:
        tasks = self.store.tasks
        times = [(as_utc(t["finished_at"]) - as_utc(t["started_at"])).total_seconds()
                 for t in tasks.tasks.find({"status": "completed", "started_at": {"$exists": True},
                                            "finished_at": {"$exists": True}}, {"started_at": 1, "finished_at": 1})]
        return {"active_tasks": tasks.count(ACTIVE), "completed_tasks": tasks.count(("completed",)),
                "average_training_time": duration(sum(times) / len(times)) if times else None}

    def _kubernetes(self) -> dict[str, Any]:
        state = kubernetes_status()
        if state == "not_configured":
            return {"status": "not_configured", "node_count": 0, "pod_count": 0,
                    "resource_usage": {"cpu": None, "memory": None},
                    "detail": "no Kubernetes cluster is configured (no kube config, not in a pod): "
                              "the simulated cluster is in use"}
        from .kube import cluster_summary

        return {"status": state, **cluster_summary(self.settings.kube_namespace)}
