"""A branched advantage head for DQN on the flattened action (RLlib new API stack).

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
        self.branch_head_config = self._get_head_config(output_layer_dim=int(sum(self.nvec)))

    def build_af_head(self, framework: str):
        return BranchedAdvantage(self.branch_head_config.build(framework=framework), self.nvec)
