"""``lwmecps bench ...``: reproducible performance measurements (ratios measured in one run)."""
from __future__ import annotations

import typer

from .output import console, print_json, table

bench_app = typer.Typer(help="Benchmarks; each prints ratios measured in one run.", no_args_is_help=True)


def _param_set(text: str) -> dict:
    """One ``--params`` value: a JSON object of task parameters (else a usage error naming it)."""
    import json

    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"--params {text!r} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise typer.BadParameter(f"--params must be a JSON object, got {text!r}")
    return value


def _seeds(seeds: str) -> tuple[int, ...]:
    try:
        seed_list = tuple(int(s) for s in seeds.split(",") if s.strip())
    except ValueError:
        raise typer.BadParameter(f"--seeds must be comma-separated integers, got {seeds!r}") from None
    if not seed_list:
        raise typer.BadParameter("--seeds needs at least one seed")
    return seed_list


@bench_app.command("env")
def bench_env(
    steps: int = typer.Option(30000, "--steps", min=1000, max=10_000_000, help="single-env steps per repeat"),
    batch_steps: int = typer.Option(1500, "--batch-steps", min=100, max=1_000_000, help="batched steps per repeat"),
    repeats: int = typer.Option(3, "--repeats", min=1, max=20, help="repeats; the best of each is kept"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
) -> None:
    """Env steps/s: EdgeClusterEnv vs CartPole-v1 (single env) and the batched simulator at 256."""
    from lwmecps.platform.bench.env_throughput import run

    result = run(steps=steps, batch_steps=batch_steps, repeats=repeats, log=console.print)
    if as_json:
        print_json(result)
    else:
        table("Env throughput (env steps/s)", ["measure", "value"], [[k, v] for k, v in result.items()])


@bench_app.command("api")
def bench_api(
    clients: int = typer.Option(8, "--clients", min=1, max=64, help="concurrent clients"),
    seconds: float = typer.Option(8.0, "--seconds", min=1, max=120, help="load duration per target"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
) -> None:
    """GET /api/v1/training/{id}: Ray Serve vs the same app under uvicorn alone (req/s, p50, p99)."""
    from lwmecps.platform.bench.api_latency import run

    result = run(clients=clients, seconds=seconds, log=console.print)
    if as_json:
        print_json(result)
    else:
        table("API latency (8 clients, loopback)", ["measure", "value"], [[k, v] for k, v in result.items()])


@bench_app.command("serve")
def bench_serve(
    model: str = typer.Option(None, "--model", help="checkpoint to serve (default: a fresh PPO of profile-a's shape)"),
    clients: int = typer.Option(8, "--clients", min=1, max=64, help="concurrent clients for req/s"),
    seconds: float = typer.Option(8.0, "--seconds", min=1, max=120, help="load duration per replica count"),
    requests: int = typer.Option(2000, "--requests", min=100, max=100_000, help="sequential predicts for p50/p99"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
) -> None:
    """Predict through Ray Serve (1 and 2 replicas) vs forward_inference in-process (p50, p99, req/s)."""
    from lwmecps.platform.bench.serve_latency import run

    result = run(model=model, clients=clients, seconds=seconds, requests=requests, log=console.print)
    if as_json:
        print_json(result)
    else:
        table("Served-policy latency", ["measure", "value"], [[k, v] for k, v in result.items()])


@bench_app.command("train")
def bench_train(
    model_types: str = typer.Option("ppo,dqn,sac,td3,q_learning", "--types", help="comma-separated model types"),
    budget_s: float = typer.Option(None, "--budget-s", "--budget", min=10, max=7200,
                                   help="training seconds per run (default: ppo 240, dqn 600, sac 600, td3 240, "
                                        "q_learning 240)"),
    seeds: str = typer.Option("1,2,3", "--seeds", help="comma-separated training seeds"),
    days: int = typer.Option(4, "--days", min=1, max=30, help="evaluation days per group (seeds 0..days-1)"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
) -> None:
    """Every model type x seeds on profile-a; judged on profile-a and the held-out suite against
    causal-oracle, best-static, hpa-tuned, static-trained and the oracle bound."""
    from lwmecps.platform.bench.train_quality import run
    from lwmecps.platform.training.registry import MODEL_TYPES

    types = tuple(t.strip() for t in model_types.split(",") if t.strip())
    unknown = [t for t in types if t not in MODEL_TYPES]
    if unknown or not types:
        raise typer.BadParameter(f"unknown model type(s) {unknown}; known: {', '.join(MODEL_TYPES)}")
    seed_list = _seeds(seeds)
    result = run(types, budget_s=budget_s, seeds=seed_list, days=days, log=console.print)
    if as_json:
        print_json(result)
    else:
        keys = [k for k, v in result[types[0]].items() if not isinstance(v, (dict, list))]
        table("Training quality (cost ratios; lower is better)", ["type", *keys],
              [[t, *[result[t][k] for k in keys]] for t in types])
        for miss in result["misses"]:
            console.print(f"[red]miss[/red] {miss}")


@bench_app.command("validate")
def bench_validate(
    model_type: str = typer.Option(..., "--type", help="the model type whose defaults are chosen"),
    params: list[str] = typer.Option(None, "--params", help="one JSON object of task parameters per set; "
                                     "repeat the flag to compare sets (default: the type's defaults)"),
    budget_s: float = typer.Option(None, "--budget-s", "--budget", min=10, max=7200,
                                   help="training seconds per run (default: as in `bench train`)"),
    seeds: str = typer.Option("1,2", "--seeds", help="comma-separated training seeds"),
    days: int = typer.Option(2, "--days", min=1, max=30, help="evaluation days per validation group"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
) -> None:
    """Compare parameter sets of one model type on the validation suite (where defaults are chosen)."""
    import json

    from lwmecps.platform.bench.validation import run
    from lwmecps.platform.training.registry import ParameterError

    sets = [_param_set(text) for text in params or ["{}"]]
    try:
        result = run(model_type, sets, seeds=_seeds(seeds), budget_s=budget_s, days=days, log=console.print)
    except ParameterError as exc:
        raise typer.BadParameter(str(exc)) from None
    if as_json:
        print_json(result)
    else:
        cols = ["vs_causal_oracle", "vs_causal_oracle_worst", "vs_best_static", "vs_hpa_tuned"]
        table(f"{model_type} on the validation suite (cost ratios; lower is better)", ["params", *cols],
              [[json.dumps(r["params"]), *[r[c] for c in cols]] for r in result["results"]])


@bench_app.command("spec-dqn")
def bench_spec_dqn(
    episodes: int = typer.Option(1000, "--episodes", min=1, max=100_000, help="training episodes (the spec: 1000)"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
) -> None:
    """The spec's DQN example (lr 0.001, gamma 0.99, 1000 episodes) reconciled on
    reconciliation-group-1 (sample_size 100): policy vs hpa and hpa-tuned costs."""
    from lwmecps.platform.bench.spec_example import run

    result = run(episodes=episodes, log=console.print)
    if as_json:
        print_json(result)
    else:
        table("Spec DQN example on reconciliation-group-1", ["figure", "value"], [[k, v] for k, v in result.items()])


@bench_app.command("scale")
def bench_scale(
    steps: int = typer.Option(23040, "--steps", min=2304, max=10_000_000, help="env steps measured per runner count"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
    write: bool = typer.Option(False, "--write", help="also write the figures into benchmarks/README.md "
                               "(its scale block) and benchmarks/latest.json"),
) -> None:
    """PPO env steps/s with 0, 1 and 2 remote EnvRunners (same configuration, same env steps)."""
    from pathlib import Path

    from lwmecps.platform.bench.scale import run

    readme = Path("benchmarks/README.md")
    if write and not readme.is_file():
        raise typer.BadParameter("benchmarks/README.md does not exist (run from the repository root)")
    result = run(steps=steps, log=console.print)
    if write:
        from lwmecps.platform.bench.report import write_scale

        write_scale(readme, result)
    if as_json:
        print_json(result)
    else:
        table("Training scale-out (PPO, env steps/s)", ["figure", "value"],
              [[k, v] for k, v in result.items() if k != "per_runner"])


@bench_app.command("nodes")
def bench_nodes(
    budget_s: float = typer.Option(900.0, "--budget-s", "--budget", min=10, max=7200,
                                   help="training seconds per seed (16 nodes, seeds 1-2: 1.010x best-static "
                                        "after 600 s, 1.003x after 900 s, 1.009x after 1500 s: both seeds "
                                        "kept their policy of 585 s)"),
    seeds: str = typer.Option("1,2", "--seeds", help="comma-separated training seeds"),
    days: int = typer.Option(4, "--days", min=1, max=30, help="evaluation days (seeds 0..days-1)"),
    params: str = typer.Option("{}", "--params", help="one JSON object of PPO task parameters over its defaults "
                               "(900 s with '{\"learning_rate_end\": 0.0001, \"lr_decay_steps\": 800000}': 1.016x "
                               "best-static, 0.994x hpa-tuned; kept policies of 707 and 617 s; 2026-12-06 with "
                               "'{\"observe_neighbours\": false}', seeds 1-2: 1.024x and 1.030x best-static, 1.020x and "
                               "1.024x hpa-tuned on the selection day: each node's own inputs lose on 16 nodes; "
                               "'{\"prior\": \"static-trained\", \"prior_logit\": 2}', seeds 1-3: 1.0076x best-static, "
                               "selection day 0.980x hpa-tuned: no gain over the defaults; the same for 1500 s, "
                               "seeds 1-4: 0.9941x best-static, 0.8996x hpa, the written figure)"),
    selection_days: int = typer.Option(1, "--selection-days", min=1, max=10,
                                       help="days (seeds 20000..) each checkpoint is scored on to keep the best "
                                            "(none of them an evaluation day; 2026-12-06, 3 days, defaults, "
                                            "seeds 1-3: 1.0088x best-static, against 1.0065x with 1 day)"),
    as_json: bool = typer.Option(False, "--json", help="last line: one JSON object"),
    write: bool = typer.Option(False, "--write", help="also write the figures into benchmarks/README.md "
                               "(its nodes block) and benchmarks/latest.json"),
) -> None:
    """Node scale: env steps/s x nodes at 4, 16 and 64 nodes, and PPO trained on the 16-node group
    against best-static, hpa, hpa-tuned, causal-oracle and the oracle bound there."""
    from pathlib import Path

    import numpy as np

    from lwmecps.platform.bench import env_throughput, nodes

    readme = Path("benchmarks/README.md")
    if write and not readme.is_file():
        raise typer.BadParameter("benchmarks/README.md does not exist (run from the repository root)")
    from lwmecps.platform.training.registry import ParameterError, get_model_type

    seed_list = _seeds(seeds)
    task_params = _param_set(params)
    try:
        get_model_type("ppo").resolve(task_params)
    except ParameterError as exc:
        raise typer.BadParameter(str(exc), param_hint="--params") from None
    speed = env_throughput.node_rates(256, 400, 3, np.random.default_rng(0), console.print)
    result = {**speed, **nodes.run(seeds=seed_list, budget_s=budget_s, days=days, params=task_params,
                                   log=console.print, selection_days=selection_days)}
    if write:
        from lwmecps.platform.bench.report import write_nodes

        write_nodes(readme, result)
    if as_json:
        print_json(result)
    else:
        table("Clusters in nodes", ["figure", "value"],
              [[k, v] for k, v in result.items() if not isinstance(v, dict)])


@bench_app.command("report")
def bench_report(
    train: bool = typer.Option(True, "--train/--no-train", help="include the training benchmark (~50 min)"),
    budget_s: float = typer.Option(None, "--budget-s", "--budget", min=10, max=7200,
                                   help="training seconds per run of the training benchmark (shortens it)"),
    readme: str = typer.Option("benchmarks/README.md", "--readme", help="report to update"),
) -> None:
    """Every benchmark in one go; rewrites the "Latest run" section of benchmarks/README.md."""
    from pathlib import Path

    from lwmecps.platform.bench.report import run_all, write

    path = Path(readme)
    if not path.is_file():
        raise typer.BadParameter(f"{readme} does not exist (run from the repository root)")
    results = run_all(include_train=train, train_budget_s=budget_s, log=console.print)
    write(path, results)
    console.print(f"updated {path} and {path.parent / 'latest.json'}")
