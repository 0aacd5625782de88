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

      a_j' = c_j   if Q(a*) - Q(a*[j <- c_j]) < m_j x reward_scale,   else a*_j
      m_j = HOLD_UP_COST if a*_j > c_j (a scale-up) else HOLD_COST

  i.e. node j moves only if the module expects the move to save more than ``m_j`` in cost units
  (the training reward is ``-reward_scale (cost - offset)``). With per-node advantages (``branched_dqn``)
  the difference is node j's own ``A_j(a*_j) - A_j(c_j)``.
* **Continuous actions** (SAC, TD3): ``y_j = (x_j + 1) / 2 x cap_j`` is the action in replicas (the adapter
  rounds it);

      a_j' = c_j   if y_j - c_j < 0.5 + HOLD_UP_BAND[type]   and   c_j - y_j < 0.5 + HOLD_BAND,   else round(y_j)

  a quantiser with hysteresis: a node moves down one count once the action is ``HOLD_BAND`` past the
  rounding boundary, up once it is ``HOLD_UP_BAND`` past it.

Why a wider margin up than down: a scale-up pays the switch, a start-up delay and, once the load it answered
has passed, a second switch back down; a kept DQN policy ran 13-14.8 replicas against best-static's 12 in
validation-flat-heavy's morning ramp. Waiting for a clear preference before adding a replica lowered the
cost on every group of the validation suite, rising loads included, for each of the three types (the table).

It never invents a count the policy did not ask for: a node either keeps the count the policy ran it at or
takes the policy's own action (an untrained policy stays what it is). MultiDiscrete policies (PPO,
Q-learning) act without it (measured, below: no gain worth a rule). Applied before the scale-down guard
(``guard``), as every served, evaluated, reconciled and selected policy acts (``inference.load_policy``,
``policy_adapters.acting_policy``); ``load_policy(..., hold=False)`` or ``"hold": false`` in a checkpoint's
``lwmecps.json``: without it.

Chosen on the validation suite (the symmetric margins 2026-12-07; the 3 kept checkpoints per type of that
day's `make bench`, seeds 1-3, 2 days; mean cost / causal-oracle over the suite's five groups, vs hpa-tuned):

    DQN  HOLD_COST   0 1.0530 (0.9884)  0.025 1.0515  0.05 **1.0491** (0.9846)  0.075 1.0497  0.1 1.0519
                     0.2 1.0843  0.4 1.1677
                     (0.05: better on every seed; count changes per step 0.50/0.23/0.43 -> 0.33/0.17/0.35)
    TD3  HOLD_BAND   0 1.0822 (1.0151)  0.1 **1.0773** (1.0107)  0.2 1.0768 (1.0102)
                     (0.1: better on every seed; 0.2 worse than none on seed 3)
    SAC  HOLD_BAND   0 1.0822 (1.0150)  0.1 **1.0731** (1.0064)  0.2 1.0734 (1.0069)
                     (0.1: better on every seed; count changes per step 0.37/0.40/0.29 -> 0.17/0.17/0.13)

The scale-up margins, 2026-12-08 (same checkpoints, suite and days; the down margin kept at the value above;
a script wrapping ``load_policy(path, hold=False)`` with each rule; mean cost / causal-oracle, vs hpa-tuned;
per seed 1/2/3):

    DQN  HOLD_UP_COST  0.05 1.0535 (0.9885; 1.062/1.047/1.052)  0.1 1.0503  0.2 1.0453  0.3 1.0409 (0.9767)
                       **0.45** 1.0403 (0.9763; 1.047/1.035/1.039)  0.7 1.0427;  down 0 (up 0.05) 1.0567
    TD3  HOLD_UP_BAND  0.1 1.0705 (1.0042; 1.079/1.065/1.067)  0.2 1.0675  **0.3** 1.0625 (0.9969; 1.065/1.053/
                       1.069)  0.4 1.0647  0.45 1.0666;  down 0 (up 0.1) 1.0689, down 0.2 (up 0.3) 1.0665
    SAC  HOLD_UP_BAND  0.1 1.0698 (1.0035; 1.066/1.068/1.075)  **0.3** 1.0604 (0.9948; 1.051/1.067/1.064)
                       0.4 1.0669

(DQN 0.3 and 0.45 tie on the mean, 0.45 ahead on validation-flat-heavy, the group where the policies trail
best-static: 0.9966 against 0.9940 x causal-oracle; replicas per step 10.89 -> 10.49 over the three seeds.)
The symmetric figures above and these come from two scripts whose absolute levels differ by up to 0.007 on
the same setting; each table compares within one run.

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

HOLD_COST = 0.05      # DQN, a move down: cost units per step, one switch's weight in configs/env/default.yaml
HOLD_UP_COST = 0.45   # DQN, a move up: cost units per step
HOLD_BAND = 0.1       # SAC, TD3, a move down: replicas past the rounding boundary
HOLD_UP_BAND = {"sac": 0.3, "td3": 0.3}  # a move up, per type (measured per type, the table)


def current_replicas(obs, caps: np.ndarray) -> np.ndarray:
    """``round(obs[7 j] * cap_j)``: the count each node ran in the last interval."""
    per_node = np.asarray(obs, dtype=np.float64)[: OBS_PER_NODE * len(caps)]
    return np.rint(per_node[0::OBS_PER_NODE] * caps).astype(np.int64)


class QHold:
    """The DQN rule: ``hold(q, obs, replicas)`` with ``q`` the module's Q-values of every flat joint action."""

    reads_q = True

    def __init__(self, max_replicas: Sequence[int], reward_scale: float, cost: float = HOLD_COST,
                 up_cost: float | None = HOLD_UP_COST):
        up_cost = cost if up_cost is None else up_cost
        if cost < 0 or up_cost < 0 or reward_scale <= 0:
            raise ValueError(f"hold costs must be >= 0 and reward_scale > 0, got {cost!r}, {up_cost!r}, "
                             f"{reward_scale!r}")
        self.caps = np.asarray(max_replicas, dtype=np.int64)
        self.nvec = self.caps + 1  # counts per node of the flat action space
        self.margin = float(cost) * float(reward_scale)        # Q units, a move down
        self.up_margin = float(up_cost) * float(reward_scale)  # Q units, a move up

    def __call__(self, q, obs, replicas) -> np.ndarray:
        from lwmecps.envs.adapters import replicas_to_flat

        q = np.asarray(q, dtype=np.float64).reshape(-1)
        want = np.asarray(replicas, dtype=np.int64).reshape(-1)
        cur = current_replicas(obs, self.caps)
        best = replicas_to_flat(want, self.nvec)
        out = want.copy()
        for j in np.flatnonzero(want != cur):
            kept = want.copy()
            kept[j] = cur[j]
            margin = self.up_margin if want[j] > cur[j] else self.margin
            if q[best] - q[replicas_to_flat(kept, self.nvec)] < margin:
                out[j] = cur[j]
        return out


class BandHold:
    """The continuous rule: ``hold(x, obs, replicas)`` with ``x`` the module's action in [-1, 1]^n."""

    reads_q = False

    def __init__(self, max_replicas: Sequence[int], band: float = HOLD_BAND, up_band: float | None = None):
        """``band``: past the boundary below the current count; ``up_band`` (None: ``band``): above it."""
        up_band = band if up_band is None else up_band
        for value in (band, up_band):
            if not 0 <= value < 0.5:
                raise ValueError(f"hold band must be in [0, 0.5) replicas, got {value!r}")
        self.caps = np.asarray(max_replicas, dtype=np.int64)
        self.band, self.up_band = float(band), float(up_band)

    def __call__(self, x, obs, replicas) -> np.ndarray:
        y = (np.clip(np.asarray(x, dtype=np.float64).reshape(-1), -1.0, 1.0) + 1.0) / 2.0 * self.caps
        cur = current_replicas(obs, self.caps)
        keep = (y - cur < 0.5 + self.up_band) & (cur - y < 0.5 + self.band)
        return np.where(keep, cur, np.asarray(replicas, dtype=np.int64).reshape(-1))


HOLD_TYPES = ("dqn", "sac", "td3")  # measured on the validation suite (the table above)


def hold_for(model_type: str | None, adapter: str | None, max_replicas: Sequence[int], reward_scale: float | None):
    """The hold rule of a ``model_type`` policy acting through ``adapter`` (None: no rule; also for a flat
    policy of unknown ``reward_scale``, whose margin has no unit)."""
    if model_type not in HOLD_TYPES:
        return None
    if adapter == "flat" and reward_scale is not None:
        return QHold(max_replicas, reward_scale)
    if adapter == "continuous":
        return BandHold(max_replicas, up_band=HOLD_UP_BAND.get(model_type))
    return None
