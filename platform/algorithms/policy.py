"""Greedy actions from an RLlib RLModule, as a baseline-style ``Policy`` for evaluation."""
from __future__ import annotations

import numpy as np

from lwmecps.envs.baselines.simple import Policy


class RLModulePolicy(Policy):
    """Acts greedily with an RLModule (new API stack).

    ``forward_inference({obs})`` gives the action distribution's inputs (for ``MultiDiscrete``, the
    concatenated logits); the deterministic version of the module's inference distribution picks
    the action. ``to_env`` maps the module's action to replicas (e.g. an adapter's ``to_replicas``).

    SAC and TQC act through a tanh-squashed Gaussian: their greedy action is ``tanh(loc)`` (the
    mean action of Haarnoja et al., 2018). RLlib's ``TorchSquashedGaussian.to_deterministic()``
    returns the *unsquashed* ``loc``, which the continuous adapter would then clip to [-1, 1]: a
    policy meaning 1 replica (``loc`` -0.8, ``tanh`` -0.66) would run 0, one meaning 3 would run 4
    (measured: SAC's validation score 1.94x causal-oracle with the squashed mean, 2.19x before).
    ``greedy_action`` squashes it.

    ``hold`` (``hold(preference, obs, replicas) -> replicas``, ``lwmecps.platform.algorithms.hold``) keeps a
    node's count unless the module's preference for the new one clears a margin; it reads the module's
    Q-values when it ``reads_q`` (DQN), else its action. ``guard`` (``guard(obs, replicas) -> replicas``,
    e.g. ``ScaleDownGuard``) post-processes the replicas after it (None for either: not applied).
    """

    name = "rl-module"

    def __init__(self, module, to_env=None, guard=None, hold=None):
        import torch  # imported here: the env package must not need torch

        self._torch = torch
        self.module = module
        self.to_env = to_env
        self.guard = guard
        self.hold = hold
        self._dist_cls = None  # looked up on first use: modules that output actions need none

    def act(self, obs, env):
        from ray.rllib.core.columns import Columns

        with self._torch.no_grad():
            batch = {Columns.OBS: self._torch.as_tensor(np.asarray(obs, dtype=np.float32)[None])}
            q = None
            if self.hold is not None and self.hold.reads_q:
                from ray.rllib.algorithms.dqn.dqn_learner import QF_PREDS

                # one forward pass: DQN's greedy action is the argmax of these Q-values (forward_inference)
                q = self.module.compute_q_values(batch)[QF_PREDS]
                action = q.argmax(dim=-1)
            else:
                out = self.module.forward_inference(batch)
                if Columns.ACTIONS in out:
                    action = out[Columns.ACTIONS]
                else:
                    self._dist_cls = self._dist_cls or self.module.get_inference_action_dist_cls()
                    action = greedy_action(self._dist_cls.from_logits(out[Columns.ACTION_DIST_INPUTS]))
            action = action[0].cpu().numpy()
            replicas = self.to_env(action) if self.to_env else action.astype(np.int64)
            if self.hold is not None:
                replicas = self.hold(q[0].cpu().numpy() if q is not None else action, obs, replicas)
        return self.guard(obs, replicas) if self.guard else replicas


def greedy_action(dist):
    """The deterministic action of an RLlib action distribution: its ``to_deterministic()`` sample,
    except for a tanh-squashed Gaussian, whose greedy action is its squashed ``loc`` (see
    ``RLModulePolicy``), rescaled to the distribution's ``[low, high]``."""
    from ray.rllib.core.distribution.torch.torch_distribution import TorchSquashedGaussian

    if isinstance(dist, TorchSquashedGaussian):
        import torch

        return (torch.tanh(dist.loc) + 1.0) / 2.0 * (dist.high - dist.low) + dist.low
    return dist.to_deterministic().sample()
