"""Where a running training's actors are, and how fast it steps (what ``GET /training/{id}`` shows)."""
from __future__ import annotations

import time
from typing import Any


def _where(_actor=None) -> dict[str, str]:
    import ray

    return {"node_id": ray.get_runtime_context().get_node_id(), "ip": ray.util.get_node_ip_address()}


def _runner_where(runner) -> dict[str, str]:
    """Where an EnvRunner is, and the name Ray's dashboard shows for it (``LwmecpsEnvRunner``)."""
    return {**_where(), "name": repr(runner)}


class Placement:
    """The nodes of a built ``Algorithm``'s process, its remote EnvRunners and its learners."""

    def __init__(self, algo):
        self.algo = algo
        self._restarts = self._restart_count()

    def _restart_count(self) -> int:
        group = getattr(self.algo, "env_runner_group", None)
        return group.num_remote_worker_restarts() if group is not None else 0

    def changed(self) -> bool:
        """True once after an EnvRunner was restarted (it may sit on another node now)."""
        count = self._restart_count()
        moved, self._restarts = count != self._restarts, count
        return moved

    def settled_nodes(self, timeout_s: float = 60.0) -> dict[str, Any]:
        """Where the actors are when training ends, with every remote EnvRunner accounted for.

        A runner whose node died in the last iteration is only noticed then, and RLlib restores
        runners at the start of the next iteration, which never comes: so restore here (Ray
        recreates the actor in its placement group's bundle, rescheduled on a live node) until
        all runners answer or ``timeout_s`` passes; then the runners that answer."""
        group = self.algo.env_runner_group
        deadline = time.monotonic() + timeout_s
        while True:
            self.algo.restore_env_runners(group)
            where = self.nodes()
            if len(where["env_runners"]) >= group.num_remote_env_runners() or time.monotonic() > deadline:
                return where
            time.sleep(1.0)

    def nodes(self) -> dict[str, Any]:
        """``{"actor": {node_id, ip}, "env_runners": [...], "learners": [...]}`` (healthy ones only)."""
        group = self.algo.env_runner_group
        runners = group.foreach_env_runner(_runner_where, local_env_runner=False) if group.num_remote_env_runners() else []
        learners = []
        learner_group = getattr(self.algo, "learner_group", None)
        if learner_group is not None and not learner_group.is_local:
            learners = [call.get() for call in learner_group.foreach_learner(_where) if call.ok]
        return {"actor": _where(), "env_runners": list(runners), "learners": list(learners)}


def env_steps(result: dict) -> int:
    """Env steps sampled so far (all runners), from an ``algo.train()`` result."""
    return int((result.get("env_runners") or {}).get("num_env_steps_sampled_lifetime") or 0)


def env_steps_per_s(result: dict) -> float | None:
    """Env steps per second of the iteration, sampling and learning together: ``env steps sampled
    in it (all runners) / its wall time``."""
    sampled = (result.get("env_runners") or {}).get("num_env_steps_sampled")
    wall = result.get("time_this_iter_s")
    return round(float(sampled) / float(wall), 1) if sampled and wall else None
