"""Buffered writers of samples: served requests and a process's resource use, flushed in the background.

A served predict must not wait on the database: ``record_request`` appends to a buffer that a daemon
thread writes with one ``insert_many`` per ``flush_s``; the same thread samples the process's CPU
(cores, from ``psutil`` CPU times) and resident memory every ``sample_s``.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger("lwmecps.serving")


class SampleRecorder:
    def __init__(self, samples, model_id: str, flush_s: float = 1.0, sample_s: float = 5.0,
                 cpu_request: float = 1.0, memory_request: int = 2**30):
        import psutil

        self.samples, self.model_id = samples, model_id
        self.flush_s, self.sample_s = flush_s, sample_s
        self.cpu_request, self.memory_request = cpu_request, memory_request
        self._proc = psutil.Process()
        self._cpu_t, self._cpu_wall = self._cpu_seconds(), time.monotonic()
        self._buf: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._next_sample = 0.0
        self._thread = threading.Thread(target=self._run, name=f"recorder-{model_id}", daemon=True)
        self._thread.start()

    def _cpu_seconds(self) -> float:
        t = self._proc.cpu_times()
        return t.user + t.system

    def record_request(self, latency_s: float) -> None:
        with self._lock:
            self._buf.append({"kind": "request", "model_id": self.model_id, "ts": datetime.now(timezone.utc),
                              "latency_s": float(latency_s)})

    def _resource_sample(self) -> dict[str, Any]:
        """CPU and memory of this replica as shares of what the deploy requested (0..1+)."""
        cpu_t, wall = self._cpu_seconds(), time.monotonic()
        cores = (cpu_t - self._cpu_t) / max(wall - self._cpu_wall, 1e-6)
        self._cpu_t, self._cpu_wall = cpu_t, wall
        rss = self._proc.memory_info().rss
        return {"kind": "resource", "model_id": self.model_id, "ts": datetime.now(timezone.utc),
                "cpu": cores / self.cpu_request, "memory": rss / self.memory_request,
                "cpu_cores": cores, "memory_bytes": rss}

    def flush(self) -> None:
        with self._lock:
            batch, self._buf = self._buf, []
        if time.monotonic() >= self._next_sample:
            self._next_sample = time.monotonic() + self.sample_s
            batch.append(self._resource_sample())
        try:
            self.samples.add_many(batch)
        except Exception as exc:  # the database may be restarting: keep serving, keep the samples
            log.warning("could not store %d samples: %s", len(batch), type(exc).__name__)
            with self._lock:
                self._buf = [b for b in batch if b["kind"] == "request"][-100_000:] + self._buf

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            self.flush()

    def alive(self) -> bool:
        """Whether the background flusher still runs (the replica's health check)."""
        return self._thread.is_alive()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()
