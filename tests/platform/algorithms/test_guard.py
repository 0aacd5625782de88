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


def test_a_node_empties_only_when_one_replica_holds_its_peak():
    guard = ScaleDownGuard(CAPS, peak_utilisation=0.7)
    # peaks 0.15 (0.6 replicas' load: needs 1), 0.175 (0.7: exactly 1), 0.2 (0.8: needs 2)
    obs = observation([2, 2, 2], [0.15, 0.175, 0.2])
    assert guard(obs, np.array([0, 0, 0])).tolist() == [0, 0, 2]
    # a drop to 1 of a node that needs 1 passes; the guard's floor is not applied to it
    assert guard(obs, np.array([1, 1, 1])).tolist() == [1, 1, 2]


def test_default_and_bad_threshold():
    assert 0 < PEAK_UTILISATION <= 1
    with pytest.raises(ValueError, match="peak_utilisation"):
        ScaleDownGuard(CAPS, peak_utilisation=0.0)


def test_a_checkpoint_selected_without_the_guard_is_restored_without_it(ppo_checkpoint, tmp_path):
    import json
    import shutil

    from lwmecps.platform.algorithms.inference import META_FILE, load_policy

    assert isinstance(load_policy(ppo_checkpoint)[0].guard, ScaleDownGuard)  # no "guard" recorded: on
    assert load_policy(ppo_checkpoint, guard=False)[0].guard is None
    off = shutil.copytree(ppo_checkpoint, tmp_path / "off")
    meta = json.loads((off / META_FILE).read_text())
    (off / META_FILE).write_text(json.dumps({**meta, "guard": False}))
    assert load_policy(off)[0].guard is None
