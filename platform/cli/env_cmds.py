"""``lwmecps env ...``: check the environment and compare the baselines."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from .group_opts import GROUP_FILE, LATENCY_FILE, NODES_FILE
from .group_opts import workload as workload_of
from .output import console, print_json, table

env_app = typer.Typer(help="The edge-cluster environment: checks and baselines.", no_args_is_help=True)


@env_app.command("check")
def check() -> None:
    """Run Gymnasium's env checker on every workload group; exit 0 when all pass."""
    import warnings

    import gymnasium as gym
    from gymnasium.utils.env_checker import check_env

    from lwmecps.envs import ENV_ID, known_groups

    failed = 0
    for group in known_groups():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                env = gym.make(ENV_ID, group=group, seed=0)
                check_env(env.unwrapped)
                problem = "; ".join(str(w.message) for w in caught if issubclass(w.category, UserWarning))
            except Exception as exc:  # the checker raises on the first failed property
                problem = f"{type(exc).__name__}: {exc}"
        if problem:
            failed += 1
            console.print(f"[red]FAIL[/red] {group}: {problem}")
        else:
            console.print(f"[green]ok[/green]   {group}")
    if failed:
        raise typer.Exit(code=1)


@env_app.command("generate")
def generate(
    nodes: int = typer.Option(..., "--nodes", min=1, max=64, help="nodes (= stations) of the cluster"),
    seed: int = typer.Option(0, "--seed", help="seed of the nodes, the placement, the shares and the jitter"),
    out: Path = typer.Option(..., "--out", help="group file to write (YAML; --group-file takes it)"),
    name: str = typer.Option(None, "--name", help="group name (default: synthetic-<nodes>)"),
    users_per_node: float = typer.Option(16.5, "--users-per-node", min=0.1, max=600,
                                         help="mean users a node over the day (profile A: 16.5)"),
) -> None:
    """Write a synthetic cluster of N nodes (heterogeneous nodes, a latency matrix from station
    positions, profile A's daily curve); the formulas are in lwmecps.envs.generate."""
    from lwmecps.envs.generate import synthetic_spec, write_spec

    if out.is_dir():
        raise typer.BadParameter(f"{out} is a directory; give a file path", param_hint="--out")
    spec = synthetic_spec(nodes, seed, name=name, users_per_node=users_per_node)
    try:
        write_spec(spec, out)
    except OSError as exc:
        raise typer.BadParameter(f"cannot write {out}: {exc}", param_hint="--out") from None
    console.print(f"wrote {out}: {spec['name']}, {nodes} nodes, {spec['aggregate']['mean']:g} users on average")


@env_app.command("baselines")
def baselines(
    group: str = typer.Option("profile-a", "--group", "-g", help="workload group (see configs/groups/)"),
    episodes: int = typer.Option(1, "--episodes", "-n", min=1, max=1000, help="episodes per policy"),
    seed: int = typer.Option(0, "--seed", help="seed of episode 0; episode e uses seed + e"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object {policy: fields}"),
    group_file: Path = GROUP_FILE, nodes_file: Path = NODES_FILE, latency_file: Path = LATENCY_FILE,
) -> None:
    """Evaluate every baseline on GROUP: random, static-k, static-trained, best-static, hpa, hpa-tuned,
    causal-oracle, oracle-plan and the oracle bound."""
    from lwmecps.envs import as_group
    from lwmecps.envs.baselines import EVAL_FIELDS, baseline_names, evaluate_baselines
    from lwmecps.envs.cluster import ClusterSim

    group = workload_of(group, group_file, nodes_file, latency_file)
    workload = as_group(group)
    names = baseline_names(int(ClusterSim(workload).caps.max()))
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task(f"baselines on {workload.name}", total=len(names))
        results = evaluate_baselines(group, seed=seed, episodes=episodes, names=names,
                                     progress=lambda name: progress.advance(bar))
    if as_json:
        print_json(results)
        return
    oracle = results["oracle"]["cost"]
    rows = [[n, *[r[f] for f in EVAL_FIELDS], r["cost"] / oracle] for n, r in results.items()]
    table(f"Baselines on {workload.name} ({episodes} episode(s), seed {seed}); per-step means",
          ["policy", *EVAL_FIELDS, "cost / oracle"], rows)
