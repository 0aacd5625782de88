"""Is this process connected to Ray? One policy for the whole platform:

* an API route that starts work on the cluster (deploy, undeploy, autoscalers, sweeps) needs it: without
  Ray it answers 503 naming what needs it (``require``); an API process never starts a Ray of its own;
* a request's heavy computation (reconcile, replay) runs as a Ray task when connected and in the
  request's own process otherwise (``services.ray_tasks.run_task``);
* what only reads the cluster (``/health``, free CPUs, the training scheduler's handle) says there is
  none (``connected``);
* the CLI and library entry points (``lwmecps train``, a notebook's sweep) start a local Ray when none
  is up (``ensure``) and stop only what they started.
"""
from __future__ import annotations

from typing import Any

from .services.errors import Unavailable


def connected() -> bool:
    """Whether this process is connected to a Ray cluster (never starts one)."""
    import ray

    return ray.is_initialized()


def require(what: str) -> None:
    """``Unavailable`` (503) naming ``what`` needs Ray, when this process has none."""
    if not connected():
        raise Unavailable(f"Ray is not running in this process: {what} need `lwmecps up`")


def ensure(**init_kwargs: Any) -> bool:
    """Connect (``ray.init(**init_kwargs)``) unless connected already; True when started here."""
    import ray

    if connected():
        return False
    ray.init(**init_kwargs)
    return True
