"""Scale-down guard: a trained policy scales a node down only as far as its recent peak load allows.

A greedy policy that has never seen a node held near capacity for hours (two hot stations, a flat
heavy day) may drop it one replica at a time of high load: that interval's requests time out and
their retries spill into the next ones (measured on held-out traffic: one such step costs ~10 per
step against ~2.3). Kubernetes' HPA guards against the same with its scale-down stabilisation
window; this is that rule applied to the policy's action, never to its scale-ups:

    c_j    = round(obs[7 j] * cap_j)                        current replicas of node j
    peak_j = obs[7 j + 6]                                    largest load of the last peak_window_s,
                                                             in full-node units (lambda / (cap_j mu))
    need_j = min(cap_j, ceil(peak_j * cap_j / rho_max))      replicas that hold it at utilisation rho_max
    a_j'   = a_j                          if a_j = 0 and need_j <= 1    (a light node may empty)
             max(a_j, min(need_j, c_j))   if a_j < c_j                   (a scale-down stops at need_j)
             a_j                          else                           (scale-ups and holds)

so a scale-down stops at ``need_j`` (never above the current count: the guard adds no replicas). A node
whose station's peak fits in one replica may still go to 0: its users then go to the nearest node with
replicas (the routing of ``envs.simulator``), a consolidation that the hindsight best fixed vector of a
cluster with a latency matrix uses (``synthetic-16``'s has two empty nodes) and that the first version of
this rule forbade: on ``synthetic-16``'s selection day (seed 20000, one day, four PPO checkpoints kept by
``lwmecps bench nodes``) cost / best-static 0.9997 without a guard, 1.0255 with that version, 1.0044 with
this one; on the validation suite (four PPO and four Q-learning checkpoints, 1 day) the two versions are
equal (PPO 1.0342, Q-learning 1.0631 / 1.0630 x causal-oracle).
``rho_max`` = ``PEAK_UTILISATION``, chosen on the validation suite (2026-12-05; figures:
mean cost / causal-oracle over the suite's four groups, 2 days, on checkpoints kept by `lwmecps bench
validate`: two sets of four default PPO checkpoints and one of four Q-learning ones):

    rho_max   none    0.6     0.65    0.7     0.75    0.8     0.85
    PPO (a)   1.0344  1.0413  1.0351  1.0329  1.0330  1.0328  1.0340
    PPO (b)   1.0397  1.0379  1.0326  1.0300  1.0338  1.0326  1.0343
    Q         1.0798  1.0636  1.0612  1.0628  -       1.0721  -

0.7 has the lowest mean of the three sets (1.0419; 0.65 1.0430, 0.8 1.0458, none 1.0513); on
``validation-two-hot`` it takes PPO from 1.057/1.069 to 1.034/1.029 and Q-learning from 1.146 to 1.089.

Measured and not adopted (2026-12-06): an *overload floor* after this rule, raising node ``j`` to
``min(cap_j, ceil((obs[7 j + 1] + obs[7 j + 4]) cap_j / rho_up))`` (the last interval's load and carried
retries at utilisation ``rho_up``; a node whose load fits one replica may still empty). On the validation
suite (the 15 checkpoints of that day's ``make bench``, 2 days; mean cost / hpa-tuned) it helped the types
that see the fewest env steps: Q-learning 1.0118 -> 1.0018 (rho_up 0.9; 0.85 1.0028, 0.75 1.0089, 0.7
1.0156), TD3 1.0548 -> 1.0494 (0.85), DQN 1.0238 -> 1.0223 (0.85); PPO 0.9743 -> 0.9763 and SAC unchanged.
But that floor *is* a reactive HPA: a policy that always answers 1 replica costs 2.192 per step with it on
profile-a (2 replicas: 2.159; hpa-tuned 2.169, best-static 2.264, causal-oracle 1.997; the learning tests'
evaluation days) against 15.99 without, so every policy would act at least as an HPA, an untrained one
included, and the figures would credit the rule, not the training. This rule only ever keeps replicas the
policy already runs.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from lwmecps.envs.simulator import OBS_PER_NODE

from .hold import current_replicas

PEAK_UTILISATION = 0.7
PEAK = 6  # the observation's per-node feature of the recent peak the guard reads (envs.simulator)


class ScaleDownGuard:
    """``guard(obs, action) -> action``: the rule of the module for nodes of ``max_replicas``."""

    def __init__(self, max_replicas: Sequence[int], peak_utilisation: float = PEAK_UTILISATION):
        if not 0 < peak_utilisation <= 2:
            raise ValueError(f"peak_utilisation must be in (0, 2], got {peak_utilisation!r}")
        self.caps = np.asarray(max_replicas, dtype=np.int64)
        self.rho_max = float(peak_utilisation)

    def __call__(self, obs: np.ndarray, action: np.ndarray) -> np.ndarray:
        action = np.asarray(action, dtype=np.int64).reshape(-1)
        n = len(self.caps)
        per_node = np.asarray(obs, dtype=np.float64)[: OBS_PER_NODE * n]
        current = current_replicas(obs, self.caps)
        need = np.minimum(np.ceil(per_node[PEAK::OBS_PER_NODE] * self.caps / self.rho_max - 1e-9), self.caps)
        floor = np.minimum(need.astype(np.int64), current)
        guarded = np.where(action < current, np.maximum(action, floor), action)
        return np.where((action == 0) & (need <= 1), 0, guarded)
