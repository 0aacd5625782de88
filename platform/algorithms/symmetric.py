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

* policy: ``logits_j = pi(x_j)`` (one shared MLP, ``max_j + 1`` outputs kept for node j), the
  per-node logits concatenated: RLlib's ``MultiCategorical`` over ``MultiDiscrete(max + 1)``;
* value: ``V(s) = b + sum_j v(x_j)`` (cost is a sum over nodes, so is the value of a state).

``model_config``: ``hiddens`` (default ``[64, 64]``), ``use_time`` (default ``True``),
``prior_replicas`` (default 1, the env's ``initial_replicas``) and ``prior_logit`` (default 0.2).
The policy head starts with weights of gain 0.01 (near-uniform action probabilities: PPO explores
every count) and a bias of ``prior_logit`` on ``prior_replicas``: the *greedy* action of an
untrained module is then that count on every node, a defined start. Without it the greedy action
is whichever of the near-equal logits wins by noise, the same count on every node (one shared
network): an untrained module would run a random fixed configuration, sometimes a good one.
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


def node_inputs(obs: torch.Tensor, nodes: int, use_time: bool = True) -> torch.Tensor:
    """``(B, 7n + 2)`` observations -> ``(B, n, 4 * 7 + 2)`` per-node inputs ``x_j`` (module doc)."""
    per = obs[:, : nodes * OBS_PER_NODE].reshape(-1, nodes, OBS_PER_NODE)
    clock = obs[:, nodes * OBS_PER_NODE: nodes * OBS_PER_NODE + TIME_FEATURES]
    if not use_time:
        clock = torch.zeros_like(clock)
    prev, nxt = torch.roll(per, 1, dims=1), torch.roll(per, -1, dims=1)
    mean = per.mean(dim=1, keepdim=True).expand(-1, nodes, -1)
    return torch.cat([per, prev, nxt, mean, clock[:, None, :].expand(-1, nodes, -1)], dim=-1)


def node_actions(actions: torch.Tensor) -> torch.Tensor:
    """``(B, n)`` actions -> ``(B, n, ACTION_INPUTS)``: node j's own, its ring neighbours' and the mean."""
    n = actions.shape[1]
    return torch.stack([actions, torch.roll(actions, 1, dims=1), torch.roll(actions, -1, dims=1),
                        actions.mean(dim=1, keepdim=True).expand(-1, n)], dim=-1)


class SymmetricNodeModule(TorchRLModule, ValueFunctionAPI):
    """One shared per-node network for the policy and for the value (see the module docstring)."""

    @override(TorchRLModule)
    def setup(self):
        nvec = np.asarray(self.action_space.nvec, dtype=np.int64)
        self.nodes = len(nvec)
        check_observation(self.observation_space.shape, self.nodes)
        self.nvec = [int(k) for k in nvec]
        self.use_time = bool(self.model_config.get("use_time", True))
        hiddens = list(self.model_config.get("hiddens", [64, 64]))
        self.pi = _mlp(NODE_INPUTS, hiddens, max(self.nvec), last_gain=0.01)
        self.vf = _mlp(NODE_INPUTS, hiddens, 1, last_gain=1.0)
        self.vf_bias = nn.Parameter(torch.zeros(1))
        prior = int(self.model_config.get("prior_replicas", 1))
        with torch.no_grad():
            self.pi[-1].bias[min(prior, max(self.nvec) - 1)] = float(self.model_config.get("prior_logit", 0.2))
        self.action_dist_cls = TorchMultiCategorical.get_partial_dist_cls(space=self.action_space,
                                                                          input_lens=self.nvec)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        out = self.pi(x)  # (B, n, max + 1)
        if len(set(self.nvec)) == 1:
            return out.reshape(out.shape[0], -1)
        return torch.cat([out[:, j, :k] for j, k in enumerate(self.nvec)], dim=-1)

    @override(TorchRLModule)
    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        x = node_inputs(batch[Columns.OBS], self.nodes, self.use_time)
        return {Columns.ACTION_DIST_INPUTS: self._logits(x)}

    @override(TorchRLModule)
    def _forward_train(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        x = node_inputs(batch[Columns.OBS], self.nodes, self.use_time)
        return {Columns.ACTION_DIST_INPUTS: self._logits(x), Columns.EMBEDDINGS: x}

    @override(ValueFunctionAPI)
    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        x = embeddings if embeddings is not None else node_inputs(batch[Columns.OBS], self.nodes, self.use_time)
        return self.vf(x).squeeze(-1).sum(dim=-1) + self.vf_bias


# ---- the same idea for a deterministic actor and its critics (TD3) ---------------------------------
class SymmetricActor(nn.Module):
    """``mu(s)_j = tanh(pi(x_j))`` in ``[-1, 1]``: one shared per-node actor (TD3's ``actor``)."""

    def __init__(self, nodes: int, hiddens: list[int], use_time: bool = True):
        super().__init__()
        self.nodes, self.use_time = nodes, use_time
        # a near-zero first output (2 replicas of 4), far from the tanh's flat ends: with gain 1 the
        # actor saturated early and stopped moving (its greedy policy never changed in 240 s)
        self.net = _mlp(NODE_INPUTS, hiddens, 1, last_gain=0.01)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(node_inputs(obs, self.nodes, self.use_time)).squeeze(-1))


class SymmetricCritic(nn.Module):
    """``Q(s, a) = b + sum_j q(x_j, a_j, a_{j-1}, a_{j+1}, mean a)`` over ``cat([obs, a])``: TD3's
    critics take the concatenation, as its update rules (``td3.update``) hand it over."""

    def __init__(self, nodes: int, hiddens: list[int], use_time: bool = True):
        super().__init__()
        self.nodes, self.use_time = nodes, use_time
        self.net = _mlp(NODE_INPUTS + ACTION_INPUTS, hiddens, 1, last_gain=1.0)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        width = self.nodes * OBS_PER_NODE + TIME_FEATURES
        obs, act = x[:, :width], x[:, width:]
        per_node = self.net(torch.cat([node_inputs(obs, self.nodes, self.use_time), node_actions(act)], dim=-1))
        return per_node.squeeze(-1).sum(dim=-1, keepdim=True) + self.bias
