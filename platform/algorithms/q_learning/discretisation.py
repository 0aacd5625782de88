"""The documented discretisation of ``EdgeClusterEnv`` observations for tabular Q-learning.

Q-learning here is factored per node (bounded memory): node j's state is
``(load bin, current replicas, time-of-day bin)`` (``replica_state`` False: ``(load bin, time-of-day
bin)``) and its action its own replica count (independent learners; what each learns from: the
learner's ``credit``). The load bin is read from the normalised
arrivals ``obs[7j+1]`` (arrivals / the node's full service rate), with ``load_signal="peak"`` from
``max(obs[7j+1], obs[7j+5])``, the larger of them and their smoothed value, or with
``load_signal="window"`` from ``obs[7j+6]``, the largest load of the last ``peak_window_s`` (30 min):
by default 6 bins with edges at
0.1, 0.2, 0.35, 0.5, 0.75 (``LOAD_EDGES``); with ``load_bins = B`` instead ``B`` equal bins of
[0, 1) (edges ``1/B, ..., (B-1)/B``; the last one also takes overload). ``tod_bins`` slots of the
day (1: the state has no clock, so the table reads only the load; the module's default is 8
three-hour slots, ``configs/algorithms/q_learning.yaml`` sets 1). With 6 load bins, ``max + 1 = 5``
replica levels and ``tod_bins = 1``, a node's table holds 6 x 5 x 1 states x 5 actions = 150 values
(600 for the 4-node groups; 4 800 with 8 slots), whatever the episode count: the defaults of
``configs/algorithms/q_learning.yaml`` (the 6 fixed load bins, the replicas, no clock).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

from lwmecps.envs.simulator import OBS_PER_NODE

LOAD_EDGES = (0.1, 0.2, 0.35, 0.5, 0.75)  # fractions of a full node's service rate
#: what the load bin reads: ``"load"`` the last interval's arrivals ``obs[7j+1]``; ``"peak"`` the larger of
#: those and their smoothed value ``obs[7j+5]`` (an exponential average: a load that just fell still reads
#: high for a while); ``"window"`` the recent peak ``obs[7j+6]``, the largest load of the last 30 min (what
#: HPA's scale-down window does with its recommendations)
LOAD_SIGNALS = ("load", "peak", "window")


def load_edges(load_bins: int | None = None) -> tuple[float, ...]:
    """``LOAD_EDGES`` for ``None``, else the edges of ``load_bins`` equal bins of [0, 1)."""
    if load_bins is None:
        return LOAD_EDGES
    if int(load_bins) < 1:
        raise ValueError(f"load_bins must be >= 1, got {load_bins}")
    return tuple(i / load_bins for i in range(1, int(load_bins)))


def state_count(levels: int, load_bins: int = len(LOAD_EDGES) + 1, tod_bins: int = 8,
                replica_state: bool = True) -> int:
    return load_bins * (levels if replica_state else 1) * tod_bins


def state_index(obs: torch.Tensor, n_nodes: int, levels: int, tod_bins: int = 8,
                edges: Sequence[float] = LOAD_EDGES, replica_state: bool = True,
                load_signal: str = "load") -> torch.Tensor:
    """Per-node state indices, shape (batch, n_nodes), from observations (batch, 7 n + 2).

    ``replica_state`` False leaves the node's current replicas out of the state (``levels`` times
    fewer states, each visited ``levels`` times as often); ``load_signal`` (``LOAD_SIGNALS``) is what
    the load bin reads.
    """
    if load_signal not in LOAD_SIGNALS:
        raise ValueError(f"load_signal must be one of {LOAD_SIGNALS}, got {load_signal!r}")
    per_node = obs[:, : OBS_PER_NODE * n_nodes].reshape(obs.shape[0], n_nodes, OBS_PER_NODE)
    edges = torch.tensor(tuple(edges), dtype=obs.dtype, device=obs.device)
    load = {"load": lambda: per_node[..., 1], "peak": lambda: torch.maximum(per_node[..., 1], per_node[..., 5]),
            "window": lambda: per_node[..., 6]}[load_signal]()
    load_bin = torch.bucketize(load.contiguous(), edges)
    if not replica_state:
        levels = 1
    replicas = torch.clamp(torch.round(per_node[..., 0] * (levels - 1)).long(), 0, levels - 1)
    clock = OBS_PER_NODE * n_nodes
    angle = torch.atan2(obs[:, clock], obs[:, clock + 1]) % (2 * math.pi)
    tod = torch.clamp((angle / (2 * math.pi) * tod_bins).long(), 0, tod_bins - 1)
    return (load_bin * levels + replicas) * tod_bins + tod[:, None]
