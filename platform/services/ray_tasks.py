"""One way for a request to run heavy work: a Ray task on the cluster, or here without Ray."""
from __future__ import annotations

from typing import Any, Callable


def run_task(fn: Callable[..., Any], *args: Any, num_cpus: float, timeout_s: float) -> Any:
    """``fn(*args)`` as a Ray task of ``num_cpus`` (no retries) when this process is connected to Ray
    (the API replica holds a sliver of a CPU), in this process otherwise; ``TimeoutError`` (the task
    cancelled) after ``timeout_s``."""
    import ray

    from ..ray_here import connected

    if not connected():
        return fn(*args)
    ref = ray.remote(num_cpus=num_cpus, max_retries=0)(fn).remote(*args)
    try:
        return ray.get(ref, timeout=timeout_s)
    except ray.exceptions.GetTimeoutError:
        ray.cancel(ref, force=True)
        raise TimeoutError(f"no result within {timeout_s:g} s") from None
