"""``lwmecps train`` (a training run on this machine, no API) and ``lwmecps eval``."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .output import console, print_json, table


def train(
    model_type: str = typer.Option(..., "--model-type", "-m", help="ppo, dqn or sac"),
    group: str = typer.Option("profile-a", "--group", "-g", help="workload group to train on"),
    episodes: int = typer.Option(40, "--episodes", "-n", min=1, max=100_000, help="episodes (simulated days)"),
    seed: int = typer.Option(0, "--seed", min=0),
    out: Path = typer.Option(None, "--out", help="output folder (default artifacts/local/<type>-<group>-<seed>)"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
) -> None:
    """Train MODEL_TYPE on GROUP locally with a progress bar; prints the checkpoint and its quality."""
    from lwmecps.envs import UnknownGroupError, load_group
    from lwmecps.platform.training.registry import ParameterError, get_model_type

    try:
        get_model_type(model_type)
        load_group(group)
    except (ParameterError, UnknownGroupError) as exc:
        raise typer.BadParameter(str(exc)) from None
    from lwmecps.platform.algorithms.inference import load_policy
    from lwmecps.platform.training.local import train_local
    from lwmecps.platform.training.quality import model_quality

    out = out or Path("artifacts") / "local" / f"{model_type}-{group}-{seed}"
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[last]}"), console=console) as progress:
        bar = progress.add_task(f"{model_type} on {group}", total=episodes, last="")

        def on_episodes(first, rows):
            progress.update(bar, advance=len(rows), last=f"last return {rows[-1]['reward']:.1f}")

        checkpoint = train_local(model_type, group, episodes, out.resolve(), seed=seed, on_episodes=on_episodes)
    policy, _ = load_policy(checkpoint)
    quality = model_quality(policy, group)
    result = {"checkpoint": str(checkpoint), "model_type": model_type, "group": group, "episodes": episodes,
              **quality}
    if as_json:
        print_json(result)
    else:
        table("Trained model", ["field", "value"], [[k, v] for k, v in result.items()])


def evaluate_model(
    model: Path = typer.Option(..., "--model", help="checkpoint folder written by lwmecps train or a task"),
    group: str = typer.Option("profile-a", "--group", "-g", help="workload group to evaluate on"),
    episodes: int = typer.Option(1, "--episodes", "-n", min=1, max=100),
    seed: int = typer.Option(0, "--seed", min=0),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object {policy: fields}"),
) -> None:
    """The baselines table plus this model on GROUP; costs relative to oracle and hpa."""
    from lwmecps.envs import UnknownGroupError, load_group
    from lwmecps.envs.baselines import EVAL_FIELDS, evaluate, evaluate_baselines
    from lwmecps.platform.algorithms.inference import load_policy

    try:
        load_group(group)
        policy, meta = load_policy(model)
    except (UnknownGroupError, FileNotFoundError, OSError) as exc:
        raise typer.BadParameter(str(exc)) from None
    with console.status(f"evaluating on {group}"):
        results = evaluate_baselines(group, seed=seed, episodes=episodes)
        results["model"] = evaluate(policy, group=group, seed=seed, episodes=episodes)
    for r in results.values():
        r["vs_oracle"] = r["cost"] / results["oracle"]["cost"]
        r["vs_hpa"] = r["cost"] / results["hpa"]["cost"]
    if as_json:
        print_json(results)
        return
    rows = [[n, *[r[f] for f in EVAL_FIELDS], r["vs_oracle"], r["vs_hpa"]] for n, r in results.items()]
    table(f"{meta['model_type']} model vs baselines on {group}", ["policy", *EVAL_FIELDS, "/ oracle", "/ hpa"], rows)
