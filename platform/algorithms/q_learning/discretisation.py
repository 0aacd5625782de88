"""The documented discretisation of ``EdgeClusterEnv`` observations for tabular Q-learning.

Q-learning here is factored per node (bounded memory): node j's state is
``(load bin, current replicas, time-of-day bin)`` and its action its own replica count, all nodes
sharing the cluster's reward (independent learners). With ``load_bins = 6`` bins of the normalised
arrivals ``obs[6j+1]`` (edges at 0.1, 0.2, 0.35, 0.5, 0.75 of the node's full capacity),
``max + 1 = 5`` replica levels and ``tod_bins = 8`` three-hour slots, a node's table holds
6 x 5 x 8 states x 5 actions = 1 200 values (4 800 for the 4-node groups), whatever the episode count.
"""
from __future__ import annotations

import math

import torch

LOAD_EDGES = (0.1, 0.2, 0.35, 0.5, 0.75)  # fractions of a full node's service rate


def state_count(levels: int, load_bins: int = len(LOAD_EDGES) + 1, tod_bins: int = 8) -> int:
    return load_bins * levels * tod_bins


def state_index(obs: torch.Tensor, n_nodes: int, levels: int, tod_bins: int = 8) -> torch.Tensor:
    """Per-node state indices, shape (batch, n_nodes), from observations (batch, 6 n + 2)."""
    per_node = obs[:, : 6 * n_nodes].reshape(obs.shape[0], n_nodes, 6)
    edges = torch.tensor(LOAD_EDGES, dtype=obs.dtype, device=obs.device)
    load_bin = torch.bucketize(per_node[..., 1].contiguous(), edges)
    replicas = torch.clamp(torch.round(per_node[..., 0] * (levels - 1)).long(), 0, levels - 1)
    angle = torch.atan2(obs[:, 6 * n_nodes], obs[:, 6 * n_nodes + 1]) % (2 * math.pi)
    tod = torch.clamp((angle / (2 * math.pi) * tod_bins).long(), 0, tod_bins - 1)
    return (load_bin * levels + replicas) * tod_bins + tod[:, None]
