"""Shared output helpers: rich tables for people, one JSON line (last) for scripts."""
from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(stderr=True)  # progress and tables go to stderr; stdout stays machine-readable


def print_json(obj: Any) -> None:
    """The JSON result as the last line of stdout."""
    print(json.dumps(obj, sort_keys=False))


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title)
    for c in columns:
        t.add_column(c, justify="right" if c != columns[0] else "left")
    for r in rows:
        t.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in r])
    Console().print(t)
