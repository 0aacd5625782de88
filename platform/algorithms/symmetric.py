"""A node-symmetric policy and value network for PPO-family algorithms (RLlib new API stack).

Why: an MLP over the whole observation learns *which* node is busy at *what* hour of the training
day; on a day with other station shares or peak hours it mis-provisions (issue 12: 1.5x the
causal oracle on a heavier, flatter day). This module decides every node's replicas with one
shared network from what that node sees, so a busy bs3 is handled like a busy bs1 and the
policy reads the load instead of recalling a clock or a share.

For node ``j`` of ``n`` (observation layout: ``lwmecps.envs.edge_cluster``, ``OBS_PER_NODE``
features per node, then the time of day), the network's input is

``x_j = [f_j, f_{j-1}, f_{j+1}, mean_k f_k, time]``

``f_j`` node j's own features; ``f_{j-1}`` the node whose users fail over to j (the ring of the
simulator: a station without replicas sends its users to the next one); ``f_{j+1}`` the node j
fails over to; the cluster mean; the (sin, cos) time of day (``use_time=False`` drops it: zeros).

On a group with its own topology (``model_config["topology"]``: the latency matrix and every node's
largest replica count, ``NodeGraph``) the neighbours are the group's: ``f_{t(j)}`` the node j's users
fail over to (the nearest other node by the matrix) and the mean of ``f_i`` over the nodes ``i`` that
fail over to j (zeros when none), and the features counted in a node's own size (replicas, loads,
retries: ``/ max_j``) are rescaled to the largest node's (``x max_j / max_k max_k``), so that a
count means the same capacity on every node. On the ring of equal nodes both reduce to the above.

* policy: ``logits_j = pi(x_j)`` (one shared MLP, ``max_j + 1`` outputs kept for node j), the
  per-node logits concatenated: RLlib's ``MultiCategorical`` over ``MultiDiscrete(max + 1)``;
* value: ``V(s) = b + sum_j v(x_j)`` (cost is a sum over nodes, so is the value of a state).

``use_neighbours=False`` (task parameter ``observe_neighbours``) gives the *policy* node j's own features and
the clock alone (``own_inputs``: the other features are zeros) while the value keeps them all: on a day
where a neighbour stays busy the policy cannot read that as "my load is about to rise".

``model_config``: ``hiddens`` (default ``[64, 64]``), ``use_time`` (default ``True``), ``use_neighbours``
(default ``True``), ``topology``,
``prior_replicas`` (default 1, the env's ``initial_replicas``) and ``prior_logit`` (default 0.2).
The policy head starts with weights of gain 0.01 (near-uniform action probabilities: PPO explores
every count) and a bias of ``prior_logit`` on ``prior_replicas``: the *greedy* action of an
untrained module is then that count on every node, a defined start. Without it the greedy action
is whichever of the near-equal logits wins by noise, the same count on every node (one shared
network): an untrained module would run a random fixed configuration, sometimes a good one.

Prior: with ``prior_vector`` (one count per node; task parameter ``prior: static-trained``, the best
fixed vector of the training group's tuning days) the module instead learns a per-node bias ``B``,
``logits_j = pi(x_j) + B_j``, starting at ``B_j[k] = prior_logit`` for ``k = prior_vector[j]`` and 0
elsewhere: PPO starts from the configuration an operator would pick from history and may move every
``B_j`` like any weight. It is the one part of the policy that is not shared by the nodes (on a
cluster with a latency matrix the best fixed vector empties some nodes, which one shared network
reading similar inputs finds hard to learn by exploration).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from ray.rllib.core.columns import Columns
from ray.rllib.core.distribution.torch.torch_distribution import TorchMultiCategorical
from ray.rllib.core.rl_module.apis import ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule
from ray.rllib.utils.annotations import override

import torch
from torch import nn

from lwmecps.envs.edge_cluster import OBS_FEATURES
from lwmecps.envs.simulator import OBS_PER_NODE

TIME_FEATURES = 2
NODE_INPUTS = 4 * OBS_PER_NODE + TIME_FEATURES  # width of one node's input x_j (module docstring)
ACTION_INPUTS = 4  # a critic's per-node action inputs: a_j, a_{j-1}, a_{j+1}, mean a (node_actions)


def check_observation(shape, nodes: int) -> None:
    """Refuse an observation that is not the edge-cluster layout of ``nodes`` nodes (ValueError)."""
    expected = nodes * OBS_PER_NODE + TIME_FEATURES
    if tuple(shape or ()) != (expected,):
        raise ValueError(f"the node-symmetric network needs the edge-cluster observation ({expected} values "
                         f"for {nodes} nodes), got shape {shape}")


def _mlp(inputs: int, hiddens: list[int], outputs: int, last_gain: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width in hiddens:
        layers += [nn.Linear(inputs, width), nn.Tanh()]
        inputs = width
    head = nn.Linear(inputs, outputs)
    nn.init.orthogonal_(head.weight, gain=last_gain)  # near-uniform first policy, near-zero first values
    nn.init.zeros_(head.bias)
    return nn.Sequential(*layers, head)


#: per-node features counted in the node's own size (``/ max_j``), rescaled by ``NodeGraph``
SIZED_FEATURES = ("replicas", "load", "retries", "smoothed_load", "peak_load")


def failover_targets(latency_ms) -> list[int]:
    """``t(j)``: the node station j's users go to when node j has no replica and every other node has
    one — the least ``L[j, k]`` over ``k != j``, ties to the first in rotation from j, as the
    simulator routes (``lwmecps.envs.simulator``); ``[0]`` for one node."""
    lat = np.asarray(latency_ms, dtype=np.float64)
    n = len(lat)
    if n == 1:
        return [0]
    # min() keeps the first of equal latencies, and the candidates run in rotation from j + 1
    return [min(((j + s) % n for s in range(1, n)), key=lambda k: lat[j, k]) for j in range(n)]


def node_topology(group) -> dict[str, Any]:
    """``model_config["topology"]`` of a group (a shipped group's name or a ``WorkloadGroup``): its
    latency matrix in ms (the failover ring when it has none) and every node's largest replica count."""
    from lwmecps.envs import EnvParams, as_group
    from lwmecps.envs.simulator import latency_matrix

    from .actions import action_nvec

    group = as_group(group)
    caps = action_nvec(group) - 1
    lat = latency_matrix(len(caps), EnvParams.load().hop_latency_ms, group.spec.latency_ms)
    return {"latency_ms": lat.tolist(), "max_replicas": caps.tolist()}


class NodeGraph(nn.Module):
    """A group's topology for the per-node inputs (module docstring): ``target[j] = t(j)``
    (``failover_targets``), ``sources[j, i] = 1 / |S_j|`` for ``i`` in ``S_j = {i : t(i) = j}``, and
    ``factor[j, k] = max_j / max_l max_l`` for the sized features ``k`` (``SIZED_FEATURES``), else 1.
    Buffers only, not saved with the weights: the topology travels in the model config."""

    def __init__(self, latency_ms, max_replicas):
        super().__init__()
        caps = np.asarray(max_replicas, dtype=np.float64)
        target = failover_targets(latency_ms)
        if len(target) != len(caps):
            raise ValueError(f"topology: a {len(target)}-node latency matrix for {len(caps)} nodes")
        sources = np.zeros((len(caps), len(caps)))
        for i, j in enumerate(target):
            sources[j, i] = 1.0
        sources /= np.maximum(sources.sum(axis=1, keepdims=True), 1.0)
        sized = np.isin(np.array(OBS_FEATURES), SIZED_FEATURES)
        factor = np.where(sized[None, :], (caps / max(caps.max(), 1.0))[:, None], 1.0)
        self.register_buffer("target", torch.as_tensor(target, dtype=torch.long), persistent=False)
        self.register_buffer("sources", torch.as_tensor(sources, dtype=torch.float32), persistent=False)
        self.register_buffer("factor", torch.as_tensor(factor, dtype=torch.float32), persistent=False)

    @classmethod
    def from_config(cls, model_config: dict[str, Any], nodes: int) -> "NodeGraph | None":
        """The graph of ``model_config["topology"]``; None without one (the ring of equal nodes)."""
        topology = (model_config or {}).get("topology")
        if not topology:
            return None
        graph = cls(topology["latency_ms"], topology["max_replicas"])
        if len(graph.target) != nodes:
            raise ValueError(f"topology of {len(graph.target)} nodes for a {nodes}-node action space")
        return graph


def node_inputs(obs: torch.Tensor, nodes: int, use_time: bool = True, graph: NodeGraph | None = None) -> torch.Tensor:
    """``(B, 7n + 2)`` observations -> ``(B, n, 4 * 7 + 2)`` per-node inputs ``x_j`` (module doc);
    ``graph`` None: the ring of equal nodes."""
    per = obs[:, : nodes * OBS_PER_NODE].reshape(-1, nodes, OBS_PER_NODE)
    clock = obs[:, nodes * OBS_PER_NODE: nodes * OBS_PER_NODE + TIME_FEATURES]
    if not use_time:
        clock = torch.zeros_like(clock)
    if graph is None:
        prev, nxt = torch.roll(per, 1, dims=1), torch.roll(per, -1, dims=1)
    else:
        per = per * graph.factor
        prev, nxt = torch.einsum("ji,bif->bjf", graph.sources, per), per[:, graph.target]
    mean = per.mean(dim=1, keepdim=True).expand(-1, nodes, -1)
    return torch.cat([per, prev, nxt, mean, clock[:, None, :].expand(-1, nodes, -1)], dim=-1)


def own_inputs(x: torch.Tensor) -> torch.Tensor:
    """``x_j`` (``node_inputs``) with the neighbours' and the cluster mean's features set to zeros:
    node j's own measurements and the clock (the width is kept, so a checkpoint's shapes are too)."""
    own = torch.zeros_like(x)
    own[..., :OBS_PER_NODE] = x[..., :OBS_PER_NODE]
    own[..., 4 * OBS_PER_NODE:] = x[..., 4 * OBS_PER_NODE:]
    return own


def policy_inputs(x: torch.Tensor, use_neighbours: bool) -> torch.Tensor:
    """``x`` as a policy (PPO's policy, SAC's and TD3's actors, DQN's network) reads it: all of it, or
    without ``use_neighbours`` node j's own features and the clock alone (``own_inputs``)."""
    return x if use_neighbours else own_inputs(x)


def node_actions(actions: torch.Tensor, graph: NodeGraph | None = None) -> torch.Tensor:
    """``(B, n)`` actions -> ``(B, n, ACTION_INPUTS)``: node j's own, its neighbours' (the nodes that
    fail over to j, the node j fails over to: ``graph``, or the ring) and the mean."""
    n = actions.shape[1]
    if graph is None:
        prev, nxt = torch.roll(actions, 1, dims=1), torch.roll(actions, -1, dims=1)
    else:
        prev, nxt = actions @ graph.sources.T, actions[:, graph.target]
    return torch.stack([actions, prev, nxt, actions.mean(dim=1, keepdim=True).expand(-1, n)], dim=-1)


class SymmetricNodeModule(TorchRLModule, ValueFunctionAPI):
    """One shared per-node network for the policy and for the value (see the module docstring)."""

    @override(TorchRLModule)
    def setup(self):
        nvec = np.asarray(self.action_space.nvec, dtype=np.int64)
        self.nodes = len(nvec)
        check_observation(self.observation_space.shape, self.nodes)
        self.nvec = [int(k) for k in nvec]
        self.use_time = bool(self.model_config.get("use_time", True))
        self.use_neighbours = bool(self.model_config.get("use_neighbours", True))
        self.graph = NodeGraph.from_config(self.model_config, self.nodes)
        hiddens = list(self.model_config.get("hiddens", [64, 64]))
        self.pi = _mlp(NODE_INPUTS, hiddens, max(self.nvec), last_gain=0.01)
        self.vf = _mlp(NODE_INPUTS, hiddens, 1, last_gain=1.0)
        self.vf_bias = nn.Parameter(torch.zeros(1))
        logit = float(self.model_config.get("prior_logit", 0.2))
        vector = self.model_config.get("prior_vector")
        self.node_prior: nn.Parameter | None = None
        if vector is None:  # one count for every node: in the shared head's bias
            prior = int(self.model_config.get("prior_replicas", 1))
            with torch.no_grad():
                self.pi[-1].bias[min(prior, max(self.nvec) - 1)] = logit
        else:  # a count per node: a learned per-node bias, which PPO may move like any weight
            if len(vector) != self.nodes:
                raise ValueError(f"prior_vector has {len(vector)} counts for {self.nodes} nodes")
            bias = torch.zeros(self.nodes, max(self.nvec))
            for j, k in enumerate(vector):
                bias[j, min(int(k), self.nvec[j] - 1)] = logit
            self.node_prior = nn.Parameter(bias)
        self.action_dist_cls = TorchMultiCategorical.get_partial_dist_cls(space=self.action_space,
                                                                          input_lens=self.nvec)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        out = self.pi(x)  # (B, n, max + 1)
        if self.node_prior is not None:
            out = out + self.node_prior
        if len(set(self.nvec)) == 1:
            return out.reshape(out.shape[0], -1)
        return torch.cat([out[:, j, :k] for j, k in enumerate(self.nvec)], dim=-1)

    @override(TorchRLModule)
    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        x = node_inputs(batch[Columns.OBS], self.nodes, self.use_time, self.graph)
        return {Columns.ACTION_DIST_INPUTS: self._logits(policy_inputs(x, self.use_neighbours))}

    @override(TorchRLModule)
    def _forward_train(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        x = node_inputs(batch[Columns.OBS], self.nodes, self.use_time, self.graph)
        return {Columns.ACTION_DIST_INPUTS: self._logits(policy_inputs(x, self.use_neighbours)), Columns.EMBEDDINGS: x}

    @override(ValueFunctionAPI)
    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        x = embeddings if embeddings is not None else node_inputs(batch[Columns.OBS], self.nodes, self.use_time,
                                                                  self.graph)
        return self.vf(x).squeeze(-1).sum(dim=-1) + self.vf_bias


# ---- the same idea for a deterministic actor and its critics (TD3) ---------------------------------
class SymmetricActor(nn.Module):
    """``mu(s)_j = tanh(pi(x_j))`` in ``[-1, 1]``: one shared per-node actor (TD3's ``actor``);
    ``use_neighbours=False``: ``pi(own_inputs(x_j))`` (the critics keep every input)."""

    def __init__(self, nodes: int, hiddens: list[int], use_time: bool = True, graph: NodeGraph | None = None,
                 use_neighbours: bool = True):
        super().__init__()
        self.nodes, self.use_time, self.graph, self.use_neighbours = nodes, use_time, graph, use_neighbours
        # a near-zero first output (2 replicas of 4), far from the tanh's flat ends: with gain 1 the
        # actor saturated early and stopped moving (its greedy policy never changed in 240 s)
        self.net = _mlp(NODE_INPUTS, hiddens, 1, last_gain=0.01)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = node_inputs(obs, self.nodes, self.use_time, self.graph)
        return torch.tanh(self.net(policy_inputs(x, self.use_neighbours)).squeeze(-1))


class SymmetricCritic(nn.Module):
    """``Q(s, a) = b + sum_j q(x_j, a_j, a_{j-1}, a_{j+1}, mean a)`` over ``cat([obs, a])``: TD3's
    critics take the concatenation, as its update rules (``td3.update``) hand it over. ``per_node``:
    the ``(B, n)`` terms ``q_j + b / n`` instead of their sum (TD3's per-station heads)."""

    def __init__(self, nodes: int, hiddens: list[int], use_time: bool = True, graph: NodeGraph | None = None,
                 per_node: bool = False):
        super().__init__()
        self.nodes, self.use_time, self.graph, self.per_node = nodes, use_time, graph, per_node
        self.net = _mlp(NODE_INPUTS + ACTION_INPUTS, hiddens, 1, last_gain=1.0)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        width = self.nodes * OBS_PER_NODE + TIME_FEATURES
        obs, act = x[:, :width], x[:, width:]
        per_node = self.net(torch.cat([node_inputs(obs, self.nodes, self.use_time, self.graph),
                                       node_actions(act, self.graph)], dim=-1))
        if self.per_node:
            return per_node.squeeze(-1) + self.bias / self.nodes
        return per_node.squeeze(-1).sum(dim=-1, keepdim=True) + self.bias
