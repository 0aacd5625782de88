"""``lwmecps bench ...``: reproducible performance measurements (ratios measured in one run)."""
from __future__ import annotations

import typer

from .output import console, print_json, table

bench_app = typer.Typer(help="Benchmarks; each prints ratios measured in one run.", no_args_is_help=True)


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
