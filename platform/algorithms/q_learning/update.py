"""The tabular Q-learning update, for a batch of transitions at once.

For one table entry ``Q(s, a)`` visited ``k`` times in a batch with TD targets
``y_i = r_i + gamma * max_a' Q(s'_i, a')`` (0 after a terminal step), ``k`` sequential updates
``Q <- Q + alpha (y - Q)`` toward the batch's mean target ``y_bar`` give exactly
``Q <- Q + (1 - (1 - alpha)^k) (y_bar - Q)``. ``tabular_step`` returns that increment for every
entry (targets use the table before the update, like one synchronous sweep).
"""
from __future__ import annotations

import torch


def td_targets(q_next: torch.Tensor, rewards: torch.Tensor, terminated: torch.Tensor, gamma: float) -> torch.Tensor:
    """``r + gamma * max_a' Q(s', a')``, without the bootstrap after a terminal step."""
    return rewards + gamma * (1.0 - terminated.float()) * q_next.max(dim=-1).values


def tabular_step(table: torch.Tensor, index: torch.Tensor, targets: torch.Tensor, alpha: float) -> torch.Tensor:
    """Increment for the flat ``table`` (numel) given flat visited ``index`` and their ``targets``."""
    flat = table.reshape(-1).detach()
    sums = torch.zeros_like(flat).index_add_(0, index, targets)
    counts = torch.zeros_like(flat).index_add_(0, index, torch.ones_like(targets))
    seen = counts > 0
    step = torch.zeros_like(flat)
    mean_target = sums[seen] / counts[seen]
    step[seen] = (1.0 - (1.0 - alpha) ** counts[seen]) * (mean_target - flat[seen])
    return step.reshape(table.shape)
