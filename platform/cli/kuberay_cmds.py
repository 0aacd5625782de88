"""``lwmecps kuberay render``: write (or check) the generated KubeRay manifests."""
from __future__ import annotations

from pathlib import Path

import typer

from .output import console

kuberay_app = typer.Typer(help="KubeRay manifests generated from code.", no_args_is_help=True)


@kuberay_app.command("render")
def render(
    out: Path = typer.Option(Path("kuberay"), "--out", help="folder to write the manifests into"),
    check: bool = typer.Option(False, "--check", help="write nothing; exit 1 when a file differs"),
) -> None:
    """RayService (API + policies) and RayJob (sweep) from lwmecps/platform/kuberay.py."""
    from lwmecps.platform.kuberay import render as render_all

    stale = []
    for name, text in render_all().items():
        path = out / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
            continue
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        console.print(f"wrote {path}")
    if stale:
        console.print(f"[red]out of date: {', '.join(stale)}; run `lwmecps kuberay render`[/red]")
        raise typer.Exit(1)
