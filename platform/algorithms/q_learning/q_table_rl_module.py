"""RLModule holding one Q-table per node (see ``discretisation``); epsilon-greedy exploration."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.torch import TorchRLModule

from .discretisation import load_edges, state_count, state_index

Q_VALUES = "q_values"
NEXT_Q_VALUES = "next_q_values"


class QTableRLModule(TorchRLModule):
    """``q[j, s, a]``: node j's value of running ``a`` replicas in discretised state ``s``.

    ``epsilon`` is a buffer: the learner sets it from the decay schedule and it travels to the
    EnvRunners with the weights.
    """

    def setup(self):
        nvec = [int(v) for v in self.action_space.nvec]
        if len(set(nvec)) != 1:
            raise ValueError("tabular Q-learning needs the same replica range on every node")
        self.n_nodes, self.levels = len(nvec), nvec[0]
        self.tod_bins = int(self.model_config.get("tod_bins", 8))
        self.edges = load_edges(self.model_config.get("load_bins"))
        self.replica_state = bool(self.model_config.get("replica_state", True))
        self.load_signal = str(self.model_config.get("load_signal", "load"))  # checkpoints before it: "load"
        states = state_count(self.levels, len(self.edges) + 1, self.tod_bins, self.replica_state)
        self.q = nn.Parameter(torch.zeros(self.n_nodes, states, self.levels))
        self.register_buffer("epsilon", torch.tensor(1.0))

    def _values(self, obs: torch.Tensor) -> torch.Tensor:
        s = self.state_indices(obs)  # (B, n)
        nodes = torch.arange(self.n_nodes, device=obs.device).expand_as(s)
        return self.q[nodes, s]  # (B, n, levels)

    def _forward_inference(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        with torch.no_grad():
            return {Columns.ACTIONS: self._values(batch[Columns.OBS]).argmax(dim=-1)}

    def _forward_exploration(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        with torch.no_grad():
            greedy = self._values(batch[Columns.OBS]).argmax(dim=-1)
            explore = torch.rand(greedy.shape) < self.epsilon
            random = torch.randint(0, self.levels, greedy.shape)
            return {Columns.ACTIONS: torch.where(explore, random, greedy)}

    def _forward_train(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        out = {Q_VALUES: self._values(batch[Columns.OBS])}
        if Columns.NEXT_OBS in batch:
            with torch.no_grad():
                out[NEXT_Q_VALUES] = self._values(batch[Columns.NEXT_OBS])
        return out

    def state_indices(self, obs: torch.Tensor) -> torch.Tensor:
        return state_index(obs.float(), self.n_nodes, self.levels, self.tod_bins, self.edges, self.replica_state,
                           self.load_signal)
