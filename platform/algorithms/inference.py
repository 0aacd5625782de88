"""Serve-side view of a checkpoint: restore the inference RLModule without building the Algorithm.

Every checkpoint written by the platform carries ``lwmecps.json``: the model type, workload group,
the cluster's shape (``node_names``, ``max_replicas`` per node: what the action adapters invert, so
a user group need not be at hand where the policy is served), the observation's values per node
(``obs_per_node``: ``check_layout`` refuses a checkpoint of another layout) and the versions (ray, torch,
gymnasium, python) it was trained with. ``load_policy`` restores the
RLModule with ``RLModule.from_checkpoint`` (tens of ms, vs ~10 s for a whole Algorithm) and wraps it
with the model type's inverse action adapter.
"""
from __future__ import annotations

import json
import platform as std_platform
from pathlib import Path
from typing import Any

from lwmecps.envs.simulator import OBS_PER_NODE

META_FILE = "lwmecps.json"


def versions() -> dict[str, str]:
    import gymnasium
    import ray
    import torch

    return {"ray": ray.__version__, "torch": torch.__version__, "gymnasium": gymnasium.__version__,
            "python": std_platform.python_version()}


def module_dir(checkpoint: str | Path) -> Path:
    """Where an Algorithm checkpoint keeps the inference RLModule."""
    return Path(checkpoint) / "learner_group" / "learner" / "rl_module" / "default_policy"


def weights_file(checkpoint: str | Path) -> Path:
    """The file that holds the policy's weights: the inference RLModule's state file in ``module_dir``
    (``module_state.pkl``, or ``.msgpack``; the folder loads whole with ``RLModule.from_checkpoint(
    weights_file(c).parent)``)."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    folder = module_dir(checkpoint)
    for found in sorted(folder.glob(f"{RLModule.STATE_FILE_NAME}.*")):
        return found
    return folder / f"{RLModule.STATE_FILE_NAME}.pkl"


def save_checkpoint(algo, path: str | Path, meta: dict[str, Any]) -> Path:
    """``algo.save_to_path`` plus ``lwmecps.json`` (``meta`` + the shape of the algorithm's env, its training
    reward's scale ``reward_scale`` when it has one (the DQN hold band's unit, ``hold``) + versions)."""
    path = Path(path)
    reward = algo.config.env_config.get("reward") or {}
    scale = {"reward_scale": float(reward["scale"])} if "scale" in reward else {}
    meta = {**cluster_shape(algo.config.env_config), **scale, **meta}
    algo.save_to_path(str(path))
    (path / META_FILE).write_text(json.dumps({**meta, "versions": versions()}, indent=1))
    return path


def cluster_shape(env_config: dict[str, Any]) -> dict[str, Any]:
    """``{"node_names": [...], "max_replicas": [...]}`` of the cluster an ``env_config`` trains on."""
    from lwmecps.envs import EnvParams, as_group
    from lwmecps.envs.cluster import node_capacities

    group = as_group(env_config.get("group", "profile-a"))
    caps = node_capacities(group, EnvParams.load(env_config.get("params")))
    return {"node_names": [nd.name for nd in group.spec.nodes], "max_replicas": caps.tolist(),
            "obs_per_node": OBS_PER_NODE}


#: values per node of checkpoints that did not record ``obs_per_node`` (before the recent-peak-load feature)
LEGACY_OBS_PER_NODE = 6


def check_layout(meta: dict[str, Any]) -> None:
    """Raise ``ShapeMismatch`` unless the checkpoint observes as many values per node as the env gives."""
    from lwmecps.envs import ShapeMismatch

    theirs = int(meta.get("obs_per_node", LEGACY_OBS_PER_NODE))
    if theirs != OBS_PER_NODE:
        raise ShapeMismatch(f"the model observes {theirs} values per node and this platform's environment gives "
                            f"{OBS_PER_NODE} (lwmecps.envs.edge_cluster: the recent peak load was added on "
                            f"2026-12-05): retrain it")


def checkpoint_layout(checkpoint: str | Path) -> None:
    """``check_layout`` of a checkpoint directory (its ``lwmecps.json``)."""
    check_layout(read_meta(checkpoint))


def read_meta(checkpoint: str | Path) -> dict[str, Any]:
    meta = Path(checkpoint) / META_FILE
    if not meta.is_file():
        raise FileNotFoundError(f"{checkpoint} is not a checkpoint written by lwmecps (no {META_FILE})")
    return json.loads(meta.read_text())


def load_policy(checkpoint: str | Path, guard: bool = True, hold: bool = True):
    """``(RLModulePolicy, meta)`` for a checkpoint directory; ``guard``: with the scale-down guard
    (``lwmecps.platform.algorithms.guard``: how every served, evaluated and reconciled policy acts),
    after the hold band of DQN, SAC and TD3 policies (``hold``: with it, unless ``lwmecps.json`` says
    ``"hold": false``; DQN checkpoints saved before ``reward_scale`` was recorded act without it;
    ``guard=False, hold=False``: the module's own greedy actions),
    unless the checkpoint's ``lwmecps.json`` says ``"guard": false`` (its selection on validation days
    found it better without: ``bench.train_quality.train_one``)."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    from .actions import action_nvec, adapter_of, to_replicas
    from .guard import ScaleDownGuard
    from .hold import hold_for
    from .policy import RLModulePolicy

    meta = read_meta(checkpoint)
    check_layout(meta)
    module = RLModule.from_checkpoint(str(module_dir(checkpoint)))
    # the inverse follows from the module's own action space and the recorded shape (checkpoints from
    # before the shape was recorded: their shipped group gives it)
    shape = meta.get("max_replicas") or (action_nvec(meta["group_id"]) - 1).tolist()
    adapter = adapter_of(module.action_space)
    on = hold and meta.get("hold", True)
    rule = hold_for(meta.get("model_type"), adapter, shape, meta.get("reward_scale")) if on else None
    return RLModulePolicy(module, to_env=to_replicas(adapter, shape), hold=rule,
                          guard=ScaleDownGuard(shape) if guard and meta.get("guard", True) else None), meta
