"""Kubernetes resource quantities, read by the Kubernetes client's own parser: ``cpu`` like ``"1"``,
``"0.5"``, ``"500m"``; ``memory`` like ``"1Gi"``, ``"512Mi"``, ``"1G"``, ``"128974848"`` (bytes)."""
from __future__ import annotations

import math
from decimal import Decimal


class QuantityError(ValueError):
    """A quantity that does not parse or is out of range."""


def _parse(value, what: str, hint: str) -> Decimal:
    """``kubernetes.utils.parse_quantity`` (the API server's own grammar: ``500m``, ``1Gi``, ``1e3``,
    ``1.5``) with this platform's message; booleans and other types are not quantities."""
    from kubernetes.utils import parse_quantity

    text = str(value).strip()
    # the client's parser lets "1 Gi" through; the API server does not
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or any(c.isspace() for c in text):
        raise QuantityError(f"resources.{what}={value!r} is not a {hint}")
    try:
        parsed = parse_quantity(text)
    except (ValueError, TypeError, ArithmeticError):
        raise QuantityError(f"resources.{what}={value!r} is not a {hint}") from None
    if not parsed.is_finite():
        raise QuantityError(f"resources.{what}={value!r} is not a {hint}")
    return parsed


def parse_cpu(value: str, bounded: bool = True) -> float:
    """Cores: ``"1"`` -> 1.0, ``"500m"`` -> 0.5 (millicores). At least 1m, at most 256 cores (bounded)."""
    cores = float(_parse(value, "cpu", "CPU quantity; use cores like '1', '0.5' or millicores like '500m'"))
    if bounded and not (0.001 <= cores <= 256) or not math.isfinite(cores):
        raise QuantityError(f"resources.cpu={value!r} is outside 1m..256 cores")
    return cores


def parse_memory(value: str, bounded: bool = True) -> int:
    """Bytes: ``"1Gi"`` -> 1 073 741 824, ``"512Mi"``, ``"1G"`` -> 10**9, a bare number is bytes.
    At least 16 Mi, at most 1 Ti (bounded)."""
    size = int(_parse(value, "memory", "memory quantity; use e.g. '1Gi', '512Mi', '1G' or bytes"))
    if bounded and not (16 * 2**20 <= size <= 2**40):
        raise QuantityError(f"resources.memory={value!r} is outside 16Mi..1Ti")
    return size
