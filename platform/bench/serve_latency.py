"""Served-policy latency: ``predict`` through Ray Serve (1 and 2 replicas) vs ``forward_inference``
in-process, in one run.

One machine: an embedded nx-27017 store (the replicas record their samples there, as in production),
a local Ray with Serve (no HTTP proxy: the API reaches policies through deployment handles, and so
does this benchmark), and a PPO checkpoint of profile-a's shape (``--model`` or a fresh untrained one:
latency does not depend on the weights). Sequential predicts give p50/p99; ``clients`` threads sending
back to back for ``seconds`` give req/s, with 1 and then 2 replicas. Loops are bounded in time and count.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

OBS = [0.25, 0.3, 0.3, 0.1, 0.0, 0.3, 0.3] * 4 + [0.0, 1.0]


def _sequential(call: Callable[[], Any], n: int) -> np.ndarray:
    out = np.empty(n)
    for i in range(n):
        t0 = time.perf_counter()
        call()
        out[i] = time.perf_counter() - t0
    return out * 1000.0


def _throughput(call: Callable[[], Any], clients: int, seconds: float, max_requests: int) -> tuple[float, int]:
    counts, errors = [0] * clients, [0]
    deadline = time.monotonic() + seconds

    def worker(i: int) -> None:
        while time.monotonic() < deadline and counts[i] < max_requests:
            try:
                call()
            except Exception:
                errors[0] += 1
            counts[i] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return sum(counts) / (time.monotonic() - t0), errors[0]


def _checkpoint(work: Path) -> str:
    from lwmecps.platform.algorithms.inference import save_checkpoint
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.registry import build_config

    register()
    algo = build_config("ppo", {}, "profile-a").build_algo()
    try:
        return str(save_checkpoint(algo, work / "checkpoint", {"model_type": "ppo", "group_id": "profile-a"}))
    finally:
        algo.stop()


def run(model: str | None = None, clients: int = 8, seconds: float = 8.0, requests: int = 2000,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    import ray
    from ray import serve

    from lwmecps.platform.algorithms.inference import load_policy
    from lwmecps.platform.mongo_server import start_nx27017
    from lwmecps.platform.ports import free_port
    from lwmecps.platform.serving.policy_app import PolicyServer
    from lwmecps.platform.settings import Settings

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    work = Path(tempfile.mkdtemp(prefix="lwmecps-bench-serve-"))
    mongo = start_nx27017(work / "data", free_port())
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _temp_dir=tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    try:
        checkpoint = model or _checkpoint(work)
        policy, _ = load_policy(checkpoint)
        obs = np.asarray(OBS, dtype=np.float32)
        _sequential(lambda: policy.act(obs, None), 100)  # warm-up
        inproc = _sequential(lambda: policy.act(obs, None), requests)
        log(f"in-process: p50 {np.percentile(inproc, 50):.3f} ms")

        settings = Settings(mongodb_uri=mongo.uri, mongodb_db="bench")
        serve.start(proxy_location="Disabled")
        results: dict[int, dict[str, float]] = {}
        for replicas in (1, 2):
            app = PolicyServer.options(num_replicas=replicas,
                                       ray_actor_options={"num_cpus": 0.1}).bind(
                "bench", checkpoint, 1.0, 2**30, settings)
            handle = serve.run(app, name="policy-bench", route_prefix=None)

            def call():
                return handle.predict.remote(OBS).result(timeout_s=30)

            _sequential(call, 100)
            lat = _sequential(call, requests)
            rps, errors = _throughput(call, clients, seconds, 20000)
            results[replicas] = {"p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99)),
                                 "rps": rps, "errors": errors}
            log(f"serve, {replicas} replica(s): p50 {results[replicas]['p50']:.2f} ms, "
                f"p99 {results[replicas]['p99']:.2f} ms, {rps:.0f} req/s ({clients} clients), {errors} errors")
        serve.shutdown()
    finally:
        ray.shutdown()
        mongo.stop()
    p50_in = float(np.percentile(inproc, 50))
    return {
        "serve_p50_ms": round(results[1]["p50"], 3), "serve_p99_ms": round(results[1]["p99"], 3),
        "serve_rps_1": round(results[1]["rps"], 1), "serve_rps_2": round(results[2]["rps"], 1),
        "inproc_p50_ms": round(p50_in, 4),
        "serve_vs_inproc_p50": round(results[1]["p50"] / p50_in, 1),
        "rps_2_vs_1": round(results[2]["rps"] / results[1]["rps"], 3),
        "errors": results[1]["errors"] + results[2]["errors"], "clients": clients, "seconds": seconds,
    }
