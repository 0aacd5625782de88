"""The resource flags ``lwmecps train`` and ``lwmecps sweep`` share (``training.resources``)."""
from __future__ import annotations

from typing import Any

import typer

RUNNERS = typer.Option(None, "--num-env-runners", help="remote EnvRunners, 0..64, or auto (one per free CPU)")
ENVS = typer.Option(None, "--num-envs-per-env-runner", help="envs per EnvRunner, 1..256")
RUNNER_CPUS = typer.Option(None, "--num-cpus-per-env-runner", help="CPUs per EnvRunner (> 0), or auto")
LEARNERS = typer.Option(None, "--num-learners", help="remote learners, 0..8 (0: in the training process)")


def _number(text: str) -> Any:
    """``"auto"`` stays a string; numbers become int or float; anything else is left for the
    parameter check to reject with the accepted range."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def resource_params(num_env_runners: str | None, num_envs_per_env_runner: int | None,
                    num_cpus_per_env_runner: str | None, num_learners: int | None) -> dict[str, Any]:
    given = {"num_env_runners": None if num_env_runners is None else _number(num_env_runners),
             "num_envs_per_env_runner": num_envs_per_env_runner,
             "num_cpus_per_env_runner": None if num_cpus_per_env_runner is None else _number(num_cpus_per_env_runner),
             "num_learners": num_learners}
    return {k: v for k, v in given.items() if v is not None}
