"""``lwmecps sweep``: a Ray Tune sweep from the command line (the KubeRay RayJob runs this)."""
from __future__ import annotations

import json

import typer

from .output import console, print_json


def sweep_cmd(
    model_type: str = typer.Option("ppo", "--model-type", help="model type to sweep"),
    group: str = typer.Option("profile-a", "--group", help="workload group"),
    space: str = typer.Option('{"learning_rate": {"loguniform": [0.0001, 0.001]}}', "--space",
                              help="JSON: API parameter -> search space"),
    num_samples: int = typer.Option(8, "--num-samples", min=1, max=1000),
    iterations: int = typer.Option(20, "--iterations", min=1, max=100000, help="training iterations per trial"),
    register_best: bool = typer.Option(False, "--register-best", help="store the best trial as a model"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
) -> None:
    """Sweep a model type's parameters with Ray Tune; prints one row per trial, best first."""
    from lwmecps.platform.sweeps import sweep
    from lwmecps.platform.training.registry import ParameterError

    try:
        param_space = json.loads(space)
        result = sweep(model_type, param_space, group=group, num_samples=num_samples, iterations=iterations,
                       register_best=register_best, log=console.print)
    except (ValueError, ParameterError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(result.results.to_string())
    console.print(f"best: {result.best_params} (cost {result.best_cost:.3f})"
                  + (f", registered as model {result.model_id}" if result.model_id else ""))
    if as_json:
        print_json({"best_params": result.best_params, "best_cost": result.best_cost, "model_id": result.model_id,
                    "trials": len(result.results)})
