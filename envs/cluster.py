"""``ClusterSim``: the state of a batch of simulated edge clusters and the calls that advance it.

Both ``EdgeClusterEnv`` (a batch of one) and ``EdgeClusterVectorEnv`` (a batch of many) drive this
class, so a vector env and N single envs with the same seeds produce identical numbers.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .config import EnvParams
from .groups import WorkloadGroup, load_group
from .noise import poisson_tables, station_users
from .randomise import MAX_STATION_USERS, episode_means, is_randomised
from .simulator import N_INFO, N_NODE_OUT, OBS_PER_NODE, latency_matrix, pack_params, step_batch, step_batch_parallel, time_of_day

# From this batch size on, clusters are stepped by numba's thread pool (chunks of 32 per thread);
# below it, thread start-up costs more than it saves.
PARALLEL_BATCH = 64


def node_capacities(group: WorkloadGroup, params: EnvParams) -> np.ndarray:
    """Max replicas per node: ``min(floor(cpu / pod_cpu), floor(memory / pod_memory))``."""
    caps = np.array(
        [min(math.floor(nd.cpu / params.pod_cpu), math.floor(nd.memory_mib / params.pod_memory_mib))
         for nd in group.spec.nodes],
        dtype=np.int64,
    )
    small = [nd.name for nd, c in zip(group.spec.nodes, caps) if c < 1]
    if small:
        raise ValueError(f"group {group.name!r}: nodes {small} cannot host one replica "
                         f"({params.pod_cpu} cores, {params.pod_memory_mib} MiB)")
    return caps


class ShapeMismatch(ValueError):
    """A policy trained on one cluster shape asked to act on another (other node count or capacities)."""


def check_same_shape(trained_on: "WorkloadGroup | str", target: WorkloadGroup, params: EnvParams | None = None,
                     max_replicas: list[int] | None = None) -> None:
    """Raise ``ShapeMismatch`` naming both shapes unless ``target`` has as many nodes as
    ``trained_on`` and the same max replicas per node (a policy's observation is ``7 n + 2`` values
    and its action one count in ``0..max_j`` per node: both fixed when it was trained).

    ``max_replicas``: the shape a checkpoint recorded; then ``trained_on`` may be just its name."""
    params = params or EnvParams.load()
    mine = np.asarray(max_replicas, dtype=np.int64) if max_replicas is not None else node_capacities(trained_on, params)
    theirs = node_capacities(target, params)
    name = trained_on if isinstance(trained_on, str) else trained_on.name
    if mine.shape != theirs.shape or (mine != theirs).any():
        raise ShapeMismatch(f"the model was trained on {name!r} ({len(mine)} nodes, max replicas "
                            f"{mine.tolist()}) and cannot act on {target.name!r} ({len(theirs)} nodes, max replicas "
                            f"{theirs.tolist()}): reconcile or evaluate it on a group of the same shape")


@njit(cache=True)
def first_bad_action(action, caps):
    """Index of the first entry of ``action[b, j]`` outside ``0..caps[j]``, else -1 (flat index)."""
    n_env, n = action.shape
    for b in range(n_env):
        for j in range(n):
            if action[b, j] < 0 or action[b, j] > caps[j]:
                return b * n + j
    return -1


@njit(cache=True)
def realised_users(means, cdf, tabled, key, start, steps, noise):
    """Users per station for each step of an episode, exactly as the simulator draws them."""
    day, n = means.shape
    out = np.empty((steps, n))
    for t in range(steps):
        interval = start + t + day
        for j in range(n):
            out[t, j] = station_users(means, cdf, tabled, interval % day, key, interval, j, noise)
    return out


class ClusterSim:
    """A batch of ``batch`` clusters of one workload group."""

    def __init__(self, group: str | WorkloadGroup = "profile-a", params: EnvParams | dict | None = None,
                 batch: int = 1):
        if not isinstance(batch, (int, np.integer)) or batch < 1:
            raise ValueError(f"batch must be a positive integer, got {batch!r}")
        self.group = load_group(group) if isinstance(group, str) else group
        self.params = params if isinstance(params, EnvParams) else EnvParams.load(params)
        self.means = np.ascontiguousarray(self.group.interval_means(self.params.decision_interval_s))
        self.cdf = poisson_tables(self.means)
        # the group's station shares, and the per-episode multipliers of each station's mean users
        self.shares = self.means.sum(axis=0) / self.means.sum()
        self.randomised = is_randomised(self.params)
        if self.randomised and self.means.sum(axis=1).max() > MAX_STATION_USERS:
            raise ValueError(f"workload randomisation supports groups of up to {MAX_STATION_USERS:.0f} users per "
                             f"interval; {self.group.name!r} has {self.means.sum(axis=1).max():.0f}")
        # each cluster's episode mean curve, and whether it is the group's own (precomputed tables);
        # without randomisation a read-only view of ``means`` (edits of ``means`` reach every slot)
        self.ep_means = (np.repeat(self.means[None], batch, axis=0) if self.randomised
                         else np.broadcast_to(self.means[None], (batch, *self.means.shape)))
        self.tabled = np.full(batch, not self.randomised)
        # the period episodes wrap around (the group's days of data), and one day of it
        self.period = self.means.shape[0]
        self.intervals_per_day = self.period // self.group.days
        self.tod = time_of_day(self.intervals_per_day, self.period)
        self.n = self.group.n_nodes
        self.caps = node_capacities(self.group, self.params)
        if self.params.initial_replicas > self.caps.min():
            raise ValueError(f"initial_replicas={self.params.initial_replicas} exceeds a node's capacity "
                             f"({int(self.caps.min())} replicas)")
        self.latency = latency_matrix(self.n, self.params.hop_latency_ms, self.group.spec.latency_ms)
        self.prm = pack_params(self.params, self.period, self.latency)
        self.steps_per_episode = self.params.steps_per_episode
        self.batch = int(batch)
        self.obs_dim = OBS_PER_NODE * self.n + 2
        self.state = np.zeros((batch, (3 + self.params.peak_window_steps) * self.n))  # simulator._step_some
        self.clock = np.zeros((batch, 3), dtype=np.int64)
        self.clock[:, 0] = -1  # no episode yet: reset first
        self.obs = np.zeros((batch, self.obs_dim), dtype=np.float32)
        self.info = np.zeros((N_INFO, batch))  # one row per INFO_KEYS entry
        self.node_out = np.zeros((batch, self.n, N_NODE_OUT))
        self.action = np.zeros((batch, self.n), dtype=np.int64)
        self._all = np.arange(batch, dtype=np.int64)

    # -- episode control ------------------------------------------------------------------------
    def reset_one(self, b: int, rng: np.random.Generator) -> None:
        """Start a new episode in slot ``b`` (see ``reset_many``)."""
        self.reset_many(np.array([b]), [rng])

    def reset_many(self, slots: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """Start new episodes in ``slots``, each with a start interval and noise key from its ``rng``.

        The first observation is the measurement of the interval before the start, run on
        ``initial_replicas`` everywhere (as if the cluster had been running that way).

        With workload randomisation on (``station_share_alpha``, ``random_day_prob``, ...: see
        ``lwmecps.envs.randomise``) each episode also draws its own mean curve.
        """
        slots = np.asarray(slots, dtype=np.int64)
        for b, rng in zip(slots, rngs):
            start = int(rng.integers(self.period)) if self.params.random_start else 0
            self.clock[b] = (-1, start, int(rng.integers(1, 2**62)))
            if self.randomised:  # drawn after the start and key: without it every episode is as before
                self.ep_means[b] = episode_means(self.means, self.shares, self.params, rng, self.intervals_per_day)
        self.state[slots] = 0.0
        self.state[slots, : self.n] = self.params.initial_replicas
        self.info[:, slots] = 0.0
        self.action[slots] = self.params.initial_replicas
        self._kernel(slots)(slots, self.ep_means, self.cdf, self.tabled, self.tod, self.caps, self.prm, self.state, self.clock,
                            self.action, self.obs, self.info, self.node_out)

    def step(self, action: np.ndarray) -> None:
        """Advance every cluster by one interval with ``action`` (batch, nodes) of int replicas."""
        bad = first_bad_action(action, self.caps)
        if bad >= 0:
            b, j = divmod(bad, self.n)
            raise ValueError(
                f"action {action[b].tolist()} is outside the action space: node {j} "
                f"({self.group.spec.nodes[j].name}) takes 0..{int(self.caps[j])} replicas, got {int(action[b, j])}"
            )
        self._kernel(self._all)(self._all, self.ep_means, self.cdf, self.tabled, self.tod, self.caps, self.prm, self.state,
                                self.clock, action, self.obs, self.info, self.node_out)

    @staticmethod
    def _kernel(slots: np.ndarray):
        return step_batch_parallel if len(slots) >= PARALLEL_BATCH else step_batch

    # -- views used by baselines and evaluation --------------------------------------------------
    def replicas(self, b: int = 0) -> np.ndarray:
        return self.state[b, : self.n].astype(np.int64)

    def utilisation(self, b: int = 0) -> np.ndarray:
        """Per-node utilisation (rho) measured in the last interval."""
        return self.node_out[b, :, 0].copy()

    def steps_done(self, b: int = 0) -> int:
        return int(self.clock[b, 0])

    def episode_users(self, b: int = 0) -> np.ndarray:
        """Realised users per station for every step of slot ``b``'s episode (what an oracle knows)."""
        return realised_users(self.ep_means[b], self.cdf, self.tabled[b], self.clock[b, 2], self.clock[b, 1],
                              self.steps_per_episode, bool(self.params.noise))

    def episode_mean_users(self, b: int = 0) -> np.ndarray:
        """The episode's mean users for every step (what a causal planner knows)."""
        idx = (self.clock[b, 1] + np.arange(self.steps_per_episode)) % self.period
        return self.ep_means[b][idx]
