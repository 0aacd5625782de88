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

    ``greedy_average = tau < 1`` (model_config): the greedy action (inference, evaluation, serving)
    reads ``q_avg``, an exponential average of the table over update sweeps,
    ``q_avg <- (1 - tau) q_avg + tau q`` after every sweep (the learner); exploration still acts on
    ``q``. Why: each sweep moves a busy entry by a good part of the gap to its batch's noisy mean
    target, so the argmax of ``q`` flips between sweeps and so does the greedy policy (selection scores
    jumping 1.15 -> 1.6 x causal-oracle from one 20-s checkpoint to the next); the averaged table's
    argmax moves only when the values move for ~1/tau sweeps (Polyak-Ruppert averaging). Without the
    key (checkpoints from before it) there is no ``q_avg`` and the greedy action reads ``q``.
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
        average = self.model_config.get("greedy_average")
        self.greedy_average = 1.0 if average is None else float(average)
        if not 0.0 < self.greedy_average <= 1.0:
            raise ValueError(f"greedy_average must be in (0, 1], got {self.greedy_average}")
        if self.greedy_average < 1.0:
            self.register_buffer("q_avg", torch.zeros(self.n_nodes, states, self.levels))

    def average_table(self) -> None:
        """One step of the greedy table's average (class docstring); no-op without averaging."""
        if self.greedy_average < 1.0:
            with torch.no_grad():
                self.q_avg.mul_(1.0 - self.greedy_average).add_(self.q.detach(), alpha=self.greedy_average)

    def _values(self, obs: torch.Tensor, table: torch.Tensor | None = None) -> torch.Tensor:
        s = self.state_indices(obs)  # (B, n)
        nodes = torch.arange(self.n_nodes, device=obs.device).expand_as(s)
        return (self.q if table is None else table)[nodes, s]  # (B, n, levels)

    def _forward_inference(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        with torch.no_grad():
            table = self.q_avg if self.greedy_average < 1.0 else self.q
            return {Columns.ACTIONS: self._values(batch[Columns.OBS], table).argmax(dim=-1)}

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
