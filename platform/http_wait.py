"""Wait for an HTTP server that a process has just started to answer (``lwmecps up``, benchmarks).

A server is "up" for a caller only when a request gets the answer that caller needs: ``up`` wants
the API's own answer to /health (200, or the 401 of its auth: a proxy without the route answers
404/503), a benchmark wants a 200 with its token. One polling loop serves both; what counts as an
answer, the headers, the bound and how to say that it waits are the caller's.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Collection, Mapping

import httpx

POLL_INTERVAL_S = 0.5


def poll_http(url: str, ok: Collection[int] = (200,), headers: Mapping[str, str] | None = None,
              wait_s: float = 120.0, stop: threading.Event | None = None,
              on_wait: Callable[[], None] | None = None, interval_s: float = POLL_INTERVAL_S) -> bool:
    """``GET url`` every ``interval_s`` seconds until its status is in ``ok``: True then; False after
    ``wait_s`` seconds or once ``stop`` is set. A refused or timed-out request (5 s each) counts as not
    yet. ``on_wait`` is called once, after the first request that did not answer (to say it waits)."""
    stop = stop or threading.Event()
    deadline = time.monotonic() + wait_s
    said = False
    while not stop.is_set():
        try:
            if httpx.get(url, headers=dict(headers or {}), timeout=5).status_code in ok:
                return True
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            return False
        if not said and on_wait is not None:
            on_wait()
        said = True
        stop.wait(interval_s)
    return False
