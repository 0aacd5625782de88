"""The training loop shared by the task runner (API) and ``lwmecps train`` (local)."""
from __future__ import annotations

from typing import Any, Callable

from .callbacks import finished_episodes


def train_episodes(algo, total: int, done: int = 0,
                   on_episodes: Callable[[int, list[dict[str, Any]]], None] | None = None,
                   on_iteration: Callable[[int, dict], None] | None = None,
                   should_stop: Callable[[], bool] = lambda: False) -> int:
    """``algo.train()`` until ``total`` episodes have finished (counting from ``done``).

    Episodes are counted from what the EnvRunners report (``EpisodeMetricsCallback``), across all
    runners; an iteration that finishes more than needed is cut at ``total``. ``on_episodes(first,
    rows)`` gets each batch of finished episodes; ``should_stop`` is checked between iterations.
    Returns the number of episodes done.
    """
    iteration = 0
    while done < total and not should_stop():
        result = algo.train()
        rows = finished_episodes(result)[: total - done]
        if rows:
            if on_episodes is not None:
                on_episodes(done, rows)
            done += len(rows)
        iteration += 1
        if on_iteration is not None:
            on_iteration(iteration, result)
    return done
