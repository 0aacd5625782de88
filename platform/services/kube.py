"""What ``/metrics`` reports about a live Kubernetes cluster (only called when a kube config exists)."""
from __future__ import annotations

from typing import Any

from ..serving.quantities import QuantityError, parse_cpu, parse_memory


def _api():
    from kubernetes import client

    from lwmecps.envs.kubernetes import default_api_client

    return client.CoreV1Api(default_api_client())


def _sum(quantities: list[str], parse) -> float:
    total = 0.0
    for q in quantities:
        try:
            total += parse(q, bounded=False)
        except QuantityError:
            continue
    return total


def cluster_summary(namespace: str = "edge") -> dict[str, Any]:
    """``node_count``, ``pod_count`` (running pods of the edge ``namespace``, ``Settings.kube_namespace``,
    default ``edge``: the platform is granted that namespace's pods, not the cluster's, by
    ``kuberay/rbac.yaml``) and ``resource_usage`` = those pods' requested / allocatable CPU and memory
    over all nodes; ``detail`` names the error when the API cannot be read."""
    try:
        api = _api()
        nodes = api.list_node(_request_timeout=5).items
        pods = [p for p in api.list_namespaced_pod(namespace, _request_timeout=5).items if p.status.phase == "Running"]
    except Exception as exc:
        return {"node_count": None, "pod_count": None, "resource_usage": {"cpu": None, "memory": None},
                "detail": f"the Kubernetes API could not be read: {type(exc).__name__}"}
    alloc_cpu = _sum([n.status.allocatable.get("cpu", "0") for n in nodes], parse_cpu)
    alloc_mem = _sum([n.status.allocatable.get("memory", "0") for n in nodes], parse_memory)
    reqs = [c.resources.requests or {} for p in pods for c in p.spec.containers if c.resources]
    req_cpu = _sum([r["cpu"] for r in reqs if "cpu" in r], parse_cpu)
    req_mem = _sum([r["memory"] for r in reqs if "memory" in r], parse_memory)
    return {"node_count": len(nodes), "pod_count": len(pods), "resource_usage": {
        "cpu": req_cpu / alloc_cpu if alloc_cpu else None, "memory": req_mem / alloc_mem if alloc_mem else None}}
