"""The API spec's own example, as a user runs it: DQN with the spec's parameters (learning rate
0.001, discount 0.99) for 1000 episodes on profile-a, then reconciled on ``reconciliation-group-1``
with ``sample_size=100`` — through the same functions the API's task and reconcile paths call
(``train_local``'s training loop and ``training.reconcile.reconcile``).

Reported: the policy's and the baselines' per-step costs on those 100 steps (and on a longer
sample of 4 days, where one day's noise matters less), and ``vs_hpa`` = policy / hpa there
(issue 12 asks <= 1).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, Callable

SPEC_PARAMS = {"learning_rate": 0.001, "discount_factor": 0.99}
GROUP = "reconciliation-group-1"


def run(episodes: int = 1000, log: Callable[[str], None] = print) -> dict[str, Any]:
    from lwmecps.platform.training.local import train_local
    from lwmecps.platform.training.reconcile import reconcile

    out = Path(tempfile.mkdtemp(prefix="lwmecps-spec-dqn-"))
    t0 = time.monotonic()
    done = [0]

    def progress(first: int, rows: list) -> None:
        done[0] = first + len(rows)
        if done[0] % 100 < len(rows):
            log(f"dqn: {done[0]}/{episodes} episodes, {time.monotonic() - t0:.0f} s")

    checkpoint = train_local("dqn", "profile-a", episodes, out, seed=0, params=SPEC_PARAMS, on_episodes=progress)
    wall = time.monotonic() - t0
    result: dict[str, Any] = {"episodes": episodes, "parameters": SPEC_PARAMS, "train_wall_s": round(wall, 1)}
    for steps in (100, 4 * 288):
        t1 = time.monotonic()
        rec = reconcile(str(checkpoint), GROUP, steps, "profile-a")
        costs = {k: round(v, 4) for k, v in rec["costs"][GROUP].items()}
        result[f"steps_{steps}"] = {"costs": costs, "vs_hpa": round(costs["policy"] / costs["hpa"], 4),
                                    "vs_hpa_tuned": round(costs["policy"] / costs["hpa-tuned"], 4),
                                    "adaptation_score": round(rec["metrics"]["adaptation_score"], 4),
                                    "reconcile_s": round(time.monotonic() - t1, 1)}
        log(f"reconcile {steps} steps on {GROUP}: {result[f'steps_{steps}']}")
    return result
