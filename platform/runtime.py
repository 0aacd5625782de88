"""``lwmecps up``: the whole platform on one machine, and its orderly shutdown.

Starts, in order: the embedded MongoDB wire server (``nx-27017``, data in ``data/``) unless
``MONGODB_URI`` is set; a local Ray cluster with its dashboard (or attaches to ``RAY_ADDRESS``);
the scheduler actor; Ray Serve with the /api/v1 ingress on ``LWMECPS_API_HOST:LWMECPS_API_PORT``.
SIGINT/SIGTERM stop all of it. A lock file in ``data/`` refuses a second ``up`` while one runs.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

from .auth import create_token, token_hash
from .mongo_server import start_nx27017
from .ports import bindable, ephemeral_warning
from .settings import Settings
from .store import Store

ADMIN_TOKEN_FILE = "admin-token"


class AlreadyRunning(RuntimeError):
    pass


class BadPortVariable(ValueError):
    """A port variable ``up`` reads (``HAPROXY_PORTS``) that holds no port number."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def acquire_lock(data_dir: Path) -> Path:
    """``data/lwmecps.pid`` with our PID; ``AlreadyRunning`` when a live ``up`` holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = data_dir / "lwmecps.pid"
    if lock.exists():
        try:
            pid = int(lock.read_text().strip() or 0)
        except ValueError:
            pid = 0
        if pid and pid != os.getpid() and _pid_alive(pid):
            raise AlreadyRunning(f"lwmecps up is already running (pid {pid}, lock {lock}); stop it first")
    lock.write_text(str(os.getpid()))
    return lock


DRAIN_VAR = "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S"  # Serve's ingress drain (Settings.serve_drain_s)
# Serve's fixed ports in HAProxy mode, with Ray's defaults: HAProxy's metrics and stats listeners (all
# interfaces), and the fallback proxy HAProxy sends requests to while no ingress replica is up yet. A second
# `lwmecps up` on one machine sets other ports here. The fallback proxy binds with SO_REUSEPORT, so a second
# service's one binds the same port without an error and the kernel splits the connections: its HAProxy's
# fallback requests then reach the *first* service (seen in CI: a 401 for a valid token, right after a start).
HAPROXY_PORTS = {"RAY_SERVE_HAPROXY_METRICS_PORT": 9101, "RAY_SERVE_HAPROXY_STATS_PORT": 8404,
                 "RAY_SERVE_FALLBACK_PROXY_HTTP_PORT": 8500}
HAPROXY_PORT_VARS = tuple(HAPROXY_PORTS)
PORTS_WAIT_S = 10.0


def haproxy_ports_in_use(wait_s: float | None = None) -> list[str]:
    """``"VAR=port"`` for each of Serve's fixed HAProxy-mode ports (``HAPROXY_PORTS``, or the variable's
    value) that something on this machine still listens on after ``wait_s`` seconds (default
    ``PORTS_WAIT_S``: the processes of a service stopped a moment ago may still be exiting)."""
    ports = {}
    for var, default in HAPROXY_PORTS.items():
        try:
            ports[var] = int(os.environ.get(var, default))
        except ValueError:
            raise BadPortVariable(f"{var}={os.environ[var]!r}: expected a port number") from None
    deadline = time.monotonic() + (PORTS_WAIT_S if wait_s is None else wait_s)
    while True:
        taken = [f"{var}={port}" for var, port in ports.items() if not bindable("0.0.0.0", port, reuse_addr=True)]
        if not taken or time.monotonic() >= deadline:
            return taken
        time.sleep(0.5)


# Serve's controller kills a proxy whose ready check has not answered within this many seconds (Ray's
# default 5, times the proxy's restart count + 1). HAProxy's start took longer on 2 CPUs busy with a
# training beside it, and `serve.start` then failed with ActorDiedError (HAProxyManager, killed by ray.kill).
PROXY_READY_VAR = "RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S"
PROXY_READY_S = "30"


def export_settings(settings: Settings) -> None:
    """Absolute paths and ports into the environment, which Ray's workers inherit."""
    # a W&B service token inherited from the process that launched us (one that had a run open):
    # Ray's workers would inherit it and every training would log through that process's wandb-core,
    # where a task resumed after its actor died finds its own run still open ("run ID is in use")
    os.environ.pop("WANDB_SERVICE", None)
    os.environ["LWMECPS_DATA_DIR"] = str(settings.data_dir)
    os.environ["LWMECPS_ARTIFACTS_DIR"] = str(settings.artifacts_dir)
    os.environ["LWMECPS_WANDB_DIR"] = str(settings.wandb_dir)
    os.environ["LWMECPS_EMBEDDED_MONGO_PORT"] = str(settings.embedded_mongo_port)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if settings.serve_haproxy:  # read by Serve when it starts its proxies
        os.environ.setdefault("RAY_SERVE_ENABLE_HA_PROXY", "1")
    os.environ.setdefault(PROXY_READY_VAR, PROXY_READY_S)
    # read by Serve's controller and replicas (they inherit it): how long a stopping ingress drains
    os.environ.setdefault(DRAIN_VAR, f"{settings.serve_drain_s:g}")


# Environment variables that hold secrets: never put into a Ray runtime_env (the dashboard shows it).
SECRET_VARS = ("LWMECPS_ADMIN_TOKEN", "LWMECPS_MONGODB_URI", "LWMECPS_WANDB_API_KEY")


def attach_runtime_env() -> dict:
    """The settings for the processes of a Ray cluster ``up`` attaches to (they do not inherit this
    process's environment): every ``LWMECPS_*`` variable but the secret ones, and ``MONGODB_URI`` only
    when it carries no credentials. A cluster whose MongoDB needs a password gets ``MONGODB_URI`` from
    its own environment (the KubeRay manifests take it from a Secret)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("LWMECPS_") and k not in SECRET_VARS}
    for key in ("OMP_NUM_THREADS", "RAY_SERVE_ENABLE_HA_PROXY", *HAPROXY_PORT_VARS, DRAIN_VAR, PROXY_READY_VAR):
        if key in os.environ:
            env[key] = os.environ[key]
    uri = os.environ.get("MONGODB_URI")
    if uri and "@" not in uri:
        env["MONGODB_URI"] = uri
    return {"env_vars": env}


def start_serve(settings: Settings, say: Callable[[str], None]) -> None:
    """``serve.start`` with the API's host and port. When the controller killed the proxy before it
    answered its ready check (a slow start, see ``PROXY_READY_VAR``), the controller starts a new one:
    connect once more (``serve.start`` then attaches to the running controller) and let ``serve.run``
    wait for the new proxy to serve."""
    from ray import serve
    from ray.exceptions import RayActorError

    options = {"proxy_location": settings.serve_proxy_location,
               "http_options": {"host": settings.api_host, "port": settings.api_port}}
    try:
        serve.start(**options)
    except RayActorError:
        say("Serve's proxy was slow to start and is being restarted by Serve; waiting for the new one")
        serve.start(**options)


API_ANSWER_WAIT_S = 120.0


def wait_until_answering(url: str, say: Callable[[str], None], stop: threading.Event,
                         wait_s: float = API_ANSWER_WAIT_S) -> bool:
    """Poll ``GET url`` (the API's /health, no token) until the ingress itself answers: 200, or the 401 its
    auth gives a request without a token. ``serve.run`` returns once the deployments are healthy, but the
    proxy may still be down: the controller kills a proxy that missed its ready check and starts another
    (seen in CI: connection refused right after ``ready``), and a proxy or HAProxy without a route answers
    404/503. So ``up`` says "ready" only when a request gets through. False after ``wait_s`` seconds."""
    from .http_wait import poll_http

    return poll_http(url, ok=(200, 401), wait_s=wait_s, stop=stop,
                     on_wait=lambda: say(f"waiting for the API to answer on {url} (Serve's proxy is still starting)"))


ENV_TOKEN_NAME = "LWMECPS_ADMIN_TOKEN"


def register_env_admin_token(store: Store, settings: Settings) -> bool:
    """``LWMECPS_ADMIN_TOKEN`` given to ``up``: its hash goes into the token store (as the token named
    ``LWMECPS_ADMIN_TOKEN``, replacing the one of an earlier start), so API replicas on *any* node
    accept it. Attached to a cluster, the ingress may run on a worker node whose environment never saw
    the variable, and secrets are never put into a Ray runtime_env (the dashboard shows it). Started
    without the variable, ``up`` drops that stored token again (unsetting it revokes it)."""
    if settings.admin_token is None:
        store.tokens.drop_named(ENV_TOKEN_NAME)
        return False
    store.tokens.replace_named(token_hash(settings.admin_token.get_secret_value()), "admin", ENV_TOKEN_NAME)
    return True


def bootstrap_admin_token(store: Store, settings: Settings) -> Path | None:
    """On first start (no admin token stored, none in the environment) write one to ``data/admin-token``."""
    if settings.admin_token is not None or store.tokens.count("admin"):
        return None
    path = settings.data_dir / ADMIN_TOKEN_FILE
    token = create_token(store.tokens, "admin", name="bootstrap")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return path


def up(settings: Settings, say: Callable[[str], None], stop: threading.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set); everything started here is stopped on the way out."""
    settings = settings.resolved()
    export_settings(settings)
    stop = stop or threading.Event()
    with ExitStack() as stack:
        lock = acquire_lock(settings.data_dir)
        stack.callback(lambda: lock.unlink(missing_ok=True))
        if not bindable(settings.api_host, settings.api_port, reuse_addr=True):
            raise AlreadyRunning(f"port {settings.api_port} on {settings.api_host} is in use (LWMECPS_API_PORT)")
        if settings.serve_haproxy and not settings.ray_address and (taken := haproxy_ports_in_use()):
            raise AlreadyRunning(f"Serve's HAProxy-mode ports are in use ({', '.join(taken)}): another service on "
                                 f"this machine? Give this one other ports through those variables")
        if warning := ephemeral_warning(settings.api_port, "LWMECPS_API_PORT"):
            say(warning)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())

        if settings.embedded_mongo:
            say(f"starting the embedded MongoDB server (nx-27017) on 127.0.0.1:{settings.embedded_mongo_port}, "
                f"data in {settings.data_dir}")
            mongo = start_nx27017(settings.data_dir, settings.embedded_mongo_port)
            stack.callback(mongo.stop)
        store = Store(settings.mongo_uri(), settings.mongodb_db).init()
        register_env_admin_token(store, settings)
        token_file = bootstrap_admin_token(store, settings)

        import ray
        from ray import serve

        say("starting Ray" + (f" (attaching to {settings.ray_address})" if settings.ray_address else " with its dashboard"))
        ctx = ray.init(address=settings.ray_address, namespace="lwmecps", include_dashboard=True,
                       runtime_env=attach_runtime_env() if settings.ray_address else None,
                       dashboard_host="127.0.0.1", dashboard_port=settings.dashboard_port,
                       log_to_driver=False, configure_logging=True, logging_level="WARNING")
        stack.callback(ray.shutdown)

        from ..serve.ingress import application_config, build
        from .training.scheduler import get_or_start_scheduler

        scheduler = get_or_start_scheduler()
        ray.get(scheduler.running.remote())  # wait until it has recovered tasks of a previous run
        stack.callback(lambda: ray.get(scheduler.shutdown.remote(), timeout=10))

        say(f"starting Ray Serve on http://{settings.api_host}:{settings.api_port}")
        start_serve(settings, say)
        stack.callback(serve.shutdown)
        api = application_config(settings)
        serve.run(build(settings), name=api["name"], route_prefix=api["route_prefix"], blocking=False)
        from .serving.deployer import Deployer

        redeployed = Deployer(store, settings).restore()
        if redeployed:
            say(f"redeploying {redeployed} served polic{'y' if redeployed == 1 else 'ies'} of the previous run")
        from .autoscaling.actor import resume

        resumed = resume(store, settings)
        if resumed:
            say(f"resuming {resumed} autoscaler{'' if resumed == 1 else 's'} of the previous run")

        base = f"http://{'localhost' if settings.api_host in ('127.0.0.1', '0.0.0.0') else settings.api_host}"
        if not wait_until_answering(f"{base}:{settings.api_port}/api/v1/health", say, stop) and not stop.is_set():
            say(f"the API does not answer on {base}:{settings.api_port} after {API_ANSWER_WAIT_S:.0f} s; "
                f"Serve may still be starting its proxy (see the Ray dashboard)")
        say(f"API:        {base}:{settings.api_port}/api/v1")
        say(f"OpenAPI:    {base}:{settings.api_port}/docs")
        say(f"Dashboard:  {ctx.dashboard_url and 'http://' + ctx.dashboard_url or 'not started'}")
        if token_file:
            say(f"Admin token (first start) written to {token_file}; more: lwmecps token create --role admin|read")
        else:
            say("Tokens: lwmecps token create --role admin|read (or LWMECPS_ADMIN_TOKEN)")
        say("ready; Ctrl-C stops everything")
        while not stop.is_set():
            stop.wait(0.5)
        say("stopping")
