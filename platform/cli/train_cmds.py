"""``lwmecps train`` (a training run on this machine, no API) and ``lwmecps eval``."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .output import console, print_json, table
from .resource_opts import ENVS, LEARNERS, RUNNER_CPUS, RUNNERS, resource_params


def train(
    model_type: str = typer.Option(..., "--model-type", "-m", help="ppo, dqn or sac"),
    group: str = typer.Option("profile-a", "--group", "-g", help="workload group to train on"),
    episodes: int = typer.Option(40, "--episodes", "-n", min=1, max=100_000, help="episodes (simulated days)"),
    seed: int = typer.Option(0, "--seed", min=0),
    out: Path = typer.Option(None, "--out", help="output folder (default artifacts/local/<type>-<group>-<seed>)"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
    param: list[str] = typer.Option(None, "--param", "-p", help="a task parameter KEY=VALUE (repeatable), "
                                    "e.g. -p learning_rate=0.001; the same keys as the API's parameters"),
    num_env_runners: str = RUNNERS, num_envs_per_env_runner: int = ENVS, num_cpus_per_env_runner: str = RUNNER_CPUS,
    num_learners: int = LEARNERS,
) -> None:
    """Train MODEL_TYPE on GROUP locally with a progress bar; prints the checkpoint and its quality."""
    from lwmecps.envs import UnknownGroupError, load_group
    from lwmecps.platform.training.registry import ParameterError, get_model_type

    params = {**_parse_params(param or []), **resource_params(num_env_runners, num_envs_per_env_runner,
                                                              num_cpus_per_env_runner, num_learners)}
    try:
        get_model_type(model_type).resolve(params)
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

        checkpoint = train_local(model_type, group, episodes, out.resolve(), seed=seed, params=params,
                                 on_episodes=on_episodes)
    policy, _ = load_policy(checkpoint)
    quality = model_quality(policy, group)
    result = {"checkpoint": str(checkpoint), "model_type": model_type, "group": group, "episodes": episodes,
              "parameters": params, **quality}
    if as_json:
        print_json(result)
    else:
        table("Trained model", ["field", "value"], [[k, v] for k, v in result.items()])


def _parse_params(items: list[str]) -> dict:
    """``["learning_rate=0.001", "n_step=3"]`` -> ``{"learning_rate": 0.001, "n_step": 3}`` (JSON values)."""
    import json

    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"--param needs KEY=VALUE, got {item!r}", param_hint="--param")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw  # a bare string; the parameter table says whether it is accepted
    return out


def evaluate_model(
    model: Path = typer.Option(..., "--model", help="checkpoint folder written by lwmecps train or a task"),
    group: str = typer.Option("profile-a", "--group", "-g", help="workload group to evaluate on"),
    episodes: int = typer.Option(1, "--episodes", "-n", min=1, max=100),
    seed: int = typer.Option(0, "--seed", min=0),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object {policy: fields}"),
) -> None:
    """The baselines table plus this model on GROUP; costs relative to the oracle bound and hpa."""
    from lwmecps.envs import ShapeMismatch, UnknownGroupError, check_same_shape, load_group
    from lwmecps.envs.baselines import DEFAULT_TRAIN_GROUP, EVAL_FIELDS, evaluate, evaluate_baselines
    from lwmecps.platform.algorithms.inference import load_policy, read_meta

    try:
        target, meta = load_group(group), read_meta(model)
        check_same_shape(load_group(meta.get("group_id") or DEFAULT_TRAIN_GROUP), target)
        policy, meta = load_policy(model)
    except (UnknownGroupError, ShapeMismatch, FileNotFoundError, OSError) as exc:
        raise typer.BadParameter(str(exc)) from None
    with console.status(f"evaluating on {group}"):
        # static-trained and hpa-tuned are tuned on the workload the model was trained on
        results = evaluate_baselines(group, seed=seed, episodes=episodes,
                                     train_group=meta.get("group_id") or DEFAULT_TRAIN_GROUP)
        results["model"] = evaluate(policy, group=group, seed=seed, episodes=episodes)
    ratios = {"vs_oracle": "oracle", "vs_causal": "causal-oracle", "vs_best_static": "best-static",
              "vs_hpa_tuned": "hpa-tuned", "vs_hpa": "hpa"}
    for r in results.values():
        r.update({k: r["cost"] / results[name]["cost"] for k, name in ratios.items()})
    if as_json:
        print_json(results)
        return
    rows = [[n, *[r[f] for f in EVAL_FIELDS], *[r[k] for k in ratios]] for n, r in results.items()]
    table(f"{meta['model_type']} model vs baselines on {group}",
          ["policy", *EVAL_FIELDS, *[f"/ {name}" for name in ratios.values()]], rows)
