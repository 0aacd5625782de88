"""The Serve deployment that holds one model's inference RLModule and answers predicts.

Application ``policy-<model_id>``, deployment ``policy``: each replica restores the RLModule from the
model's checkpoint (no Algorithm), acts greedily, and records every predict's latency and its own
CPU/memory use as samples (``recorder``). The deployer hands over its ``Settings`` (secrets stay
``SecretStr``: pickled to the replica, never printed in Serve's config or logs).
"""
from __future__ import annotations

import time

import numpy as np
from ray import serve


@serve.deployment(name="policy", max_ongoing_requests=32, health_check_period_s=2,
                  graceful_shutdown_wait_loop_s=1, graceful_shutdown_timeout_s=10)
class PolicyServer:
    def __init__(self, model_id: str, checkpoint: str, cpu_request: float, memory_request: int, settings):
        from lwmecps.platform.algorithms.inference import load_policy
        from lwmecps.platform.store import Store

        from .recorder import SampleRecorder

        self.model_id = model_id
        self.policy, self.meta = load_policy(checkpoint)
        store = Store(settings.mongo_uri(), settings.mongodb_db)
        self.recorder = SampleRecorder(store.samples, model_id, sample_s=settings.metrics_sample_s,
                                       cpu_request=cpu_request, memory_request=memory_request)

    def predict(self, observation: list[float]) -> list[int]:
        """Greedy replicas per node for one observation (validated by the API)."""
        t0 = time.perf_counter()
        action = self.policy.act(np.asarray(observation, dtype=np.float32), None)
        self.recorder.record_request(time.perf_counter() - t0)
        return [int(a) for a in np.asarray(action).ravel()]

    def check_health(self) -> None:
        if not self.recorder.alive():
            raise RuntimeError("the sample recorder stopped")

    def __del__(self):
        recorder = getattr(self, "recorder", None)
        if recorder is not None:
            recorder.close()
