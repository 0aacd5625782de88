"""TD3's learner: critic and actor optimisers, delayed actor updates, delayed Polyak target updates.

The rule (Fujimoto et al., 2018, Algorithm 1): every update step trains the twin critics; every
``policy_delay``-th step also trains the actor and, right after it, moves ALL target networks
(target actor and both target critics) by Polyak averaging with ``tau``. On the other steps the
targets stay exactly as they are.

With ``credit: station`` the critics have one head per node, each trained on its station's reward
(``lwmecps.platform.algorithms.credit``, ``update`` module docstring).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import torch

from ray.rllib.algorithms.dqn.dqn_learner import DQNLearner
from ray.rllib.connectors.common import AddObservationsFromEpisodesToBatch
from ray.rllib.core import ALL_MODULES
from ray.rllib.core.columns import Columns
from ray.rllib.algorithms.sac.sac_learner import QF_LOSS_KEY
from ray.rllib.core.learner.learner import POLICY_LOSS_KEY
from ray.rllib.core.learner.torch.torch_learner import TorchLearner
from ray.rllib.core.learner.utils import update_target_network
from ray.rllib.utils.metrics import NUM_TARGET_UPDATES

from ..credit import STATION_COSTS, AddStationCostsFromEpisodesToTrainBatch, station_rewards
from .update import actor_loss, clipped_double_q_target, critic_loss, smoothed_target_actions


class TD3TorchLearner(DQNLearner, TorchLearner):
    """``DQNLearner`` makes the target networks at build; this learner moves them (see module docstring).

    ``DQNLearner`` would Polyak-update the targets in ``after_gradient_based_update``, i.e. once per
    ``update()`` call whatever the step was; TD3 moves them only on the delayed policy step, so the
    update happens in ``apply_gradients`` (once per gradient step, also with several minibatches per
    ``update()``) and ``target_network_update_freq`` is not used.
    """

    def build(self) -> None:
        super().build()
        if self.config.credit == "station" and self.config.add_default_connectors_to_learner_pipeline:
            # after the OBS piece (DQNLearner put NEXT_OBS there): that piece makes each replayed sample's
            # episode id unique, so the column is grouped in the batch's order (credit.py)
            self._learner_connector.insert_after(AddObservationsFromEpisodesToBatch,
                                                 AddStationCostsFromEpisodesToTrainBatch())
        self._temp_losses: dict[tuple[str, str], torch.Tensor] = {}
        self._critic_updates: dict[str, int] = defaultdict(int)
        self._policy_step_modules: set[str] = set()  # modules whose actor steps in this gradient step

    def configure_optimizers_for_module(self, module_id, config=None) -> None:
        module = self._module[module_id]
        config = self.config.get_config_for_module(module_id)
        critic = self.get_parameters(module.q1) + self.get_parameters(module.q2)
        self.register_optimizer(module_id=module_id, optimizer_name="critic", optimizer=torch.optim.Adam(critic),
                                params=critic, lr_or_lr_schedule=config.critic_lr)
        actor = self.get_parameters(module.actor)
        self.register_optimizer(module_id=module_id, optimizer_name="actor", optimizer=torch.optim.Adam(actor),
                                params=actor, lr_or_lr_schedule=config.actor_lr)

    def compute_loss_for_module(self, *, module_id, config, batch: dict[str, Any], fwd_out: dict[str, Any]):
        m = self.module[module_id].unwrapped()
        obs, nxt = batch[Columns.OBS].float(), batch[Columns.NEXT_OBS].float()
        with torch.no_grad():
            a_next = smoothed_target_actions(m.actor_target, nxt, config.target_noise, config.target_noise_clip)
            # with n-step sampling the reward is the discounted sum of n steps and s' lies n steps on
            # (RLlib's replay buffer; its "n_step" column holds each sample's n, fewer at an episode's end)
            n = batch["n_step"].float() if "n_step" in batch else 1.0
            rewards = (station_rewards(batch[STATION_COSTS], config.env_config.get("reward")).to(obs.device)
                       if config.credit == "station" else batch[Columns.REWARDS].float())
            y = clipped_double_q_target(m.q1_target, m.q2_target, nxt, a_next, rewards,
                                        batch[Columns.TERMINATEDS], config.gamma ** n)
        c_loss = critic_loss(m.q1, m.q2, obs, batch[Columns.ACTIONS].float(), y)
        a_loss = actor_loss(m.actor, m.q1, obs)
        self._temp_losses[(module_id, "critic_loss")] = c_loss
        self._temp_losses[(module_id, "actor_loss")] = a_loss
        # RLlib's keys, as SAC reports them: the critics' loss and the actor's
        self.metrics.log_value((module_id, QF_LOSS_KEY), c_loss.item(), window=1)
        self.metrics.log_value((module_id, POLICY_LOSS_KEY), a_loss.item(), window=1)
        return c_loss + a_loss

    def compute_gradients(self, loss_per_module, **kwargs):
        grads = {}
        for module_id in set(loss_per_module) - {ALL_MODULES}:
            self._critic_updates[module_id] += 1
            config = self.config.get_config_for_module(module_id)
            update_actor = self._critic_updates[module_id] % config.policy_delay == 0
            if update_actor:
                self._policy_step_modules.add(module_id)
            for name, optim in self.get_optimizers_for_module(module_id):
                optim.zero_grad(set_to_none=True)
                loss = self._temp_losses.pop((module_id, name + "_loss"))
                if name == "actor" and not update_actor:
                    # delayed policy update: no gradient kept, so Adam leaves the actor as it is. Under
                    # torch DDP (num_learners >= 2) a zero backward still runs: DDP reduces every
                    # parameter once per iteration and fails on one left out.
                    if self.config.num_learners > 1:
                        (loss * 0.0).backward(retain_graph=True)
                        optim.zero_grad(set_to_none=True)  # grad None: Adam skips the actor (no momentum step)
                    continue
                loss.backward(retain_graph=True)
                grads.update({pid: p.grad for pid, p in self.filter_param_dict_for_optimizer(self._params, optim).items()
                              if p.grad is not None})
        return grads

    def apply_gradients(self, gradients_dict) -> None:
        super().apply_gradients(gradients_dict)  # critic step, plus the actor step on a policy step
        # Published TD3: the targets move only on the delayed policy step, right after the actor update.
        for module_id in self._policy_step_modules:
            config = self.config.get_config_for_module(module_id)
            for main_net, target_net in self.module[module_id].unwrapped().get_target_network_pairs():
                update_target_network(main_net=main_net, target_net=target_net, tau=config.tau)
            self.metrics.log_value((module_id, NUM_TARGET_UPDATES), 1, reduce="lifetime_sum")
        self._policy_step_modules.clear()

    def after_gradient_based_update(self, *, timesteps: dict[str, Any]) -> None:
        # Skip DQNLearner's per-``update()`` target update (targets move in ``apply_gradients``) but
        # keep what comes after it in the MRO (TorchLearner/Learner: learning-rate schedules, metrics).
        super(DQNLearner, self).after_gradient_based_update(timesteps=timesteps)
