"""TD3: its update rules on toy problems with known answers, and training on the env."""

import pytest
import torch
from torch import nn

from lwmecps.platform.algorithms.td3.update import (actor_loss, clipped_double_q_target, critic_loss,
                                                    smoothed_target_actions)


def test_clipped_double_q_target_takes_the_smaller_critic():
    q1 = lambda x: x[:, :1] * 0 + 5.0  # noqa: E731 - toy critics with known values
    q2 = lambda x: x[:, :1] * 0 + 3.0  # noqa: E731
    obs, act = torch.zeros(2, 3), torch.zeros(2, 1)
    y = clipped_double_q_target(q1, q2, obs, act, torch.tensor([1.0, 1.0]), torch.tensor([False, True]), 0.9)
    assert y.tolist() == pytest.approx([1.0 + 0.9 * 3.0, 1.0])


def test_target_policy_smoothing_is_clipped():
    actor = lambda s: torch.full((s.shape[0], 2), 0.95)  # noqa: E731
    a = smoothed_target_actions(actor, torch.zeros(1000, 3), sigma=5.0, clip=0.5,
                                generator=torch.Generator().manual_seed(0))
    assert a.max() <= 1.0 and a.min() >= 0.95 - 0.5 - 1e-6
    assert (a == 1.0).any()  # the action bound clips too


class FixedCritic(nn.Module):
    """Q(s, a) = -(a - 0.3)^2 (a known optimum at a = 0.3), with one (unused) trainable weight."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return -self.w * (x[:, -1:] - 0.3) ** 2


def test_actor_update_climbs_the_critic_and_leaves_it_alone():
    actor = nn.Sequential(nn.Linear(2, 1), nn.Tanh())
    critic = FixedCritic()
    opt = torch.optim.Adam(actor.parameters(), lr=0.05)
    obs = torch.randn(64, 2)
    for _ in range(300):
        opt.zero_grad()
        actor_loss(actor, critic, obs).backward()
        opt.step()
    assert critic.w.grad is None  # the critic is held fixed in the actor's loss
    assert actor(obs).mean().item() == pytest.approx(0.3, abs=0.02)


def test_critic_regresses_to_fixed_targets():
    q1, q2 = nn.Linear(3, 1), nn.Linear(3, 1)
    opt = torch.optim.Adam([*q1.parameters(), *q2.parameters()], lr=0.05)
    obs, act = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.5], [-0.5]])
    y = torch.tensor([2.0, -1.0])
    for _ in range(500):
        opt.zero_grad()
        critic_loss(q1, q2, obs, act, y).backward()
        opt.step()
    x = torch.cat([obs, act], dim=-1)
    assert q1(x).squeeze(-1).tolist() == pytest.approx([2.0, -1.0], abs=1e-3)
    assert q2(x).squeeze(-1).tolist() == pytest.approx([2.0, -1.0], abs=1e-3)
