"""``EdgeClusterVectorEnv``: many simulated clusters stepped in one numba call.

A Gymnasium ``VectorEnv`` over ``ClusterSim``: ``num_envs`` clusters of one group advance together.
Sub-env ``i`` reset with seed ``s`` produces exactly the numbers of one ``EdgeClusterEnv`` reset with
seed ``s`` (same generator, same counter-based noise). Autoreset follows Gymnasium's default
``NEXT_STEP`` mode: the step after an episode ends resets that sub-env (its action is ignored,
reward 0).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .cluster import ClusterSim
from .config import EnvParams
from .edge_cluster import observation_space
from .groups import WorkloadGroup
from .simulator import INFO_KEYS


class EdgeClusterVectorEnv(VectorEnv):
    """``num_envs`` edge clusters in one batch (see ``EdgeClusterEnv`` for the model)."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs: int = 8, group: str | WorkloadGroup = "profile-a",
                 params: EnvParams | dict | None = None, seed: int | None = None, **_: Any):
        self.sim = ClusterSim(group, params, batch=num_envs)
        self.num_envs = num_envs
        self.single_action_space = spaces.MultiDiscrete(self.sim.caps + 1)
        self.single_observation_space = observation_space(self.sim.n)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self._rngs = [seeding.np_random(None)[0] for _ in range(num_envs)]
        self._first_seed = seed
        self._needs_reset = np.zeros(num_envs, dtype=bool)
        self._any_reset = False
        self._none = np.zeros(0, dtype=np.int64)
        self._terminated = np.zeros(num_envs, dtype=bool)  # the cluster never terminates, only truncates

    def reset(self, *, seed: int | list[int | None] | None = None, options: dict | None = None):
        if seed is None and self._first_seed is not None:
            seed, self._first_seed = self._first_seed, None
        if isinstance(seed, (int, np.integer)):
            seed = [int(seed) + i for i in range(self.num_envs)]
        if seed is not None:
            if len(seed) != self.num_envs:
                raise ValueError(f"reset got {len(seed)} seeds for {self.num_envs} envs")
            self._rngs = [seeding.np_random(s)[0] if s is not None else r for s, r in zip(seed, self._rngs)]
        self.sim.reset_many(np.arange(self.num_envs), self._rngs)
        self._needs_reset[:] = False
        self._any_reset = False
        return self.sim.obs.copy(), self._infos()

    def step(self, actions):
        act = np.asarray(actions)
        if act.shape != (self.num_envs, self.sim.n) or act.dtype.kind not in "iu":
            raise ValueError(f"actions must be integer replicas of shape ({self.num_envs}, {self.sim.n}), "
                             f"got shape {act.shape} dtype {act.dtype}")
        self.sim.action[:] = act
        resetting = np.flatnonzero(self._needs_reset) if self._any_reset else self._none
        for b in resetting:  # NEXT_STEP autoreset: keep the slot still, reset it after the batch step
            self.sim.action[b] = self.sim.state[b, : self.sim.n]
        self.sim.step(self.sim.action)
        reward = -self.sim.info[0]
        if len(resetting):
            self.sim.reset_many(resetting, [self._rngs[b] for b in resetting])
            reward[resetting] = 0.0
        truncated = self.sim.clock[:, 0] >= self.sim.steps_per_episode
        if len(resetting):
            truncated[resetting] = False
        self._needs_reset = truncated
        self._any_reset = bool(truncated.any())
        return self.sim.obs.copy(), reward, self._terminated.copy(), truncated, self._infos()

    def _infos(self) -> dict[str, Any]:
        info = dict(zip(INFO_KEYS, self.sim.info.copy()))  # one copy; each key is a row view of it
        info["replicas"] = self.sim.state[:, : self.sim.n].astype(np.int64)
        info["station_cost"] = self.sim.node_out[:, :, 3].copy()  # per-station cost shares (simulator.NODE_OUT)
        return info
