"""Durations as the spec writes them (``"24h"``, ``"2h"``, ``"5m 3s"``, ``"42s"``): one rule for every route."""
from __future__ import annotations


def duration(seconds: float, parts: int = 2) -> str:
    """Whole hours, minutes and seconds, largest unit first, at most ``parts`` of them, the smaller ones
    cut (not rounded: 2 h 59 m is ``"2h"`` with one part); a zero part is left out (``"2h"``, not
    ``"2h 0m"``). ``seconds`` is rounded to whole seconds first; below one second ``"0s"``."""
    s = max(0, int(round(seconds)))
    units = [(s // 3600, "h"), (s % 3600 // 60, "m"), (s % 60, "s")]
    while len(units) > 1 and units[0][0] == 0:  # start at the largest unit that is there
        units.pop(0)
    kept = units[:parts]
    shown = [f"{n}{u}" for n, u in kept if n] or [f"{kept[0][0]}{kept[0][1]}"]
    return " ".join(shown)
