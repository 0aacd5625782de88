"""Learner for tabular Q-learning: the exact tabular update applied through an SGD step of size 1.

Credit (``config.credit``): ``"shared"``, every node's table learns from the cluster's reward;
``"station"``, node j's table learns from its station's share of the cost only
(``info["station_cost"]``, ``lwmecps.envs.simulator.NODE_OUT``), on the same scale as the training
reward (``lwmecps.platform.algorithms.credit``: the shares sum to the shared reward).
"""
from __future__ import annotations

from typing import Any

import torch

from ray.rllib.connectors.common import AddObservationsFromEpisodesToBatch
from ray.rllib.connectors.learner import AddNextObservationsFromEpisodesToTrainBatch
from ray.rllib.core.columns import Columns
from ray.rllib.core.learner.torch.torch_learner import TorchLearner
from ray.rllib.utils.metrics import NUM_ENV_STEPS_SAMPLED_LIFETIME

from .q_table_rl_module import NEXT_Q_VALUES, Q_VALUES
from ..credit import STATION_COSTS, AddStationCostsFromEpisodesToTrainBatch, station_rewards
from .update import tabular_step, td_targets


class QLearningTorchLearner(TorchLearner):
    def build(self) -> None:
        super().build()
        if self.config.add_default_connectors_to_learner_pipeline:
            # after the OBS piece, as DQN's learner does: that piece makes every episode's id unique in
            # the batch (samples of one episode would otherwise share a key and be grouped out of order)
            pieces = [AddNextObservationsFromEpisodesToTrainBatch()]
            if self.config.credit == "station":
                pieces.append(AddStationCostsFromEpisodesToTrainBatch())
            for piece in reversed(pieces):
                self._learner_connector.insert_after(AddObservationsFromEpisodesToBatch, piece)

    def configure_optimizers_for_module(self, module_id, config=None) -> None:
        # the loss below has gradient -(tabular increment): plain SGD with step 1 applies it exactly
        params = self.get_parameters(self._module[module_id])
        self.register_optimizer(module_id=module_id, optimizer=torch.optim.SGD(params, lr=1.0), params=params,
                                lr_or_lr_schedule=1.0)

    def compute_loss_for_module(self, *, module_id, config, batch: dict[str, Any], fwd_out: dict[str, Any]):
        module = self.module[module_id]
        q, q_next = fwd_out[Q_VALUES], fwd_out[NEXT_Q_VALUES]  # (B, n, levels)
        actions = batch[Columns.ACTIONS].long()  # (B, n)
        rewards = self._rewards(batch, actions)
        terminated = batch[Columns.TERMINATEDS][:, None].expand_as(actions)
        targets = td_targets(q_next, rewards, terminated, config.gamma)
        s = module.state_indices(batch[Columns.OBS])
        nodes = torch.arange(module.n_nodes, device=s.device).expand_as(s)
        flat = (nodes * module.q.shape[1] + s) * module.q.shape[2] + actions
        step = tabular_step(module.q, flat.reshape(-1), targets.reshape(-1), config.lr)
        q_sa = q.gather(-1, actions[..., None])[..., 0]
        self.metrics.log_value((module_id, "td_error_abs_mean"), (targets - q_sa).abs().mean().item(), window=1)
        self.metrics.log_value((module_id, "epsilon"), float(module.epsilon), window=1)
        return -(step.detach() * module.q).sum()

    def _rewards(self, batch: dict[str, Any], actions: torch.Tensor) -> torch.Tensor:
        """``(B, n)``: every node's reward for its transitions (the module docstring's credit)."""
        if self.config.credit != "station":
            return batch[Columns.REWARDS].float()[:, None].expand_as(actions)
        return station_rewards(batch[STATION_COSTS], self.config.env_config.get("reward")).to(actions.device)

    def after_gradient_based_update(self, *, timesteps: dict[str, Any]) -> None:
        super().after_gradient_based_update(timesteps=timesteps)
        t = timesteps.get(NUM_ENV_STEPS_SAMPLED_LIFETIME, 0) or 0
        c = self.config
        frac = min(1.0, t / max(1, c.epsilon_decay_steps))
        for module_id in self.module.keys():
            self.module[module_id].average_table()
            self.module[module_id].epsilon.fill_(c.epsilon_start + frac * (c.epsilon_end - c.epsilon_start))
