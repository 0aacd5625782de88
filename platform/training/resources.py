"""What one training task holds on the Ray cluster: its actor, its EnvRunners and its learners.

A task's ``parameters`` may set ``num_env_runners`` (0..64; 0 = sampling inside the task's actor),
``num_envs_per_env_runner`` (1..256), ``num_cpus_per_env_runner`` (> 0, fractional allowed) and
``num_learners`` (0..8; 0 = the learner inside the task's actor). What a task leaves out comes from
the settings (``LWMECPS_TRAINING_NUM_ENV_RUNNERS``, ``..._NUM_ENVS_PER_ENV_RUNNER``,
``..._NUM_CPUS_PER_ENV_RUNNER``, ``..._NUM_LEARNERS``), where ``auto`` is the default.

The ``auto`` rule, applied to ``F`` = the CPUs free on the cluster when the task starts, divided by
the training slots still open (``LWMECPS_MAX_CONCURRENT_TRAININGS`` - running trainings: tasks that
start together share), and ``H`` = ``LWMECPS_TRAINING_CPU_HEADROOM`` (0.5: left for
reconciliations and policy replicas, which a training must not starve):

* ``num_env_runners = min(LWMECPS_TRAINING_MAX_AUTO_ENV_RUNNERS, round(F))`` — one runner per free
  CPU, counting the one the task's actor takes, because in RLlib's synchronous algorithms the actor
  (the learner) waits while the runners sample, and the runners wait while it learns;
* ``num_cpus_per_env_runner = min(1, (F - actor_cpus - H) / num_env_runners)`` — the runners share
  what the actor and the headroom leave; below 0.1 CPU a runner would starve, so then the task
  samples in its actor (0 runners).

On this 2-core machine with the API up (0.1 CPU) that is 2 runners of 0.2 CPU (1.4 CPUs reserved):
both cores sample and the learner steps between them, and a reconciliation still finds 0.5 CPU; on
the KubeRay worker group (4 pods x 6 CPUs) 8 runners of 1 CPU spread over the pods. Free CPUs are counted cluster-wide, but a bundle must fit one node: an
``auto`` footprint that Ray cannot place is retried with one runner fewer until it is (or 0). The
whole footprint ``actor_cpus + runners * cpus_per_runner + learners *
cpus_per_learner`` is reserved at once as one placement group (``bundles``), in RLlib's bundle order
(the actor, then runner i in bundle i, then the learners), so a runner restarted after its node died
comes back in the same reservation, placed by Ray on a node that is alive.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ..settings import Settings
from .params import Param, ParameterError

AUTO = "auto"
MIN_RUNNER_CPUS = 0.1  # below this an EnvRunner's share of a core starves it

RESOURCE_PARAMS: dict[str, Param] = {
    "num_env_runners": Param(int, 0, 64, doc="remote EnvRunner actors (0: sample inside the task's actor); "
                                              "'auto': sized from the free CPUs"),
    "num_envs_per_env_runner": Param(int, 1, 256, doc="environments each EnvRunner steps as one batch"),
    "num_cpus_per_env_runner": Param(float, MIN_RUNNER_CPUS, 64.0, doc="CPUs reserved per EnvRunner; 'auto': "
                                                                      "a share of the free CPUs, at most 1"),
    "num_learners": Param(int, 0, 8, doc="remote learner actors (0: the learner inside the task's actor)"),
}
AUTO_KEYS = ("num_env_runners", "num_cpus_per_env_runner")  # the keys that accept "auto"


def validate(params: dict[str, Any]) -> dict[str, Any]:
    """The resource keys of a task's parameters, checked (``auto`` allowed where documented)."""
    out = {}
    for key, spec in RESOURCE_PARAMS.items():
        if key not in params:
            continue
        value = params[key]
        if value == AUTO and key in AUTO_KEYS:
            out[key] = AUTO
            continue
        try:
            out[key] = spec.check(key, value)
        except ParameterError as exc:
            hint = " or 'auto'" if key in AUTO_KEYS else ""
            raise ParameterError(f"{exc} (accepted: {spec.kind.__name__} in [{spec.low:g}, {spec.high:g}]{hint})") \
                from None
    return out


@dataclass(frozen=True)
class Footprint:
    """The resolved resources of one task (what is reserved, what the API reports)."""

    actor_cpus: float
    env_runners: int
    envs_per_env_runner: int
    cpus_per_env_runner: float
    learners: int
    cpus_per_learner: float = 1.0

    @property
    def cpus(self) -> float:
        """Every CPU the task holds: ``actor + runners * per_runner + learners * per_learner``."""
        return round(self.actor_cpus + self.env_runners * self.cpus_per_env_runner
                     + self.learners * self.cpus_per_learner, 4)

    @property
    def bundles(self) -> list[dict[str, float]]:
        """Placement-group bundles in RLlib's order: the actor, runner 1..n, then the learners."""
        return ([{"CPU": self.actor_cpus}] + [{"CPU": self.cpus_per_env_runner}] * self.env_runners
                + [{"CPU": self.cpus_per_learner}] * self.learners)

    def as_doc(self) -> dict[str, Any]:
        return {**asdict(self), "cpus": self.cpus}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Footprint":
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})


def requested(params: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A task's resource request: its parameters over the settings' defaults (``auto`` unresolved)."""
    return {
        "num_env_runners": params.get("num_env_runners", settings.training_num_env_runners),
        "num_envs_per_env_runner": params.get("num_envs_per_env_runner", settings.training_num_envs_per_env_runner),
        "num_cpus_per_env_runner": params.get("num_cpus_per_env_runner", settings.training_num_cpus_per_env_runner),
        "num_learners": params.get("num_learners", settings.training_num_learners),
    }


def resolve(params: dict[str, Any], settings: Settings, free_cpus: float) -> Footprint:
    """The footprint of a task started now, with ``free_cpus`` free on the cluster (the ``auto`` rule)."""
    req = requested(params, settings)
    actor = settings.training_num_cpus
    runners, per_runner = req["num_env_runners"], req["num_cpus_per_env_runner"]
    learner_cpus = req["num_learners"] * settings.training_num_cpus_per_learner
    if runners == AUTO:
        runners = min(settings.training_max_auto_env_runners, int(math.floor(max(free_cpus, 0.0) + 0.5)))
    if per_runner == AUTO:
        spare = free_cpus - actor - learner_cpus - settings.training_cpu_headroom
        per_runner = min(1.0, spare / runners) if runners else 1.0
        if per_runner < MIN_RUNNER_CPUS:
            if req["num_env_runners"] == AUTO:
                runners, per_runner = 0, 1.0
            else:  # runners asked for by number: give each the least share; the fit check decides
                per_runner = MIN_RUNNER_CPUS
    return Footprint(actor_cpus=actor, env_runners=int(runners), envs_per_env_runner=int(req["num_envs_per_env_runner"]),
                     cpus_per_env_runner=round(float(per_runner), 4), learners=int(req["num_learners"]),
                     cpus_per_learner=settings.training_num_cpus_per_learner)


def can_shrink(params: dict[str, Any], settings: Settings, footprint: Footprint) -> bool:
    """Whether an unplaceable footprint may be retried smaller: only runner counts the rule chose."""
    return requested(params, settings)["num_env_runners"] == AUTO and footprint.env_runners > 0


def shrink(footprint: Footprint) -> Footprint:
    """The ``auto`` footprint with one EnvRunner fewer, the others sharing the same CPUs (at most 1 each)."""
    n = footprint.env_runners - 1
    spare = footprint.env_runners * footprint.cpus_per_env_runner
    per = round(min(1.0, spare / n), 4) if n else 1.0
    return Footprint(footprint.actor_cpus, n, footprint.envs_per_env_runner, per, footprint.learners,
                     footprint.cpus_per_learner)


def least(params: dict[str, Any], settings: Settings) -> Footprint:
    """The smallest footprint the task can run with (``auto`` at its least: 0 runners)."""
    return resolve(params, settings, free_cpus=0.0)


def shortfall(footprint: Footprint, cluster_cpus: float) -> str | None:
    """Why the footprint can never fit a cluster of ``cluster_cpus`` CPUs (``None`` if it can)."""
    if footprint.cpus <= cluster_cpus + 1e-9:
        return None
    return (f"the task needs {footprint.cpus:g} CPUs (actor {footprint.actor_cpus:g} + {footprint.env_runners} "
            f"EnvRunners x {footprint.cpus_per_env_runner:g} + {footprint.learners} learners x "
            f"{footprint.cpus_per_learner:g}) but the Ray cluster has {cluster_cpus:g}; lower num_env_runners, "
            f"num_cpus_per_env_runner or num_learners")


def cluster_shortfall(footprint: Footprint) -> str | None:
    """``shortfall`` against the Ray cluster this process is connected to (``None`` without Ray)."""
    cluster = cluster_cpus()
    return shortfall(footprint, cluster[0]) if cluster is not None else None


def cluster_cpus() -> tuple[float, float] | None:
    """``(total, free)`` CPUs of the Ray cluster this process is connected to (``None``: no Ray here)."""
    import ray

    from ..ray_here import connected

    if not connected():
        return None
    return float(ray.cluster_resources().get("CPU", 0.0)), float(ray.available_resources().get("CPU", 0.0))
