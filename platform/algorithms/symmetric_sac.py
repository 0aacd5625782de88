"""A node-symmetric actor and twin critics for RLlib's SAC (new API stack), ``network: symmetric``.

Why: SAC's MLPs over the whole observation learn which node is busy at what hour of the training
day; on held-out days they mis-provision badly (issue 12: 2.3x hpa-tuned on the held-out mean, 4x
on a heavier, flatter day). As for PPO (``symmetric``) and DQN (``branched_dqn``), every node's
part of the actor and of the critics here comes from one network shared by the nodes, over node
j's inputs ``x_j`` (its own, its failover neighbours' and the cluster mean's measurements, and the
clock: ``symmetric.node_inputs``):

* actor: ``(loc_j, log_std_j) = pi(phi(x_j))``: the tanh-squashed Gaussian of node j's action
  (RLlib's ``TorchSquashedGaussian``: the logits are all ``loc`` then all ``log_std``);
* critic: ``Q(s, a) = b + sum_j q(psi(x_j, a_j, a_{j-1}, a_{j+1}, mean_k a_k))``: the cost is a sum
  over nodes, so is its value; node j's term sees its own action, its failover neighbours' (where
  users fail over to and from) and the cluster's mean.

Everything else is RLlib's SAC unchanged (losses, temperature, targets, replay); the catalog only
builds other networks. ``model_config``: ``fcnet_hiddens`` (the shared encoders' widths) and
``use_time`` (default True).
"""
from __future__ import annotations

import torch
from torch import nn

from ray.rllib.algorithms.sac.sac_catalog import SACCatalog
from ray.rllib.core.columns import Columns
from ray.rllib.core.models.base import ENCODER_OUT

from .branched_dqn import NodeEncoder, NodeValue
from .symmetric import ACTION_INPUTS, NodeGraph, check_observation, node_actions, node_inputs


class NodeActionEncoder(NodeEncoder):
    """``h_j = psi(x_j, node_actions(a)_j)``: the critics' encoder, one MLP shared by the nodes."""

    def __init__(self, nodes: int, hiddens: list[int], use_time: bool, graph: NodeGraph | None = None):
        super().__init__(nodes, hiddens, use_time, extra_inputs=ACTION_INPUTS, graph=graph)

    def forward(self, batch: dict) -> dict:
        x = node_inputs(batch[Columns.OBS], self.nodes, self.use_time, self.graph)
        return {ENCODER_OUT: self.net(torch.cat([x, node_actions(batch[Columns.ACTIONS], self.graph)], dim=-1))}


class NodeGaussianHead(nn.Module):
    """``(B, n, h)`` -> ``(B, 2n)``: every node's ``loc`` then every node's ``log_std``."""

    def __init__(self, width: int):
        super().__init__()
        self.out = nn.Linear(width, 2)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        out = self.out(latent)  # (B, n, 2)
        return torch.cat([out[..., 0], out[..., 1]], dim=-1)


class SymmetricSACCatalog(SACCatalog):
    """SAC's catalog building the node-symmetric networks of this module (continuous actions only)."""

    def __init__(self, observation_space, action_space, model_config_dict, **kwargs):
        super().__init__(observation_space, action_space, model_config_dict, **kwargs)
        if not hasattr(action_space, "shape") or len(action_space.shape or ()) != 1:
            raise ValueError(f"the node-symmetric SAC needs one continuous action per node, got {action_space}")
        self.nodes = int(action_space.shape[0])
        check_observation(observation_space.shape, self.nodes)
        self.hiddens = list(model_config_dict.get("fcnet_hiddens", [128, 128]))
        self.use_time = bool(model_config_dict.get("use_time", True))
        # the actor's inputs: without neighbours node j's own and the clock (the critics read them all)
        self.use_neighbours = bool(model_config_dict.get("use_neighbours", True))
        self.graph = NodeGraph.from_config(model_config_dict, self.nodes)  # None: the ring of equal nodes

    def build_encoder(self, framework: str):
        return NodeEncoder(self.nodes, self.hiddens, self.use_time, graph=self.graph,
                           use_neighbours=self.use_neighbours)

    def build_qf_encoder(self, framework: str):
        return NodeActionEncoder(self.nodes, self.hiddens, self.use_time, graph=self.graph)

    def build_pi_head(self, framework: str):
        return NodeGaussianHead(self.hiddens[-1])

    def build_qf_head(self, framework: str):
        return NodeValue(self.hiddens[-1])
