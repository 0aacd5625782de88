"""Hold band: a trained policy changes a node's replica count only when its own preference for the new
count clears a margin; otherwise the node keeps the count it runs.

Why: a greedy policy whose preference between two counts is nearly a tie flips between them on the
observation's Poisson noise. Each flip pays the switch cost and, on a scale-up, a start-up delay; on the
validation suite the kept DQN, SAC and TD3 checkpoints of `make bench` made 0.22-0.60 count changes per step
over the four nodes (on validation-flat-heavy a DQN one changed each node's count on 4-20 % of steps,
hpa-tuned on 1-5 %). The band is hysteresis on the policy's *own* output, read at the node's current
count ``c_j = round(obs[7 j] * cap_j)``:

* **DQN** (flat action, Q-values over the joint actions): with ``a*`` the greedy joint action and
  ``a*[j <- c_j]`` the same action with node j kept at its count,

      a_j' = c_j   if Q(a*) - Q(a*[j <- c_j]) < HOLD_COST x reward_scale,   else a*_j

  i.e. node j moves only if the module expects the move to save more than ``HOLD_COST`` in cost units
  (the training reward is ``-reward_scale (cost - offset)``). With per-node advantages (``branched_dqn``)
  the difference is node j's own ``A_j(a*_j) - A_j(c_j)``.
* **Continuous actions** (SAC, TD3): ``y_j = (x_j + 1) / 2 x cap_j`` is the action in replicas (the adapter
  rounds it);

      a_j' = c_j   if |y_j - c_j| < 0.5 + HOLD_BAND,   else round(y_j)

  a quantiser with hysteresis: a node moves one count once the action is ``HOLD_BAND`` past the rounding
  boundary.

It never invents a count the policy did not ask for: a node either keeps the count the policy ran it at or
takes the policy's own action (an untrained policy stays what it is). MultiDiscrete policies (PPO,
Q-learning) act without it (measured, below: no gain worth a rule). Applied before the scale-down guard
(``guard``), as every served, evaluated, reconciled and selected policy acts (``inference.load_policy``,
``policy_adapters.acting_policy``); ``load_policy(..., hold=False)`` or ``"hold": false`` in a checkpoint's
``lwmecps.json``: without it.

Chosen on the validation suite (2026-12-07; the 3 kept checkpoints per type of that day's `make bench`,
seeds 1-3, 2 days; mean cost / causal-oracle over the suite's five groups, vs hpa-tuned):

    DQN  HOLD_COST   0 1.0530 (0.9884)  0.025 1.0515  0.05 **1.0491** (0.9846)  0.075 1.0497  0.1 1.0519
                     0.2 1.0843  0.4 1.1677
                     (0.05: better on every seed; count changes per step 0.50/0.23/0.43 -> 0.33/0.17/0.35)
    TD3  HOLD_BAND   0 1.0822 (1.0151)  0.1 **1.0773** (1.0107)  0.2 1.0768 (1.0102)
                     (0.1: better on every seed; 0.2 worse than none on seed 3)
    SAC  HOLD_BAND   0 1.0822 (1.0150)  0.1 **1.0731** (1.0064)  0.2 1.0734 (1.0069)
                     (0.1: better on every seed; count changes per step 0.37/0.40/0.29 -> 0.17/0.17/0.13)

Only these three types (``HOLD_TYPES``) act with it: the other continuous type (TQC) was not measured.
Measured and not adopted (same checkpoints and days), the per-node form ``a_j' = c_j`` while
``pref_j(a*_j) - pref_j(c_j) < m`` on the policy's own per-node preferences:

    PPO  logits, m (nats)      0 1.0611  0.5 1.0607  1 1.0600  2 1.0619   (0.09-0.17 count changes per step)
    Q-learning table, m (Q)    0 1.0654  0.0025 1.0656  0.005 1.0643  0.01 1.0635   (one seed of three moved)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from lwmecps.envs.simulator import OBS_PER_NODE

HOLD_COST = 0.05  # cost units per step: one switch's weight in configs/env/default.yaml
HOLD_BAND = 0.1   # replicas past the rounding boundary


def current_replicas(obs, caps: np.ndarray) -> np.ndarray:
    """``round(obs[7 j] * cap_j)``: the count each node ran in the last interval."""
    per_node = np.asarray(obs, dtype=np.float64)[: OBS_PER_NODE * len(caps)]
    return np.rint(per_node[0::OBS_PER_NODE] * caps).astype(np.int64)


class QHold:
    """The DQN rule: ``hold(q, obs, replicas)`` with ``q`` the module's Q-values of every flat joint action."""

    reads_q = True

    def __init__(self, max_replicas: Sequence[int], reward_scale: float, cost: float = HOLD_COST):
        if cost < 0 or reward_scale <= 0:
            raise ValueError(f"hold cost must be >= 0 and reward_scale > 0, got {cost!r}, {reward_scale!r}")
        self.caps = np.asarray(max_replicas, dtype=np.int64)
        self.margin = float(cost) * float(reward_scale)

    def __call__(self, q, obs, replicas) -> np.ndarray:
        from lwmecps.envs.adapters import replicas_to_flat

        q = np.asarray(q, dtype=np.float64).reshape(-1)
        want = np.asarray(replicas, dtype=np.int64).reshape(-1)
        cur = current_replicas(obs, self.caps)
        best = replicas_to_flat(want, self.caps + 1)
        out = want.copy()
        for j in np.flatnonzero(want != cur):
            kept = want.copy()
            kept[j] = cur[j]
            if q[best] - q[replicas_to_flat(kept, self.caps + 1)] < self.margin:
                out[j] = cur[j]
        return out


class BandHold:
    """The continuous rule: ``hold(x, obs, replicas)`` with ``x`` the module's action in [-1, 1]^n."""

    reads_q = False

    def __init__(self, max_replicas: Sequence[int], band: float = HOLD_BAND):
        if not 0 <= band < 0.5:
            raise ValueError(f"hold band must be in [0, 0.5) replicas, got {band!r}")
        self.caps = np.asarray(max_replicas, dtype=np.int64)
        self.band = float(band)

    def __call__(self, x, obs, replicas) -> np.ndarray:
        y = (np.clip(np.asarray(x, dtype=np.float64).reshape(-1), -1.0, 1.0) + 1.0) / 2.0 * self.caps
        cur = current_replicas(obs, self.caps)
        return np.where(np.abs(y - cur) < 0.5 + self.band, cur, np.asarray(replicas, dtype=np.int64).reshape(-1))


HOLD_TYPES = ("dqn", "sac", "td3")  # measured on the validation suite (the table above)


def hold_for(model_type: str | None, adapter: str | None, max_replicas: Sequence[int], reward_scale: float | None):
    """The hold rule of a ``model_type`` policy acting through ``adapter`` (None: no rule; also for a flat
    policy of unknown ``reward_scale``, whose margin has no unit)."""
    if model_type not in HOLD_TYPES:
        return None
    if adapter == "flat" and reward_scale is not None:
        return QHold(max_replicas, reward_scale)
    if adapter == "continuous":
        return BandHold(max_replicas)
    return None
