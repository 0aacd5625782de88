"""TD3's update rules as pure functions (Fujimoto et al., 2018), shared by the learner and the tests.

* target policy smoothing: ``a' = clip(mu'(s') + clip(eps, -c, c), -1, 1)``, ``eps ~ N(0, sigma)``;
* clipped double-Q target: ``y = r + gamma^n (1 - terminated) min(Q1'(s', a'), Q2'(s', a'))``, where ``r`` is
  the discounted sum of the ``n`` rewards up to ``s'`` (the replay buffer's n-step sample; ``n = 1``: one step);
* critic loss: ``mean((Q1(s, a) - y)^2) + mean((Q2(s, a) - y)^2)``;
* actor loss (every ``policy_delay`` critic updates): ``-mean(Q1(s, mu(s)))`` with the critic held fixed.
"""
from __future__ import annotations

from typing import Callable

import torch

Net = Callable[[torch.Tensor], torch.Tensor]


def smoothed_target_actions(actor_target: Net, next_obs: torch.Tensor, sigma: float, clip: float,
                            generator: torch.Generator | None = None) -> torch.Tensor:
    a = actor_target(next_obs)
    noise = torch.randn(a.shape, generator=generator) * sigma
    return torch.clamp(a + torch.clamp(noise, -clip, clip), -1.0, 1.0)


def clipped_double_q_target(q1_target: Net, q2_target: Net, next_obs: torch.Tensor, next_actions: torch.Tensor,
                            rewards: torch.Tensor, terminated: torch.Tensor,
                            gamma: float | torch.Tensor) -> torch.Tensor:
    """``gamma``: the discount of the bootstrap, a float or one ``gamma^n`` per sample (n-step returns)."""
    x = torch.cat([next_obs, next_actions], dim=-1)
    q_next = torch.minimum(q1_target(x), q2_target(x)).squeeze(-1)
    return rewards + gamma * (1.0 - terminated.float()) * q_next


def critic_loss(q1: Net, q2: Net, obs: torch.Tensor, actions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    x = torch.cat([obs, actions], dim=-1)
    return ((q1(x).squeeze(-1) - targets) ** 2).mean() + ((q2(x).squeeze(-1) - targets) ** 2).mean()


def actor_loss(actor: Net, q1: torch.nn.Module, obs: torch.Tensor) -> torch.Tensor:
    """``-mean(Q1(s, mu(s)))``; Q1's parameters are detached so only the actor receives gradients."""
    frozen = {k: v.detach() for k, v in q1.named_parameters()}
    x = torch.cat([obs, actor(obs)], dim=-1)
    return -torch.func.functional_call(q1, frozen, (x,)).mean()
