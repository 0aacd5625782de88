"""A branched advantage head for DQN on the flattened action (RLlib new API stack), and its
node-symmetric variant (``SymmetricDQNCatalog``, ``network: symmetric``, at the end of this module).

Why: DQN acts in ``Discrete(prod(max_j + 1))`` (``lwmecps.envs.adapters.FlatDiscreteAction``: 625
joint actions for 4 nodes of 4). RLlib's dueling head learns one advantage per joint action, so a
transition teaches it about one of 625 outputs, and a count that is good on node j must be learnt
again for every combination of the other nodes. Here the advantage is a sum over nodes
(action branching, Tavakoli et al. 2018):

``A(s, a) = sum_j A_j(s, a_j)``,  ``Q(s, a) = V(s) + A(s, a) - mean_a A(s, a)``

where ``a_j`` is node j's digit of the flat index ``a`` (mixed radix, ``adapters.flat_to_replicas``)
and ``A_j`` one output of a head with ``sum_j (max_j + 1)`` outputs (20 for 4 nodes of 4). Each
transition then updates node j's value of its own count, shared by all 125 joint actions that
contain it. The joint greedy action is the per-node argmax. The expansion to the flat index is a
fixed 0/1 matrix ``E`` (``sum_j (max_j+1)`` x ``prod_j (max_j+1)``): ``A_flat = A_branches @ E``,
so RLlib's DQN learner, loss, target networks and epsilon-greedy sampling are used unchanged.

``model_config["action_nvec"]``: the per-node replica levels (``max_j + 1``), set by the registry.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ray.rllib.algorithms.dqn.dqn_catalog import DQNCatalog
from ray.rllib.core.columns import Columns
from ray.rllib.core.models.base import ENCODER_OUT

from lwmecps.platform.algorithms.symmetric import NODE_INPUTS, NodeGraph, check_observation, node_inputs, policy_inputs


def expansion_matrix(nvec) -> torch.Tensor:
    """``E[o_j + k, i] = 1`` iff node j's digit of flat action ``i`` is ``k`` (``o_j``: node j's offset)."""
    from lwmecps.envs.adapters import flat_digits

    nvec = np.asarray(nvec, dtype=np.int64)
    flat = np.arange(int(np.prod(nvec)))
    digits = flat_digits(flat, nvec).T  # (n, prod)
    offsets = np.concatenate([[0], np.cumsum(nvec)[:-1]])
    e = np.zeros((int(nvec.sum()), flat.size), dtype=np.float32)
    for j in range(len(nvec)):
        e[offsets[j] + digits[j], flat] = 1.0
    return torch.from_numpy(e)


class BranchedAdvantage(nn.Module):
    """``head`` (per-node advantages, ``sum(nvec)`` outputs) expanded to the flat joint actions."""

    def __init__(self, head: nn.Module, nvec):
        super().__init__()
        self.head = head
        self.register_buffer("expand", expansion_matrix(nvec))

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.head(latent) @ self.expand


class BranchedDQNCatalog(DQNCatalog):
    """RLlib's DQN catalog with the advantage head of this module (the value head unchanged)."""

    def __init__(self, observation_space, action_space, model_config_dict, **kwargs):
        super().__init__(observation_space, action_space, model_config_dict, **kwargs)
        self.nvec = [int(v) for v in model_config_dict["action_nvec"]]
        if int(np.prod(self.nvec)) != action_space.n:
            raise ValueError(f"action_nvec {self.nvec} does not span the {action_space.n} flat actions")
        if self.num_atoms != 1:
            raise ValueError("the branched head learns expected values: num_atoms must be 1")

    def build_af_head(self, framework: str):
        head_config = self._get_head_config(output_layer_dim=int(sum(self.nvec)))
        return BranchedAdvantage(head_config.build(framework=framework), self.nvec)


# ---- the node-symmetric variant (network: symmetric) -------------------------------------------------
class NodeEncoder(nn.Module):
    """``h_j = phi(x_j)``: one MLP shared by the nodes over each node's inputs ``x_j``
    (``lwmecps.platform.algorithms.symmetric.node_inputs``); ``ENCODER_OUT`` is ``(B, n, hidden)``."""

    def __init__(self, nodes: int, hiddens: list[int], use_time: bool, extra_inputs: int = 0,
                 graph: NodeGraph | None = None, use_neighbours: bool = True):
        super().__init__()
        self.nodes, self.use_time, self.graph, self.use_neighbours = nodes, use_time, graph, use_neighbours
        layers: list[nn.Module] = []
        width = NODE_INPUTS + extra_inputs  # extra: per-node inputs a subclass appends (SAC's actions)
        for out in hiddens:
            layers += [nn.Linear(width, out), nn.ReLU()]
            width = out
        self.net = nn.Sequential(*layers)

    def forward(self, batch: dict) -> dict:
        x = node_inputs(batch[Columns.OBS], self.nodes, self.use_time, self.graph)
        return {ENCODER_OUT: self.net(policy_inputs(x, self.use_neighbours))}


class NodeAdvantage(nn.Module):
    """``A_j(s, k) = a(h_j)_k``, one linear layer shared by the nodes, node j's first ``max_j + 1``
    outputs kept, then expanded to the flat joint actions as in ``BranchedAdvantage``."""

    def __init__(self, width: int, nvec):
        super().__init__()
        self.nvec = [int(k) for k in nvec]
        self.out = nn.Linear(width, max(self.nvec))
        self.register_buffer("expand", expansion_matrix(nvec))

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        out = self.out(latent)  # (B, n, max + 1)
        branches = torch.cat([out[:, j, :k] for j, k in enumerate(self.nvec)], dim=-1)
        return branches @ self.expand


class NodeValue(nn.Module):
    """``V(s) = b + sum_j v(h_j)``: the cost is a sum over nodes, so is the value of a state."""

    def __init__(self, width: int):
        super().__init__()
        self.out = nn.Linear(width, 1)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.out(latent).sum(dim=1) + self.bias  # (B, 1)


class SymmetricDQNCatalog(BranchedDQNCatalog):
    """The branched head with every node's advantage and value from one network shared by the nodes:
    ``A(s, a) = sum_j A_j(x_j, a_j)``, ``V(s) = b + sum_j v(x_j)`` (``x_j``: node j's own, its failover
    neighbours' and the cluster mean's measurements, and the clock; ``model_config["use_time"]``,
    default True, ``fcnet_hiddens`` the shared encoder's widths). As for PPO's node-symmetric module,
    a busy bs3 is handled like a busy bs1: the network reads the load, not which node it is."""

    def __init__(self, observation_space, action_space, model_config_dict, **kwargs):
        super().__init__(observation_space, action_space, model_config_dict, **kwargs)
        check_observation(observation_space.shape, len(self.nvec))
        self.hiddens = list(model_config_dict.get("fcnet_hiddens", [128, 128]))
        self.use_time = bool(model_config_dict.get("use_time", True))
        # without neighbours, node j's advantage and value terms read its own measurements and the clock
        self.use_neighbours = bool(model_config_dict.get("use_neighbours", True))
        self.graph = NodeGraph.from_config(model_config_dict, len(self.nvec))  # None: the ring of equal nodes

    def build_encoder(self, framework: str):
        return NodeEncoder(len(self.nvec), self.hiddens, self.use_time, graph=self.graph,
                           use_neighbours=self.use_neighbours)

    def build_af_head(self, framework: str):
        return NodeAdvantage(self.hiddens[-1], self.nvec)

    def build_vf_head(self, framework: str):
        return NodeValue(self.hiddens[-1])
