"""``lwmecps``: the one command-line entry point (sub-commands grow with the platform)."""
from __future__ import annotations

import typer

from .bench_cmds import bench_app
from .env_cmds import env_app
from .kuberay_cmds import kuberay_app
from .sweep_cmds import sweep_cmd
from .train_cmds import evaluate_model, train
from .up_cmds import token_app, up

app = typer.Typer(help="LWMECPS Gym: learn and serve per-node replica counts for edge clusters.",
                  no_args_is_help=True, add_completion=False)
app.add_typer(env_app, name="env")
app.add_typer(bench_app, name="bench")
app.add_typer(token_app, name="token")
app.add_typer(kuberay_app, name="kuberay")
app.command("up")(up)
app.command("train")(train)
app.command("eval")(evaluate_model)
app.command("sweep")(sweep_cmd)


if __name__ == "__main__":
    app()
