"""The system sampler behind ``GET /api/v1/metrics``: machine CPU and memory use every ``sample_s``.

Runs as a daemon thread in each API replica (so it runs wherever the API runs: ``lwmecps up`` or a
RayService). Several replicas write several samples per period; the per-interval mean is unchanged.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Any

from ..store.samples import SYSTEM

log = logging.getLogger("lwmecps.serving")


def system_sample() -> dict[str, Any]:
    """``cpu``: busy share of all cores since the previous call; ``memory``: used share of RAM."""
    import psutil

    return {"kind": "system", "model_id": SYSTEM, "ts": datetime.now(timezone.utc),
            "cpu": psutil.cpu_percent(interval=None) / 100.0, "memory": psutil.virtual_memory().percent / 100.0}


class SystemCollector:
    def __init__(self, samples, sample_s: float):
        self.samples, self.sample_s = samples, sample_s
        self._stop = threading.Event()
        system_sample()  # primes psutil's CPU counters: the first reading covers nothing
        self._thread = threading.Thread(target=self._run, name="system-collector", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.sample_s):
            try:
                self.samples.add_many([system_sample()])
            except Exception as exc:  # the database may be restarting; the next period retries
                log.warning("could not store a system sample: %s", type(exc).__name__)

    def stop(self) -> None:
        self._stop.set()
