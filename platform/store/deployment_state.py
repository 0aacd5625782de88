"""A model's ``deployment.state``: its vocabulary, what is live, and the moves between states — said once.

::

    (none) | stopped --deploy--> deploying --Serve RUNNING--> running
    deploying | running --deploy (rolling update)--> deploying
    deploying --not healthy in time / Serve DEPLOY_FAILED--> failed
    deploying | running | failed --undeploy--> stopping --application deleted--> stopped
    stopping --delete failed--> failed

*Live* (``deploying``, ``running``): the application exists or is being made, holds its Ray resources,
blocks the model's deletion and is redeployed when ``lwmecps up`` restarts. A model takes predicts only
when its ``status`` is ``deployed`` (set with ``running``; a rolling update keeps it).
"""
from __future__ import annotations

from typing import Any, Literal

DeploymentState = Literal["deploying", "running", "failed", "stopping", "stopped"]
STATES: tuple[str, ...] = DeploymentState.__args__
LIVE = ("deploying", "running")
UNDEPLOYABLE = ("deploying", "running", "failed")
MOVES: dict[str | None, tuple[str, ...]] = {
    None: ("deploying",), "stopped": ("deploying",), "deploying": ("deploying", "running", "failed", "stopping"),
    "running": ("deploying", "stopping"), "failed": ("deploying", "stopping"), "stopping": ("stopped", "failed"),
}


def state_of(model: dict[str, Any] | None) -> str | None:
    """The model document's ``deployment.state`` (None: never deployed)."""
    return ((model or {}).get("deployment") or {}).get("state")


def is_live(model: dict[str, Any] | None) -> bool:
    return state_of(model) in LIVE


def can_move(model: dict[str, Any] | None, to: str) -> bool:
    """Whether ``to`` is a move the diagram allows from the model's state."""
    return to in MOVES.get(state_of(model), ())
