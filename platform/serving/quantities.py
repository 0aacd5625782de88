"""Kubernetes-style resource quantities: ``cpu`` like ``"1"``, ``"0.5"``, ``"500m"``; ``memory`` like
``"1Gi"``, ``"512Mi"``, ``"1G"``, ``"128974848"`` (bytes)."""
from __future__ import annotations

import math
import re

_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEM = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$")
_MEM_UNITS = {None: 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
              "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


class QuantityError(ValueError):
    """A quantity that does not parse or is out of range."""


def parse_cpu(value: str, bounded: bool = True) -> float:
    """Cores: ``"1"`` -> 1.0, ``"500m"`` -> 0.5 (millicores). At least 1m, at most 256 cores (bounded)."""
    m = _CPU.match(str(value).strip()) if isinstance(value, (str, int, float)) else None
    if not m:
        raise QuantityError(f"resources.cpu={value!r} is not a CPU quantity; use cores like '1', '0.5' or "
                            f"millicores like '500m'")
    cores = float(m.group(1)) / (1000.0 if m.group(2) else 1.0)
    if bounded and not (0.001 <= cores <= 256) or not math.isfinite(cores):
        raise QuantityError(f"resources.cpu={value!r} is outside 1m..256 cores")
    return cores


def parse_memory(value: str, bounded: bool = True) -> int:
    """Bytes: ``"1Gi"`` -> 1 073 741 824, ``"512Mi"``, ``"1G"`` -> 10**9, a bare number is bytes.
    At least 16 Mi, at most 1 Ti (bounded)."""
    m = _MEM.match(str(value).strip()) if isinstance(value, (str, int)) else None
    if not m:
        raise QuantityError(f"resources.memory={value!r} is not a memory quantity; use e.g. '1Gi', '512Mi', "
                            f"'1G' or bytes")
    size = int(float(m.group(1)) * _MEM_UNITS[m.group(2)])
    if bounded and not (16 * 2**20 <= size <= 2**40):
        raise QuantityError(f"resources.memory={value!r} is outside 16Mi..1Ti")
    return size
