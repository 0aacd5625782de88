"""``lwmecps train`` (a training run on this machine, no API) and ``lwmecps eval``."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .group_opts import GROUP_FILE, LATENCY_FILE, NODES_FILE, name_of, workload
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
    num_learners: int = LEARNERS, group_file: Path = GROUP_FILE, nodes_file: Path = NODES_FILE,
    latency_file: Path = LATENCY_FILE,
) -> None:
    """Train MODEL_TYPE on GROUP (or --group-file) locally with a progress bar; prints the checkpoint
    and its quality."""
    from lwmecps.platform.training.registry import ParameterError, get_model_type

    params = {**_parse_params(param or []), **resource_params(num_env_runners, num_envs_per_env_runner,
                                                              num_cpus_per_env_runner, num_learners)}
    try:
        get_model_type(model_type).resolve(params)
    except ParameterError as exc:
        raise typer.BadParameter(str(exc)) from None
    target = workload(group, group_file, nodes_file, latency_file)
    group = name_of(target)
    from lwmecps.platform.algorithms.inference import load_policy
    from lwmecps.platform.training.local import train_local
    from lwmecps.platform.training.quality import model_quality

    out = out or Path("artifacts") / "local" / f"{model_type}-{group}-{seed}"
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[last]}"), console=console) as progress:
        bar = progress.add_task(f"{model_type} on {group}", total=episodes, last="")

        def on_episodes(first, rows):
            progress.update(bar, advance=len(rows), last=f"last return {rows[-1]['reward']:.1f}")

        checkpoint = train_local(model_type, target, episodes, out.resolve(), seed=seed, params=params,
                                 on_episodes=on_episodes)
    policy, _ = load_policy(checkpoint)
    quality = model_quality(policy, target)
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
    group_file: Path = GROUP_FILE, nodes_file: Path = NODES_FILE, latency_file: Path = LATENCY_FILE,
    by_hour: bool = typer.Option(False, "--by-hour", help="also per block of the day: mean users, and the cost "
                                 "and replicas of the model, causal-oracle, hpa-tuned and best-static (JSON: "
                                 "each policy's \"by_hour\" list)"),
    block_hours: float = typer.Option(2.0, "--block-hours", min=0.25, max=24.0, help="hours per block of --by-hour"),
    by_node: bool = typer.Option(False, "--by-node", help="also per node: mean replicas, share of steps at 0 replicas "
                                 "(its users served by the nearest node with replicas) and share of steps that "
                                 "changed its count, for the model, causal-oracle, hpa-tuned and best-static "
                                 "(JSON: each policy's \"by_node\" list)"),
) -> None:
    """The baselines table plus this model on GROUP (or --group-file); costs relative to the oracle
    bound and hpa. static-trained and hpa-tuned are tuned on the group the model was trained on
    when it is a shipped one, else on GROUP's own other days. --by-hour shows *when* in the day the
    model gains or loses against them, --by-node *where* it spends replicas."""
    from lwmecps.envs import ShapeMismatch, as_group, check_same_shape, known_groups
    from lwmecps.envs.baselines import DEFAULT_TRAIN_GROUP, EVAL_FIELDS, evaluate, evaluate_baselines
    from lwmecps.platform.algorithms.inference import load_policy, read_meta

    target = as_group(workload(group, group_file, nodes_file, latency_file))
    try:
        meta = read_meta(model)
        trained_on = meta.get("group_id") or DEFAULT_TRAIN_GROUP
        trained_on = as_group(trained_on) if trained_on in known_groups() else target
        recorded = meta.get("max_replicas")
        if recorded is not None:  # the shape the checkpoint recorded (any group)
            check_same_shape(meta.get("group_id") or trained_on.name, target, max_replicas=recorded)
        else:  # older checkpoints: the shape of the shipped training group
            check_same_shape(trained_on, target)
        policy, meta = load_policy(model)
    except (ShapeMismatch, FileNotFoundError, OSError) as exc:
        raise typer.BadParameter(str(exc)) from None
    group = target.name
    blocks = block_hours if by_hour else None
    with console.status(f"evaluating on {group}"):
        results = evaluate_baselines(target, seed=seed, episodes=episodes, train_group=trained_on, by_hour=blocks,
                                     by_node=by_node)
        results["model"] = evaluate(policy, group=target, seed=seed, episodes=episodes, by_hour=blocks,
                                    by_node=by_node)
    ratios = {"vs_oracle": "oracle", "vs_causal": "causal-oracle", "vs_best_static": "best-static",
              "vs_hpa_tuned": "hpa-tuned", "vs_hpa": "hpa"}
    for r in results.values():
        r.update({k: r["cost"] / results[name]["cost"] for k, name in ratios.items()})
    if as_json:
        print_json(results)
        return
    # two tables, so that each fits an 80-column terminal (the reward, -cost, and full precision are in --json)
    shown = {"cost": ("cost", "{:.3f}"), "latency_ms": ("latency ms", "{:.1f}"), "p95_latency_ms": ("p95 ms", "{:.1f}"),
             "success_rate": ("success", "{:.3f}"), "replicas": ("replicas", "{:.2f}")}
    table(f"{meta['model_type']} model vs baselines on {group}: mean per step",
          ["policy", *[head for head, _ in shown.values()]],
          [[n, *[r[f] if r[f] is None else fmt.format(r[f]) for f, (_, fmt) in shown.items()]] for n, r in results.items()])
    table(f"cost / each baseline's cost on {group} (causal: causal-oracle; below 1: cheaper than it)",
          ["policy", *[f"/ {'causal' if name == 'causal-oracle' else name}" for name in ratios.values()]],
          [[n, *[r[k] for k in ratios]] for n, r in results.items()])
    if by_hour:
        hour_table(results, group, block_hours)
    if by_node:
        node_table(results, group)


#: the policies ``lwmecps eval --by-hour`` and ``--by-node`` set side by side
BY_HOUR_POLICIES = ("model", "causal-oracle", "hpa-tuned", "best-static")


def hour_table(results: dict[str, dict], group: str, block_hours: float) -> None:
    """One row per block of the day: mean users, then ``cost / replicas`` per step of each policy."""
    names = [n for n in BY_HOUR_POLICIES if results.get(n, {}).get("by_hour")]
    rows = []
    for k, block in enumerate(results["model"]["by_hour"]):
        start = block["hour"]
        rows.append([f"{_clock(start)}-{_clock(start + block_hours)}", f"{block['users']:.1f}",
                     *[f"{results[n]['by_hour'][k]['cost']:.3f} / {results[n]['by_hour'][k]['replicas']:.2f}"
                       for n in names]])
    table(f"by time of day on {group}: mean cost / total replicas per step", ["hours", "users", *names], rows)


def node_table(results: dict[str, dict], group: str) -> None:
    """One row per node: ``replicas / empty / changes`` (``evaluate``'s ``by_node``) of each policy."""
    names = [n for n in BY_HOUR_POLICIES if results.get(n, {}).get("by_node")]
    rows = [[node["node"], *[f"{results[n]['by_node'][j]['replicas']:.2f} / {results[n]['by_node'][j]['empty']:.0%} / "
                             f"{results[n]['by_node'][j]['changes']:.0%}" for n in names]]
            for j, node in enumerate(results["model"]["by_node"])]
    table(f"by node on {group}: mean replicas / steps at 0 replicas / steps that changed the count", ["node", *names],
          rows)


def _clock(hours: float) -> str:
    minutes = round(hours * 60) % (24 * 60) if hours < 24 else 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


