"""Map a model type's actions back to replicas (the inverse of its action adapter) by its name: the
registry says which adapter the type trains on; ``lwmecps.platform.algorithms.actions`` inverts it."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..algorithms.actions import action_nvec, to_replicas

__all__ = ["action_nvec", "acting_policy", "to_env_for"]


def to_env_for(model_type: str, group=None, max_replicas: Sequence[int] | None = None
               ) -> Callable[[np.ndarray], np.ndarray] | None:
    """The inverse adapter of ``model_type`` for nodes of ``max_replicas`` (or, when not given, the
    shape of ``group``: a shipped group's name or a ``WorkloadGroup``); None for ``MultiDiscrete``
    policies, which act in replicas already."""
    from .registry import get_model_type

    shape = action_nvec(group) - 1 if max_replicas is None else max_replicas
    return to_replicas(get_model_type(model_type).adapter, shape)


def acting_policy(module, model_type: str, group, guard: bool = True, params=None):
    """``module`` acting on ``group``'s nodes as a restored model of ``model_type`` acts (the
    ``RLModulePolicy`` that ``load_policy`` gives): its inverse adapter, its hold band (``params``: the
    task parameters, for the reward scale), then (``guard``) the scale-down guard."""
    from ..algorithms.guard import ScaleDownGuard
    from ..algorithms.hold import hold_for
    from ..algorithms.policy import RLModulePolicy
    from .params import reward_transform
    from .registry import get_model_type

    shape = action_nvec(group) - 1
    hold = hold_for(model_type, get_model_type(model_type).adapter, shape, reward_transform(params or {})["scale"])
    return RLModulePolicy(module, to_env_for(model_type, max_replicas=shape), ScaleDownGuard(shape) if guard else None,
                          hold=hold)
