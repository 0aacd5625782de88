"""API latency: ``GET /api/v1/training/{id}`` through Ray Serve vs the same app under uvicorn alone.

One run, one machine: an embedded nx-27017 store with one task, the ingress deployment on Ray Serve
(as ``lwmecps up`` runs it), and the very same FastAPI app served directly by uvicorn in its own
process. ``clients`` threads (8) each send requests back to back for ``seconds`` per target
(bounded in time and count, loopback only); req/s and p50/p99 latencies are measured per target.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import httpx
import numpy as np

from ..http_wait import poll_http


def _load(url: str, token: str, clients: int, seconds: float, max_requests: int) -> dict[str, float]:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0]
    deadline = time.monotonic() + seconds

    def worker(i: int) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10) as c:
            while time.monotonic() < deadline and len(latencies[i]) < max_requests:
                t0 = time.perf_counter()
                r = c.get(url)
                latencies[i].append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors[0] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.monotonic() - t0
    lat = np.concatenate([np.array(x) for x in latencies]) * 1000
    return {"rps": len(lat) / elapsed, "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
            "requests": int(len(lat)), "errors": errors[0]}


def _wait_http(url: str, token: str, timeout: float = 120) -> None:
    if not poll_http(url, headers={"Authorization": f"Bearer {token}"}, wait_s=timeout, interval_s=0.3):
        raise RuntimeError(f"{url} did not answer within {timeout} s")


def run(clients: int = 8, seconds: float = 8.0, max_requests: int = 20000,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    from lwmecps.platform.auth import create_token
    from lwmecps.platform.mongo_server import start_nx27017
    from lwmecps.platform.ports import free_port
    from lwmecps.platform.store import Store

    work = Path(tempfile.mkdtemp(prefix="lwmecps-bench-api-"))
    mongo = start_nx27017(work / "data", free_port())
    direct = None
    try:
        os.environ.update({"MONGODB_URI": mongo.uri, "LWMECPS_MONGODB_DB": "bench", "OMP_NUM_THREADS": "1"})
        from lwmecps.platform.runtime import HAPROXY_PORT_VARS, export_settings
        from lwmecps.platform.settings import Settings

        export_settings(Settings().resolved())  # the proxy mode lwmecps up uses
        for var in HAPROXY_PORT_VARS:  # HAProxy's own ports beside a running `lwmecps up`, not shared with it
            os.environ.setdefault(var, str(free_port()))
        store = Store(mongo.uri, "bench").init()
        token = create_token(store.tokens, "read", "bench")
        task = store.tasks.create({"name": "bench", "model_type": "ppo", "parameters": {}, "total_episodes": 20,
                                   "group_id": "profile-a"})
        store.tasks.add_episodes(task["_id"], 0, [{"reward": -600.0, "steps": 288, "latency": 0.05}] * 20, 20)
        path = f"/api/v1/training/{task['_id']}"

        # the same app, served by uvicorn alone in its own process
        direct_port = free_port()
        direct = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "lwmecps.serve.direct:app",
                                   "--port", str(direct_port), "--log-level", "warning"],
                                  env=os.environ.copy(), start_new_session=True)
        _wait_http(f"http://127.0.0.1:{direct_port}{path}", token)
        log("direct uvicorn up")

        import ray
        from ray import serve

        from lwmecps.serve.ingress import build

        serve_port = free_port()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 _temp_dir=tempfile.mkdtemp(prefix="ray", dir="/tmp"))
        try:
            serve.start(http_options={"host": "127.0.0.1", "port": serve_port})
            serve.run(build(Settings()), name="bench", route_prefix="/", blocking=False)
            _wait_http(f"http://127.0.0.1:{serve_port}{path}", token)
            log("Ray Serve up")
            results = {}
            for name, port in (("direct", direct_port), ("serve", serve_port)):
                _load(f"http://127.0.0.1:{port}{path}", token, clients, 1.0, 200)  # warm-up
                results[name] = _load(f"http://127.0.0.1:{port}{path}", token, clients, seconds, max_requests)
                log(f"{name}: {results[name]['rps']:.0f} req/s, p50 {results[name]['p50_ms']:.1f} ms, "
                    f"p99 {results[name]['p99_ms']:.1f} ms, {results[name]['errors']} errors")
        finally:
            serve.shutdown()
            ray.shutdown()
    finally:
        if direct is not None:
            direct.send_signal(signal.SIGTERM)
            direct.wait(10)
        mongo.stop()
    s, d = results["serve"], results["direct"]
    return {
        "serve_rps": round(s["rps"], 1), "direct_rps": round(d["rps"], 1),
        "serve_vs_direct_rps": round(s["rps"] / d["rps"], 3),
        "serve_p50_ms": round(s["p50_ms"], 2), "serve_p99_ms": round(s["p99_ms"], 2),
        "direct_p50_ms": round(d["p50_ms"], 2), "direct_p99_ms": round(d["p99_ms"], 2),
        "errors": s["errors"] + d["errors"], "clients": clients, "seconds": seconds,
        "proxy": "haproxy" if os.environ.get("RAY_SERVE_ENABLE_HA_PROXY") == "1" else "default",
    }
