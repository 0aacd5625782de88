"""The scale-down guard: a scale-down stops at the replicas that hold the recent peak at rho_max;
scale-ups and holds pass untouched, and the guard never adds replicas."""
import numpy as np
import pytest

from lwmecps.envs.simulator import OBS_PER_NODE
from lwmecps.platform.algorithms.guard import PEAK_UTILISATION, ScaleDownGuard

CAPS = [4, 4, 4]


def observation(replicas, peaks):
    obs = np.zeros(OBS_PER_NODE * len(CAPS) + 2, dtype=np.float32)
    obs[0::OBS_PER_NODE][: len(CAPS)] = np.asarray(replicas) / np.asarray(CAPS)
    obs[6::OBS_PER_NODE][: len(CAPS)] = peaks
    return obs


def test_scale_down_stops_at_what_the_recent_peak_needs():
    guard = ScaleDownGuard(CAPS, peak_utilisation=0.7)
    # node 0: 4 replicas, peak 0.6 of a full node = 2.4 replicas' load -> needs ceil(2.4 / 0.7) = 4
    # node 1: 4 replicas, peak 0.3 -> needs ceil(1.2 / 0.7) = 2: a drop to 2 passes, to 1 stops at 2
    # node 2: 2 replicas, peak 0.9 -> needs 4 (capped), but the guard never adds: a drop to 0 stops at 2
    obs = observation([4, 4, 2], [0.6, 0.3, 0.9])
    assert guard(obs, np.array([3, 1, 0])).tolist() == [4, 2, 2]
    assert guard(obs, np.array([4, 2, 2])).tolist() == [4, 2, 2]
    # scale-ups and holds are the policy's own
    assert guard(obs, np.array([4, 4, 4])).tolist() == [4, 4, 4]
    # a light node may go to 0
    assert guard(observation([3, 3, 3], [0.0, 0.0, 0.0]), np.array([0, 1, 2])).tolist() == [0, 1, 2]


def test_default_and_bad_threshold():
    assert 0 < PEAK_UTILISATION <= 1
    with pytest.raises(ValueError, match="peak_utilisation"):
        ScaleDownGuard(CAPS, peak_utilisation=0.0)
