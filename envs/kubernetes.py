"""The live backend of ``EdgeClusterEnv``: the agent's replicas applied to a real Kubernetes cluster.

``EdgeClusterEnv(group, backend="kubernetes", kube={...})`` talks to the Kubernetes API with the
official ``kubernetes`` client:

* capacities: node ``<name>`` of the group (``bs1``..) is read from ``GET /api/v1/nodes``; max
  replicas = ``min(floor(allocatable cpu / pod_cpu), floor(allocatable memory / pod_memory))``;
* an action patches ``deployments/server-<node>/scale`` in ``namespace`` (0 replicas really is 0),
  then waits until every deployment's controller has seen the change (``status.observedGeneration
  >= metadata.generation``: before that the status describes the previous spec) and reports
  ``readyReplicas`` = the target (``ready_timeout_s``);
* after ``observe_s`` seconds of serving (default: the decision interval; 0 in tests) the per-station figures
  come from the stats endpoint ``GET <stats_url>/api/group_stats?group_id=<group>``, which answers
  ``{"stations": [{"name": "bs1", "users": .., "arrival_rps": .., "latency_ms": ..,
  "p95_latency_ms": .., "failed_fraction": ..}, ...]}`` (the testbed app's format);
* the observation and ``info`` are computed from those figures with the simulator's formulas and
  keys (cost weights from ``EnvParams``); what a live cluster cannot report (retries carried) is 0.

Reaching the API server: with ``host``, the bearer ``token`` (or ``token_file``), the CA bundle
``ca_cert`` (``verify_ssl`` on by default) and a client certificate (``client_cert``, ``client_key``)
are honoured; without ``host``, the in-cluster configuration (service-account token and CA) or the
kube config file (``KUBECONFIG``), with whatever credentials it names. The token never appears in a
``repr``, a log line or an error. Every API error or timeout is a ``KubernetesBackendError`` that
says what failed and where.
Tested against a local fake of these endpoints (``tests/envs/fake_kube.py``): no cluster runs here.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from .config import EnvParams
from .groups import WorkloadGroup
from .simulator import INFO_KEYS, OBS_PER_NODE


class KubernetesBackendError(RuntimeError):
    """The cluster could not be read or changed; the message names the call and the cause.

    ``retryable``: whether the same call may succeed later (no answer, a timeout, 429 or a 5xx, replicas
    still starting) — an autoscaler retries those; a refusal (401, 403, 404, 422), a missing node or a
    bad configuration stays as it is until someone changes something, so it fails at once."""

    #: API answers that a later try may not meet again
    RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})

    def __init__(self, message: str, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable


def kube_configured() -> bool:
    """Whether this process has a cluster to talk to: it runs in a pod (``KUBERNETES_SERVICE_HOST``) or
    a kube config file exists (``KUBECONFIG``, default ``~/.kube/config``)."""
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return True
    path = os.environ.get("KUBECONFIG") or os.path.join(os.path.expanduser("~"), ".kube", "config")
    return os.path.exists(path)


def default_api_client():
    """An ``ApiClient`` from the in-cluster service account (in a pod) or the kube config file, with
    whatever credentials it names, leaving the client library's global default untouched: the one way
    the platform reaches a cluster without an explicit ``host`` (the live backend, ``/metrics``,
    ``/health``). ``KubernetesBackendError`` naming why when neither loads."""
    from kubernetes import client, config

    cfg = client.Configuration()
    try:
        if os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=cfg)
        else:
            config.load_kube_config(config_file=os.environ.get("KUBECONFIG") or None, client_configuration=cfg)
    except Exception as exc:
        raise KubernetesBackendError(f"no Kubernetes configuration: {exc}") from None
    return client.ApiClient(cfg)


@dataclass
class KubeConfig:
    """Where and how to reach the cluster (defaults from ``LWMECPS_KUBE_*`` environment variables)."""

    host: str | None = None  # API server URL; None: in-cluster config or the kube config file
    namespace: str = field(default_factory=lambda: os.environ.get("LWMECPS_KUBE_NAMESPACE", "edge"))
    deployment_prefix: str = "server-"
    stats_url: str = field(default_factory=lambda: os.environ.get("LWMECPS_STATS_URL", "http://127.0.0.1:8080"))
    ready_timeout_s: float = 120.0
    poll_s: float = 1.0
    observe_s: float | None = None  # seconds of serving before measuring; None: the env's decision interval
    request_timeout_s: float = 10.0
    token: str | None = field(default=None, repr=False)  # bearer token for ``host``
    token_file: str | None = None  # ... or the file that holds it (read when the client is made)
    ca_cert: str | None = None  # CA bundle that signed the API server's certificate
    client_cert: str | None = None  # client certificate and key (mutual TLS)
    client_key: str | None = None
    verify_ssl: bool = True

    @classmethod
    def of(cls, value: "KubeConfig | dict | None") -> "KubeConfig":
        if isinstance(value, KubeConfig):
            return value
        try:
            return cls(**(value or {}))
        except TypeError as exc:
            raise ValueError(f"invalid kube config: {exc}") from None


def _quantity(text: str, kind: str) -> float:
    from kubernetes.utils import parse_quantity

    try:
        return float(parse_quantity(text))
    except (ValueError, TypeError):
        raise KubernetesBackendError(f"node {kind} {text!r} is not a Kubernetes quantity") from None


class LiveCluster:
    """Reads and scales one workload group's nodes on a real cluster."""

    def __init__(self, group: WorkloadGroup, params: EnvParams, config: KubeConfig | dict | None = None,
                 api_client=None):
        from kubernetes import client

        self.group, self.params, self.config = group, params, KubeConfig.of(config)
        self.nodes = [nd.name for nd in group.spec.nodes]
        self._client = api_client or self._make_client()
        self.core = client.CoreV1Api(self._client)
        self.apps = client.AppsV1Api(self._client)

    def _make_client(self):
        from kubernetes import client

        if self.config.host:
            c = self.config
            cfg = client.Configuration()
            cfg.host = c.host
            cfg.retries = 0  # a dropped connection is reported, not retried behind the agent's back
            token = c.token
            if token is None and c.token_file:
                try:
                    token = open(c.token_file, encoding="utf-8").read().strip()
                except OSError as exc:
                    raise KubernetesBackendError(f"token_file {c.token_file}: {exc.strerror}") from None
            if token:
                cfg.api_key = {"authorization": token}
                cfg.api_key_prefix = {"authorization": "Bearer"}
            cfg.verify_ssl = c.verify_ssl
            cfg.ssl_ca_cert, cfg.cert_file, cfg.key_file = c.ca_cert, c.client_cert, c.client_key
            return client.ApiClient(cfg)
        return default_api_client()

    def _call(self, what: str, fn, *args, **kwargs):
        from kubernetes.client.exceptions import ApiException

        try:
            return fn(*args, _request_timeout=self.config.request_timeout_s, **kwargs)
        except ApiException as exc:
            hint = {403: f" (forbidden: see the Role in kuberay/rbac.yaml for namespace {self.config.namespace!r})",
                    404: " (not found)", 401: " (unauthorised: check the kube config's credentials)"}
            raise KubernetesBackendError(f"{what}: the Kubernetes API answered {exc.status} {exc.reason}"
                                         f"{hint.get(exc.status, '')}",
                                         retryable=exc.status in KubernetesBackendError.RETRYABLE_STATUS) from None
        except Exception as exc:  # connection refused or dropped, timeouts, TLS
            raise KubernetesBackendError(f"{what}: the Kubernetes API did not answer "
                                         f"({type(exc).__name__}: {str(exc)[:200]})", retryable=True) from None

    # -- capacities --------------------------------------------------------------------------
    def capacities(self) -> np.ndarray:
        items = {n.metadata.name: n for n in self._call("list nodes", self.core.list_node).items}
        missing = [name for name in self.nodes if name not in items]
        if missing:
            raise KubernetesBackendError(f"nodes {missing} of group {self.group.name!r} are not in the cluster "
                                         f"(it has {sorted(items)})")
        caps = []
        for name in self.nodes:
            alloc = items[name].status.allocatable or {}
            cpu = _quantity(alloc.get("cpu", "0"), "cpu")
            mem_mib = _quantity(alloc.get("memory", "0"), "memory") / 2**20
            caps.append(min(math.floor(cpu / self.params.pod_cpu), math.floor(mem_mib / self.params.pod_memory_mib)))
        if min(caps) < 1:
            raise KubernetesBackendError(f"a node cannot host one replica: capacities {dict(zip(self.nodes, caps))}")
        return np.array(caps, dtype=np.int64)

    # -- acting ------------------------------------------------------------------------------
    def deployment(self, node: str) -> str:
        return f"{self.config.deployment_prefix}{node}"

    def replicas(self) -> np.ndarray:
        """The replicas each deployment asks for now."""
        out = []
        for node in self.nodes:
            dep = self._call(f"read deployment {self.deployment(node)}", self.apps.read_namespaced_deployment,
                             self.deployment(node), self.config.namespace)
            out.append(dep.spec.replicas or 0)
        return np.array(out, dtype=np.int64)

    def apply(self, replicas: np.ndarray) -> None:
        for node, count in zip(self.nodes, replicas.tolist()):
            name = self.deployment(node)
            self._call(f"scale deployment {name} in {self.config.namespace} to {count}",
                       self.apps.patch_namespaced_deployment_scale, name, self.config.namespace,
                       {"spec": {"replicas": int(count)}})

    def wait_ready(self, replicas: np.ndarray) -> float:
        """Seconds until every deployment's controller has seen its new spec and has its target ready
        (``KubernetesBackendError`` after the timeout)."""
        t0 = time.monotonic()
        while True:
            lagging = []
            for node, want in zip(self.nodes, replicas.tolist()):
                name = self.deployment(node)
                dep = self._call(f"read deployment {name}", self.apps.read_namespaced_deployment, name,
                                 self.config.namespace)
                ready = (dep.status.ready_replicas or 0) if dep.status else 0
                seen = (dep.status.observed_generation or 0) if dep.status else 0
                if seen < (dep.metadata.generation or 0):
                    lagging.append(f"{name} generation {dep.metadata.generation} not yet observed (at {seen})")
                elif ready != want:
                    lagging.append(f"{name} {ready}/{want} ready")
            if not lagging:
                return time.monotonic() - t0
            if time.monotonic() - t0 >= self.config.ready_timeout_s:
                raise KubernetesBackendError(f"replicas not ready within {self.config.ready_timeout_s:g} s: "
                                             f"{', '.join(lagging)}", retryable=True)
            time.sleep(self.config.poll_s)

    # -- measuring ---------------------------------------------------------------------------
    def measure(self) -> dict[str, dict[str, float]]:
        import httpx

        url = f"{self.config.stats_url.rstrip('/')}/api/group_stats"
        try:
            r = httpx.get(url, params={"group_id": self.group.name}, timeout=self.config.request_timeout_s)
            r.raise_for_status()
            stations = {s["name"]: s for s in r.json()["stations"]}
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise KubernetesBackendError(f"the stats endpoint {url} gave no station figures "
                                         f"({type(exc).__name__}: {str(exc)[:200]})", retryable=True) from None
        missing = [n for n in self.nodes if n not in stations]
        if missing:
            raise KubernetesBackendError(f"the stats endpoint {url} has no figures for stations {missing}")
        return stations


@dataclass(frozen=True)
class LoadMemory:
    """What the live observation remembers of past intervals, as the simulator's state does: the
    smoothed load (weight ``load_ema`` on the newest) and the last ``peak_window_steps`` loads."""

    ema: np.ndarray
    recent: tuple[np.ndarray, ...]

    @classmethod
    def after(cls, memory: "LoadMemory | None", load: np.ndarray, params: EnvParams) -> "LoadMemory":
        """The memory once ``load`` (per node, / full node) was measured; None: the first interval."""
        if memory is None:
            return cls(ema=load, recent=(load,))
        ema = params.load_ema * load + (1 - params.load_ema) * memory.ema
        return cls(ema=ema, recent=(memory.recent + (load,))[-params.peak_window_steps:])

    @property
    def peak(self) -> np.ndarray:
        return np.max(np.stack(self.recent), axis=0)


def live_step(live: LiveCluster, params: EnvParams, caps: np.ndarray, old: np.ndarray, new: np.ndarray,
              memory: LoadMemory | None) -> tuple[np.ndarray, dict[str, Any], LoadMemory]:
    """Apply ``new``, wait, measure; returns (observation, info, load memory) with the simulator's
    observation layout and ``info`` keys."""
    live.apply(new)
    live.wait_ready(new)
    observe = params.decision_interval_s if live.config.observe_s is None else live.config.observe_s
    if observe > 0:
        time.sleep(observe)
    stations = live.measure()
    n, mu, t_out = len(caps), params.service_rate_per_replica, params.timeout_ms
    rows = [stations[name] for name in live.nodes]
    lam = np.array([float(r.get("arrival_rps", 0.0)) for r in rows])
    lat = np.array([float(r.get("latency_ms", params.base_network_ms)) for r in rows])
    p95 = np.array([float(r.get("p95_latency_ms", r.get("latency_ms", params.base_network_ms))) for r in rows])
    fail = np.clip(np.array([float(r.get("failed_fraction", 0.0)) for r in rows]), 0.0, 1.0)
    users = float(sum(float(r.get("users", 0.0)) for r in rows))
    arr = float(lam.sum())
    latency = float((lam * lat).sum() / arr) if arr > 0 else params.base_network_ms
    failed = float((lam * fail).sum() / arr) if arr > 0 else 0.0
    switches = float(np.abs(new - old).sum())
    w = params.reward
    cost = (w.latency_per_100ms * latency / 100 + w.replica * float(new.sum()) + w.failure * failed
            + w.switch * switches)
    full = caps * mu
    load = lam / full
    memory = LoadMemory.after(memory, load, params)
    ema, peak = memory.ema, memory.peak
    util = np.where(new > 0, lam / np.maximum(new * mu, 1e-9), np.where(lam > 0, 2.0, 0.0))
    obs = np.zeros(OBS_PER_NODE * n + 2, dtype=np.float32)
    for j in range(n):
        o = OBS_PER_NODE * j
        obs[o: o + OBS_PER_NODE] = (new[j] / caps[j], min(load[j], 2.0), min(util[j], 2.0),
                                    min(lat[j] / t_out, 1.0), 0.0, min(ema[j], 2.0), min(peak[j], 2.0))
    now = datetime.now(timezone.utc)
    angle = 2 * math.pi * (now.hour * 3600 + now.minute * 60 + now.second) / 86400
    obs[-2:] = (math.sin(angle), math.cos(angle))
    values = {"cost": cost, "latency_ms": latency, "p95_latency_ms": float(p95.max()) if n else latency,
              "success_rate": 1.0 - failed, "throughput_rps": arr * (1.0 - failed), "failed_fraction": failed,
              "replicas_total": float(new.sum()), "switches": switches, "users": users, "arrival_rps": arr}
    info: dict[str, Any] = {k: float(values[k]) for k in INFO_KEYS}
    info["replicas"] = new.astype(np.int64)
    info["utilisation"] = np.minimum(util, 2.0)
    # station j's share of the cost, as the simulator's (simulator.NODE_OUT): the shares sum to it
    share = lam / arr if arr > 0 else np.zeros(n)
    lat_share = share * lat if arr > 0 else np.full(n, params.base_network_ms / max(n, 1))
    info["station_cost"] = (w.latency_per_100ms * lat_share / 100 + w.failure * share * fail
                            + w.replica * new + w.switch * np.abs(new - old))
    return obs, info, memory
