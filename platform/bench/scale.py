"""``lwmecps bench scale``: the same PPO configuration with 0 (sampling inside the algorithm's
process), 1 and 2 remote EnvRunners, trained for the same number of env steps, in one run.

For each runner count: build the algorithm (``registry.build_config`` with a ``Footprint`` of that
many runners sharing the machine's CPUs), run one warm-up iteration (numba compiles, actors start),
then iterate until ``steps`` env steps more were sampled. ``steps_per_s`` = env steps sampled in
the measured iterations / their wall time (sampling and learning together); ``wall_s`` that wall
time. ``sample_s``: the same number of sampling rounds timed alone (``synchronous_parallel_sample``,
as PPO's training step calls it); ``learn_s = wall_s - sample_s`` (the learner's update and the
weight sync): where the time goes. ``speedup_2_vs_0 = steps_per_s_r2 / steps_per_s_r0``.

The runners are RLlib's synchronous EnvRunners: they sample in parallel, then the learner (in the
algorithm's process) updates while they wait, so the speed-up is bounded by the learner's share of
an iteration (Amdahl: ``1 / (learn + sample / n)`` of the 0-runner time, when sampling splits evenly).
"""
from __future__ import annotations

import os
import tempfile
import time
from typing import Any, Callable

RUNNERS = (0, 1, 2)


def measure(runners: int, steps: int, cpus: float, seed: int = 0) -> dict[str, Any]:
    """Train PPO (defaults, profile-a) with ``runners`` remote EnvRunners until ``steps`` env steps."""
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.registry import build_config
    from lwmecps.platform.training.resources import Footprint

    register()
    per_runner = round(min(1.0, (cpus - 1.0) / runners), 3) if runners else 1.0
    footprint = Footprint(actor_cpus=1.0, env_runners=runners, envs_per_env_runner=8,
                          cpus_per_env_runner=max(per_runner, 0.1), learners=0)
    algo = build_config("ppo", {}, "profile-a", seed=seed, footprint=footprint).build_algo()
    try:
        algo.train()  # warm-up: compiled kernels, started actors
        sampled, wall, iterations = 0, 0.0, 0
        while sampled < steps:
            t0 = time.perf_counter()
            result = algo.train()
            wall += time.perf_counter() - t0
            sampled += int(result["env_runners"]["num_env_steps_sampled"])
            iterations += 1
        # where the time goes: the same sampling alone (RLlib's synchronous_parallel_sample, as PPO's
        # training step calls it, results shipped to this process), for as many env steps
        from ray.rllib.execution.rollout_ops import synchronous_parallel_sample

        batch = algo.config.total_train_batch_size
        t0 = time.perf_counter()
        for _ in range(iterations):
            synchronous_parallel_sample(worker_set=algo.env_runner_group, max_env_steps=batch,
                                        _uses_new_env_runners=True, _return_metrics=True)
        sample_s = time.perf_counter() - t0
        learn_s = max(0.0, wall - sample_s)
    finally:
        algo.stop()
    return {"runners": runners, "cpus_per_runner": footprint.cpus_per_env_runner, "env_steps": sampled,
            "wall_s": round(wall, 2), "steps_per_s": round(sampled / wall, 1),
            "sample_s": round(sample_s, 2), "learn_s": round(learn_s, 2)}


def run(steps: int = 23040, log: Callable[[str], None] = print) -> dict[str, Any]:
    import ray

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cpus = float(os.cpu_count() or 2)
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=int(cpus), include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                 _temp_dir=os.environ.get("RAY_TMPDIR") or tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    try:
        rows = {}
        for n in RUNNERS:
            rows[n] = measure(n, steps, cpus)
            log(f"{n} EnvRunner(s): {rows[n]['steps_per_s']} env steps/s over {rows[n]['env_steps']} steps "
                f"in {rows[n]['wall_s']} s (sampling {rows[n]['sample_s']} s, learning {rows[n]['learn_s']} s)")
    finally:
        if started:
            ray.shutdown()
    out: dict[str, Any] = {f"steps_per_s_r{n}": rows[n]["steps_per_s"] for n in RUNNERS}
    out["speedup_2_vs_0"] = round(rows[2]["steps_per_s"] / rows[0]["steps_per_s"], 3)
    out["wall_s_r0"], out["wall_s_r2"] = rows[0]["wall_s"], rows[2]["wall_s"]
    out["per_runner"] = {f"r{n}": rows[n] for n in RUNNERS}
    out["cpus"] = cpus
    return out


def amdahl(r0: dict[str, Any], runners: int) -> float | None:
    """Env steps/s with ``runners`` runners projected from the 0-runner row: ``1 / (learn + sample /
    n)`` per env step (sampling splits over the runners, learning does not)."""
    per_step_sample, per_step_learn = r0["sample_s"] / r0["env_steps"], r0["learn_s"] / r0["env_steps"]
    total = per_step_learn + per_step_sample / runners
    return 1.0 / total if total > 0 else None


def projection(scale: dict[str, Any]) -> dict[str, Any]:
    """Env steps/s for the KubeRay worker group (``platform/kuberay.py``: up to ``maxReplicas`` pods
    of ``WORKER_RESOURCES`` CPUs), projected by Amdahl's law from this run: per iteration, sampling
    splits over the runners and learning does not, so ``t(n) = learn + sample_0 / n`` with
    ``sample_0``, ``learn`` the 0-runner run's phase times per env step; ``n`` = one runner per
    worker CPU, at most ``LWMECPS_TRAINING_MAX_AUTO_ENV_RUNNERS`` (the auto rule)."""
    from lwmecps.platform import kuberay
    from lwmecps.platform.settings import Settings

    r0 = scale["per_runner"]["r0"]
    pods = kuberay.cluster_spec()["workerGroupSpecs"][0]["maxReplicas"]
    cpus = pods * float(kuberay.WORKER_RESOURCES["cpu"])
    n = int(min(Settings.model_construct().training_max_auto_env_runners, cpus - 1))
    rate = amdahl(r0, n)
    rate = round(rate, 1) if rate else None
    per_step_learn = r0["learn_s"] / r0["env_steps"]
    limit = round(1.0 / per_step_learn, 1) if per_step_learn > 0 else None
    return {"pods": pods, "cpus": cpus, "runners": n, "steps_per_s": rate, "learner_bound_steps_per_s": limit,
            "text": f"{pods} worker pods x {kuberay.WORKER_RESOURCES['cpu']} CPUs, {n} EnvRunners (the auto "
                    f"rule's cap): ~{rate} env steps/s for one PPO task, bounded by its single learner at "
                    f"~{limit} env steps/s (more learners: num_learners); more runners than that only help "
                    f"several tasks or a sweep at once."}
