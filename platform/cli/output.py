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
    """A rich table; its first column (the row labels) is never cut short (up to 24 characters): the
    others shrink or wrap at their headers' spaces to fit the terminal."""
    t = Table(title=title)
    label = min(24, max([len(str(r[0])) for r in rows if r] + [len(columns[0])]))
    t.add_column(columns[0], justify="left", min_width=label)
    for c in columns[1:]:
        t.add_column(c, justify="right")
    for r in rows:
        t.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in r])
    Console().print(t)
