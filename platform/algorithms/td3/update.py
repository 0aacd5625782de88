"""TD3's update rules as pure functions (Fujimoto et al., 2018), shared by the learner and the tests.

* target policy smoothing: ``a' = clip(mu'(s') + clip(eps, -c, c), -1, 1)``, ``eps ~ N(0, sigma)``;
* clipped double-Q target: ``y = r + gamma^n (1 - terminated) min(Q1'(s', a'), Q2'(s', a'))``, where ``r`` is
  the discounted sum of the ``n`` rewards up to ``s'`` (the replay buffer's n-step sample; ``n = 1``: one step);
* critic loss: ``mean((Q1(s, a) - y)^2) + mean((Q2(s, a) - y)^2)``;
* actor loss (every ``policy_delay`` critic updates): ``-mean(Q1(s, mu(s)))`` with the critic held fixed.

Per-station credit (``credit: station``): each critic has one head per node, head j valued on node j's
reward ``r_j`` (``lwmecps.platform.algorithms.credit``; the heads' sum is the value of the shared
reward). Then ``r`` is ``(B, n)``, each sample bootstraps every head from the twin whose heads sum lower
(one critic's estimate, so the sum is still the clipped double-Q target), the critic loss sums the
heads' squared errors and the actor climbs the sum of Q1's heads. With one head all three reduce to the
formulas above.
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
    """Targets shaped like ``rewards``: ``(B,)`` (one head) or ``(B, heads)`` (per-station credit).

    ``gamma``: the discount of the bootstrap, a float or one ``gamma^n`` per sample (n-step returns)."""
    x = torch.cat([next_obs, next_actions], dim=-1)
    q1n, q2n = q1_target(x), q2_target(x)  # (B, heads)
    # per sample, the twin whose total is lower (with one head: the elementwise minimum)
    q_next = torch.where(q1n.sum(-1, keepdim=True) <= q2n.sum(-1, keepdim=True), q1n, q2n)
    if rewards.dim() == 1:
        q_next = q_next.squeeze(-1)
    else:  # each sample's terminal flag and discount apply to all its heads
        terminated = terminated[:, None]
        if torch.is_tensor(gamma) and gamma.dim():
            gamma = gamma[:, None]
    return rewards + gamma * (1.0 - terminated.float()) * q_next


def critic_loss(q1: Net, q2: Net, obs: torch.Tensor, actions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Sum over heads of the squared error, mean over the batch, for each twin."""
    x = torch.cat([obs, actions], dim=-1)
    y = targets if targets.dim() == 2 else targets[:, None]
    return ((q1(x) - y) ** 2).sum(-1).mean() + ((q2(x) - y) ** 2).sum(-1).mean()


def actor_loss(actor: Net, q1: torch.nn.Module, obs: torch.Tensor) -> torch.Tensor:
    """``-mean(sum of Q1's heads at (s, mu(s)))``; Q1's parameters are detached so only the actor receives
    gradients."""
    frozen = {k: v.detach() for k, v in q1.named_parameters()}
    x = torch.cat([obs, actor(obs)], dim=-1)
    return -torch.func.functional_call(q1, frozen, (x,)).sum(-1).mean()
