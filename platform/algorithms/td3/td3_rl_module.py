"""TD3's RLModule: a deterministic tanh actor, twin critics, and their target copies."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ray.rllib.core.columns import Columns
from ray.rllib.core.learner.utils import make_target_network
from ray.rllib.core.rl_module.apis import TargetNetworkAPI
from ray.rllib.core.rl_module.torch import TorchRLModule


def mlp(n_in: int, hidden: list[int], n_out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(n_in, h), nn.ReLU()]
        n_in = h
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class OwnActionCritic(nn.Module):
    """Per-node critic heads that each read the state and their own node's action only.

    ``forward(x)`` takes ``x = [obs, a]`` (as the joint critic does) and returns ``(B, n)``: head j is
    ``Q_j(s, a_j) = f([s, a_j, e_j])``, one MLP ``f`` shared by the nodes, ``e_j`` the one-hot of node j.
    Why: under station credit head j's reward is node j's share of the cost; reading the other nodes'
    actions only adds their exploration noise to what node j's count is worth (value decomposition with
    local actions, as in multi-agent critics)."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: list[int]):
        super().__init__()
        self.obs_dim, self.n = obs_dim, act_dim
        self.net = mlp(obs_dim + 1 + act_dim, hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        obs, a = x[..., :self.obs_dim], x[..., self.obs_dim:]
        b = obs.shape[0]
        node = torch.eye(self.n, dtype=x.dtype, device=x.device).expand(b, self.n, self.n)
        rows = torch.cat([obs[:, None, :].expand(b, self.n, self.obs_dim), a[..., None], node], dim=-1)
        return self.net(rows).squeeze(-1)


class TD3TorchRLModule(TorchRLModule, TargetNetworkAPI):
    """Actions in ``[-1, 1]^d`` (the continuous adapter maps them to replicas). Critics ``(B, heads)``:
    one head, or with ``model_config["credit"] == "station"`` one per node (``update`` module docstring),
    each reading every node's action or, with ``model_config["critic_actions"] == "own"``, its own
    (``OwnActionCritic``)."""

    def setup(self):
        obs_dim, act_dim = int(self.observation_space.shape[0]), int(self.action_space.shape[0])
        hidden = list(self.model_config.get("fcnet_hiddens", [256, 256]))
        self.exploration_noise = float(self.model_config.get("exploration_noise", 0.1))
        station = self.model_config.get("credit", "shared") == "station"  # a critic head per node
        if self.model_config.get("network", "mlp") == "symmetric":  # one shared per-node network
            from lwmecps.platform.algorithms.symmetric import NodeGraph, SymmetricActor, SymmetricCritic

            graph = NodeGraph.from_config(self.model_config, act_dim)  # None: the ring of equal nodes
            use_time = bool(self.model_config.get("use_time", True))
            self.actor = SymmetricActor(act_dim, hidden, use_time, graph,
                                        use_neighbours=bool(self.model_config.get("use_neighbours", True)))
            self.q1 = SymmetricCritic(act_dim, hidden, use_time, graph, per_node=station)
            self.q2 = SymmetricCritic(act_dim, hidden, use_time, graph, per_node=station)
            return
        self.actor = nn.Sequential(mlp(obs_dim, hidden, act_dim), nn.Tanh())
        if station and self.model_config.get("critic_actions", "all") == "own":
            self.q1 = OwnActionCritic(obs_dim, act_dim, hidden)
            self.q2 = OwnActionCritic(obs_dim, act_dim, hidden)
            return
        heads = act_dim if station else 1  # "station": one value head per node (its station's reward)
        self.q1 = mlp(obs_dim + act_dim, hidden, heads)
        self.q2 = mlp(obs_dim + act_dim, hidden, heads)

    # -- target networks (Polyak-updated with tau by td3_learner on each delayed policy step) ------
    def make_target_networks(self) -> None:
        self.actor_target = make_target_network(self.actor)
        self.q1_target = make_target_network(self.q1)
        self.q2_target = make_target_network(self.q2)

    def get_target_network_pairs(self):
        return [(self.actor, self.actor_target), (self.q1, self.q1_target), (self.q2, self.q2_target)]

    def forward_target(self, batch: dict[str, Any]) -> dict[str, Any]:
        return {Columns.ACTIONS: self.actor_target(batch[Columns.OBS])}

    # -- acting -------------------------------------------------------------------------------------
    def _forward_inference(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        with torch.no_grad():
            return {Columns.ACTIONS: self.actor(batch[Columns.OBS].float())}

    def _forward_exploration(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        with torch.no_grad():
            a = self.actor(batch[Columns.OBS].float())
            return {Columns.ACTIONS: torch.clamp(a + self.exploration_noise * torch.randn_like(a), -1.0, 1.0)}

    def _forward_train(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        return {}  # the learner calls the networks itself (see td3_learner)
