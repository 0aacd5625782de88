"""``lwmecps sweep``: a Ray Tune sweep from the command line (the KubeRay RayJob runs this)."""
from __future__ import annotations

import json

import typer

from .output import console, print_json
from .resource_opts import ENVS, LEARNERS, RUNNER_CPUS, RUNNERS, resource_params


def sweep_cmd(
    model_type: str = typer.Option("ppo", "--model-type", help="model type to sweep"),
    group: str = typer.Option("profile-a", "--group", help="workload group"),
    space: str = typer.Option('{"learning_rate": {"loguniform": [0.0001, 0.001]}}', "--space",
                              help="JSON: API parameter -> search space"),
    num_samples: int = typer.Option(8, "--num-samples", min=1, max=1000),
    iterations: int = typer.Option(20, "--iterations", min=1, max=100000, help="training iterations per trial"),
    register_best: bool = typer.Option(False, "--register-best", help="store the best trial as a model"),
    scheduler: str = typer.Option(None, "--scheduler", help="asha: stop weak trials early (default: none)"),
    max_concurrent: int = typer.Option(None, "--max-concurrent-trials", min=1, max=1000,
                                       help="cap on trials at once (default: what the free CPUs hold)"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
    num_env_runners: str = RUNNERS, num_envs_per_env_runner: int = ENVS, num_cpus_per_env_runner: str = RUNNER_CPUS,
    num_learners: int = LEARNERS,
) -> None:
    """Sweep a model type's parameters with Ray Tune; prints one row per trial, best first."""
    from lwmecps.platform.sweeps import sweep
    from lwmecps.platform.training.registry import ParameterError

    try:
        param_space = json.loads(space)
        result = sweep(model_type, param_space, group=group, num_samples=num_samples, iterations=iterations,
                       register_best=register_best, log=console.print, scheduler=scheduler,
                       max_concurrent_trials=max_concurrent,
                       resources=resource_params(num_env_runners, num_envs_per_env_runner, num_cpus_per_env_runner,
                                                 num_learners))
    except (ValueError, ParameterError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(result.results.to_string())
    console.print(f"best: {result.best_params} (cost {result.best_cost:.3f})"
                  + (f", registered as model {result.model_id}" if result.model_id else ""))
    if as_json:
        print_json({"best_params": result.best_params, "best_cost": result.best_cost, "model_id": result.model_id,
                    "trials": len(result.results)})
