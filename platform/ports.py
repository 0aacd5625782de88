"""Free TCP ports for servers that a process starts a moment later (tests, benchmarks).

A port from ``bind(0)`` lies in the kernel's ephemeral range (``net.ipv4.ip_local_port_range``,
32768-60999 here), where every other process binds too while ours is still unbound: each of Ray's
workers started by ``ray.init`` binds its gRPC server there. In CI one of them took an e2e test's
API port before Serve's HAProxy bound it, and the test's client read HTTP/2 bytes ("illegal request
line"). So ports come from :data:`DEFAULT_RANGE`, where nothing allocates by itself: above the
worker ports of ``ray start`` (10002-19999), below Serve's direct-ingress ports (HTTP 30000-31000,
gRPC 40000-41000) and the ephemeral range.

Processes that run at once (pytest-xdist workers) take disjoint ranges through
:data:`RANGE_VAR` (``"LO-HI"``, inclusive); within one process ports are handed out in turn from a
random start, so two calls never return the same port while the first is still unbound.
"""
from __future__ import annotations

import itertools
import os
import random
import socket

DEFAULT_RANGE = (20000, 29999)
RANGE_VAR = "LWMECPS_FREE_PORT_RANGE"

_cursor: dict[tuple[int, int], itertools.cycle] = {}


def port_range() -> tuple[int, int]:
    """``(lo, hi)`` from :data:`RANGE_VAR`, else :data:`DEFAULT_RANGE`; ValueError names a bad value."""
    raw = os.environ.get(RANGE_VAR)
    if not raw:
        return DEFAULT_RANGE
    try:
        lo, hi = (int(x) for x in raw.split("-"))
    except ValueError:
        raise ValueError(f"{RANGE_VAR}={raw!r}: expected 'LO-HI', e.g. '20000-24999'") from None
    if not 1024 <= lo <= hi <= 65535:
        raise ValueError(f"{RANGE_VAR}={raw!r}: need 1024 <= LO <= HI <= 65535")
    return lo, hi


def bindable(host: str, port: int, reuse_addr: bool = False) -> bool:
    """Whether a TCP socket can bind ``(host, port)`` now; ``reuse_addr``: as servers that set
    ``SO_REUSEADDR`` bind (a port in TIME_WAIT counts as free; a listening one never does)."""
    with socket.socket() as s:
        if reuse_addr:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def free_port(host: str = "127.0.0.1") -> int:
    """The next port of this process's range that ``host`` can bind now; RuntimeError when none is."""
    span = port_range()
    lo, hi = span
    if span not in _cursor:
        start = random.randint(lo, hi)
        _cursor[span] = itertools.cycle([*range(start, hi + 1), *range(lo, start)])
    ports = _cursor[span]
    for _ in range(hi - lo + 1):
        port = next(ports)
        if bindable(host, port):
            return port
    raise RuntimeError(f"no free TCP port on {host} in {lo}-{hi} ({RANGE_VAR})")


def ephemeral_range() -> tuple[int, int] | None:
    """The kernel's ephemeral port range (Linux), or None where it cannot be read."""
    try:
        lo, hi = open("/proc/sys/net/ipv4/ip_local_port_range").read().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return None


def ephemeral_warning(port: int, name: str) -> str | None:
    """A line for the user when ``port`` lies in the ephemeral range (another process may take it
    before our server binds it), else None."""
    span = ephemeral_range()
    if span and span[0] <= port <= span[1]:
        return (f"warning: {name}={port} lies in the kernel's ephemeral port range {span[0]}-{span[1]}, "
                f"where Ray's processes bind their own ports while the API's is still unbound; "
                f"one of them can take it (clients then reach a gRPC server); pick one outside it, like the default 8000")
    return None
