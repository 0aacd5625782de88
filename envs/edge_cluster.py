"""The edge-cluster Gymnasium environment."""
from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .cluster import ClusterSim
from .config import EnvParams
from .groups import WorkloadGroup
from .simulator import INFO_KEYS, OBS_PER_NODE

OBS_FEATURES = ("replicas", "load", "utilisation", "latency", "retries", "smoothed_load", "peak_load")


def node_feature(obs, n: int, feature: str) -> np.ndarray:
    """One feature of every node from an observation: ``obs[OBS_PER_NODE * j + k]`` for j < n, with
    ``k`` the feature's place in ``OBS_FEATURES`` (the layout in ``EdgeClusterEnv``'s docstring)."""
    k = OBS_FEATURES.index(feature)
    return np.asarray(obs, dtype=np.float64)[: OBS_PER_NODE * n][k::OBS_PER_NODE]


def observation_space(n: int) -> spaces.Box:
    """Per node: replicas/max in [0,1], load in [0,2], utilisation in [0,2], latency/timeout in
    [0,1], retries in [0,1], smoothed load in [0,2], recent peak load in [0,2]; then sin and cos of the
    time of day."""
    per_node_high = np.array([1, 2, 2, 1, 1, 2, 2], dtype=np.float32)
    low = np.concatenate([np.zeros(OBS_PER_NODE * n, np.float32), -np.ones(2, np.float32)])
    high = np.concatenate([np.tile(per_node_high, n), np.ones(2, np.float32)])
    return spaces.Box(low=low, high=high, dtype=np.float32)


class EdgeClusterEnv(gym.Env):
    """How many replicas of an edge service to run on each node of a MEC cluster.

    ## Description
    A cluster of ``n`` edge nodes, one base station each (bs1..bsn), runs one service; each step
    the agent sets the replica count of every node for the next decision interval (default 300 s).
    Users of each station send requests; a node with ``c`` replicas is an M/M/c queue; a station's
    users go to the nearest node with replicas by the group's latency matrix ``latency_ms[j][k]``
    (ms, added to ``base_network_ms``), or, when the group has none, fail over to the next station
    in rotation, paying ``hop_latency_ms`` per hop;
    responses slower than ``timeout_ms`` fail; part of the failed requests are retried in the next
    interval; a replica added starts serving only after ``startup_delay_s``; every change costs.
    Formulas: ``lwmecps.envs.queueing`` (M/M/c, Erlang C) and ``lwmecps.envs.simulator`` (routing,
    start-up, retries, p95, cost). Timing as a real autoscaler lives it: the action for interval t
    is chosen seeing interval t-1's measurements plus the time of day of interval t.

    ## Action Space
    ``MultiDiscrete([max_0 + 1, ..., max_{n-1} + 1])``: absolute replicas per node; 0 really means
    no replica. ``max_j = min(floor(node cpu / pod_cpu), floor(node memory / pod_memory))`` (4 on the
    testbed: 8-core nodes, 2-core pods). An action outside the space raises ``ValueError``.

    ## Observation Space
    ``Box(7 n + 2,)`` float32, measured over the last interval:

    | index       | observation                                   | unit / normalisation        | min | max |
    |-------------|-----------------------------------------------|-----------------------------|-----|-----|
    | 7j          | replicas of node j                            | / max_j                     | 0   | 1   |
    | 7j + 1      | arrivals at station j (users x rate + retries)| / (max_j x service rate)    | 0   | 2   |
    | 7j + 2      | utilisation of node j (rho = lambda / c mu)   | ratio, clipped              | 0   | 2   |
    | 7j + 3      | mean latency of station j's requests          | / timeout_ms                | 0   | 1   |
    | 7j + 4      | retried requests carried into this interval   | / (max_j x service rate)    | 0   | 1   |
    | 7j + 5      | smoothed arrivals (EMA, weight ``load_ema``)  | / (max_j x service rate)    | 0   | 2   |
    | 7j + 6      | recent peak: the largest 7j + 1 of the last ``peak_window_s`` (this interval included) | as 7j + 1 | 0 | 2 |
    | 7n, 7n + 1  | sin, cos of the time of day of the next interval | 2 pi x interval / intervals per day | -1 | 1 |

    The recent peak is the signal a tuned HPA acts on (its scale-down window keeps the largest
    recommendation of the last 30 minutes): with it a policy can hold replicas through a dip by
    reading the load, not the clock.

    ## Rewards
    ``reward = -cost`` per step (not cumulative), with weights from ``configs/env/default.yaml``:
    ``cost = latency_per_100ms x latency_ms / 100 + replica x sum(replicas) + failure x failed_fraction
    + switch x sum(|replicas_t - replicas_{t-1}|)``; ``latency_ms`` is the mean over all requests
    (failed ones count at the timeout). ``info`` carries ``latency_ms``, ``p95_latency_ms``,
    ``throughput_rps`` (successful req/s), ``success_rate``, ``replicas`` (per node), ``cost`` and more;
    also ``station_cost`` (per node): station j's share of the cost, its users' latency
    and failures weighted by their share of the arrivals plus node j's replicas and switches
    (``lwmecps.envs.simulator.NODE_OUT``; the shares sum to ``cost``).

    ## Starting State
    ``initial_replicas`` on every node; the episode starts at a random decision interval of the day
    (``random_start``), drawn with the episode's noise key from the env's seeded generator.

    ## Episode End
    Never terminates; truncated after ``episode_hours`` of simulated time (288 steps by default).

    ## Arguments
    ``gymnasium.make("lwmecps/EdgeCluster-v1", group="profile-a", params=None, seed=None)``:
    ``group`` a workload group name (``configs/groups/``) or a loaded ``WorkloadGroup``; ``params``
    overrides of ``EnvParams`` (dict); ``seed`` the seed of the first ``reset`` when it passes none;
    ``backend`` ``"simulated"`` (default) or ``"kubernetes"``: the replicas are applied to a real
    cluster and measured there (``kube``: ``lwmecps.envs.kubernetes.KubeConfig`` fields; same
    observation layout and ``info`` keys; see ``lwmecps.envs.kubernetes``).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, group: str | WorkloadGroup = "profile-a", params: EnvParams | dict | None = None,
                 seed: int | None = None, render_mode: str | None = None, backend: str = "simulated",
                 kube: dict | None = None):
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode {render_mode!r} is not supported; use None or 'ansi'")
        if backend not in ("simulated", "kubernetes"):
            raise ValueError(f"backend {backend!r} is not supported; use 'simulated' or 'kubernetes'")
        self.sim = ClusterSim(group, params, batch=1)
        self.group_name = self.sim.group.name
        self.render_mode = render_mode
        self.live = None
        if backend == "kubernetes":
            from .kubernetes import LiveCluster

            self.live = LiveCluster(self.sim.group, self.sim.params, kube)
            self.sim.caps = self.live.capacities()  # the cluster's nodes, not the group file's
            self._live_state: dict[str, Any] = {}
        self.action_space = spaces.MultiDiscrete(self.sim.caps + 1)
        self.observation_space = observation_space(self.sim.n)
        self._first_seed = seed
        self._reset_done = False

    @property
    def params(self) -> EnvParams:
        return self.sim.params

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is None and not self._reset_done:
            seed = self._first_seed
        super().reset(seed=seed)
        self._reset_done = True
        if self.live is not None:  # start from initial_replicas everywhere, measured on the cluster
            current = self.live.replicas()
            start = np.full(self.sim.n, min(self.params.initial_replicas, int(self.sim.caps.min())), np.int64)
            if (options or {}).get("keep_replicas"):  # attach to a running cluster as it is
                start = np.minimum(current, self.sim.caps)
            return self._live_step(current, start, reset=True)[0], self._live_state["info"]
        self.sim.reset_one(0, self.np_random)
        return self.sim.obs[0].copy(), self._info()

    def step(self, action):
        act = np.asarray(action)
        if act.shape != (self.sim.n,) or act.dtype.kind not in "iu":
            raise ValueError(f"action must be {self.sim.n} integer replica counts (one per node), "
                             f"got {np.asarray(action).tolist()!r} of dtype {act.dtype}")
        if self.live is not None:
            return self._live_step(self._live_state.get("replicas"), act.astype(np.int64))
        if self.sim.clock[0, 0] < 0:
            raise RuntimeError("call reset() before step()")
        self.sim.action[0] = act
        self.sim.step(self.sim.action)
        truncated = self.sim.clock[0, 0] >= self.sim.steps_per_episode
        return self.sim.obs[0].copy(), -float(self.sim.info[0, 0]), False, bool(truncated), self._info()

    def _live_step(self, old, new: np.ndarray, reset: bool = False):
        from .kubernetes import live_step

        if old is None:
            raise RuntimeError("call reset() before step()")
        bad = np.flatnonzero((new < 0) | (new > self.sim.caps))
        if bad.size:
            j = int(bad[0])
            raise ValueError(f"action {new.tolist()} is outside the action space: node {j} "
                             f"({self.sim.group.spec.nodes[j].name}) takes 0..{int(self.sim.caps[j])} replicas")
        obs, info, memory = live_step(self.live, self.params, self.sim.caps, np.asarray(old), new,
                                      None if reset else self._live_state.get("memory"))
        steps = 0 if reset else self._live_state["steps"] + 1
        self._live_state = {"replicas": new, "memory": memory, "info": info, "steps": steps}
        truncated = steps >= self.sim.steps_per_episode
        return obs, -info["cost"], False, bool(truncated), info

    def _info(self) -> dict[str, Any]:
        row = self.sim.info[:, 0]
        info = {k: float(v) for k, v in zip(INFO_KEYS, row.tolist())}
        info["replicas"] = self.sim.state[0, : self.sim.n].astype(np.int64)
        info["utilisation"] = self.sim.node_out[0, :, 0].copy()
        info["station_cost"] = self.sim.node_out[0, :, 3].copy()  # per-station cost shares (simulator.NODE_OUT)
        return info

    def render(self):
        if self.render_mode == "ansi":
            row = self.sim.info[:, 0]
            return (f"t={self.sim.steps_done()} replicas={self.sim.replicas().tolist()} "
                    f"latency={row[1]:.1f}ms success={row[3]:.3f} cost={row[0]:.3f}")
        return None
