"""The hold band: a node keeps its count unless the policy's own preference for the new count clears
a margin; it only ever returns the current count or the policy's own action."""
import numpy as np
import pytest

from lwmecps.envs.adapters import flat_digits
from lwmecps.envs.simulator import OBS_PER_NODE
from lwmecps.platform.algorithms.hold import (HOLD_BAND, HOLD_COST, HOLD_UP_BAND, HOLD_UP_COST, BandHold, QHold,
                                              hold_for)

CAPS = [4, 4, 4]
NVEC = np.array(CAPS) + 1


def observation(replicas):
    obs = np.zeros(OBS_PER_NODE * len(CAPS) + 2, dtype=np.float32)
    obs[0::OBS_PER_NODE][: len(CAPS)] = np.asarray(replicas) / np.asarray(CAPS)
    return obs


def flat_q(per_node):
    """Q of every flat joint action as a sum of per-node advantages ``per_node[j][a_j]``."""
    digits = flat_digits(np.arange(int(np.prod(NVEC))), NVEC)
    return sum(np.asarray(per_node[j])[digits[:, j]] for j in range(len(CAPS)))


def test_q_hold_moves_a_node_only_when_its_gain_clears_the_margin():
    hold = QHold(CAPS, reward_scale=0.1, cost=0.05, up_cost=None)  # margin 0.005 in Q units, both ways
    q = flat_q([[0, 0, 0.004, 0, 0],     # node 0: at 1, wants 2 for +0.004: held
                [0, 0, 0, 0.010, 0],     # node 1: at 1, wants 3 for +0.010: moves
                [0, 0.02, 0, 0, 0]])     # node 2: already at its best count
    want = np.array([2, 3, 1])
    assert hold(q, observation([1, 1, 1]), want).tolist() == [1, 3, 1]
    assert QHold(CAPS, reward_scale=0.1, cost=0.0, up_cost=0.0)(q, observation([1, 1, 1]), want).tolist() == [2, 3, 1]
    assert QHold(CAPS, reward_scale=1.0, cost=0.05, up_cost=None)(q, observation([1, 1, 1]), want).tolist() == [1, 1, 1]


def test_q_hold_asks_more_of_a_move_up_than_of_a_move_down():
    hold = QHold(CAPS, reward_scale=0.1, cost=0.05, up_cost=0.3)  # 0.005 down, 0.03 up (Q units)
    q = flat_q([[0, 0, 0, 0.020, 0],     # node 0: at 2, wants 3 for +0.020: held (up)
                [0, 0.020, 0, 0, 0],     # node 1: at 2, wants 1 for +0.020: moves (down)
                [0, 0, 0, 0, 0.040]])    # node 2: at 2, wants 4 for +0.040: moves (up)
    assert hold(q, observation([2, 2, 2]), np.array([3, 1, 4])).tolist() == [2, 1, 4]


def test_band_hold_is_a_quantiser_with_hysteresis():
    hold = BandHold(CAPS, band=0.1)
    # in replicas y = (x + 1) / 2 * 4: 1.55 (past 1.5 by 0.05: held at 1), 1.65 (moves to 2), 0.3 (moves to 0)
    x = np.array([1.55, 1.65, 0.3]) / 2.0 - 1.0
    obs = observation([1, 1, 1])
    assert hold(x, obs, np.array([2, 2, 0])).tolist() == [1, 2, 0]
    assert BandHold(CAPS, band=0.0)(x, obs, np.array([2, 2, 0])).tolist() == [2, 2, 0]
    # a wider band up: at 2, y = 2.75 (past 2.5 by 0.25 < 0.3: held), 2.85 (moves to 3), 1.35 (past 1.5 by 0.15: down)
    x = np.array([2.75, 2.85, 1.35]) / 2.0 - 1.0
    assert BandHold(CAPS, band=0.1, up_band=0.3)(x, observation([2, 2, 2]), np.array([3, 3, 1])).tolist() == [2, 3, 1]


def test_hold_returns_the_current_count_or_the_policys_own_action():
    rng = np.random.default_rng(0)
    q_hold, band = QHold(CAPS, reward_scale=0.1), BandHold(CAPS, up_band=0.3)
    for _ in range(200):
        cur, want = rng.integers(0, 5, 3), rng.integers(0, 5, 3)
        obs = observation(cur)
        for out in (q_hold(rng.normal(0, 0.01, int(np.prod(NVEC))), obs, want),
                    band(rng.uniform(-1, 1, 3), obs, want)):
            assert ((out == cur) | (out == want)).all()


def test_which_types_hold_and_bad_settings():
    assert 0 < HOLD_BAND < 0.5 and 0 < HOLD_COST <= HOLD_UP_COST
    dqn = hold_for("dqn", "flat", CAPS, 0.1)
    assert isinstance(dqn, QHold)
    assert (dqn.margin, dqn.up_margin) == pytest.approx((0.1 * HOLD_COST, 0.1 * HOLD_UP_COST))
    for t in ("td3", "sac"):
        rule = hold_for(t, "continuous", CAPS, 0.1)
        assert isinstance(rule, BandHold) and (rule.band, rule.up_band) == (HOLD_BAND, HOLD_UP_BAND[t])
    assert hold_for("ppo", None, CAPS, 0.1) is None
    assert hold_for("dqn", "flat", CAPS, None) is None  # a margin without its unit (old checkpoints)
    assert hold_for("tqc", "continuous", CAPS, 0.1) is None  # not measured
    with pytest.raises(ValueError, match="band"):
        BandHold(CAPS, band=0.5)
    with pytest.raises(ValueError, match="band"):
        BandHold(CAPS, up_band=-0.1)
    with pytest.raises(ValueError, match="costs"):
        QHold(CAPS, reward_scale=0.1, up_cost=-1.0)
    with pytest.raises(ValueError, match="reward_scale"):
        QHold(CAPS, reward_scale=0.0)


def test_a_dqn_module_acts_through_its_hold(ray_local, tmp_path):
    """The restored policy reads the module's own Q-values: with a margin nothing clears every node keeps
    its count; with none the policy is the module's greedy action."""
    import json

    from lwmecps.platform.algorithms.inference import META_FILE, load_policy, save_checkpoint
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.policy_adapters import acting_policy
    from lwmecps.platform.training.registry import build_config

    register()
    algo = build_config("dqn", {"network": "mlp"}, "profile-a").build_algo()
    try:
        policy = acting_policy(algo.get_module(), "dqn", "profile-a", guard=False)
        assert isinstance(policy.hold, QHold)
        rng = np.random.default_rng(1)
        caps = [4, 4, 4, 4]
        moved = 0
        for _ in range(20):
            obs = np.zeros(OBS_PER_NODE * 4 + 2, dtype=np.float32)
            obs[: OBS_PER_NODE * 4] = rng.uniform(0, 1, OBS_PER_NODE * 4)
            cur = rng.integers(0, 5, 4)
            obs[0:OBS_PER_NODE * 4:OBS_PER_NODE] = cur / np.asarray(caps)
            policy.hold.margin = policy.hold.up_margin = 1e9
            assert policy.act(obs, None).tolist() == cur.tolist()
            policy.hold.margin = policy.hold.up_margin = 0.0
            free = policy.act(obs, None)
            policy.hold = None
            assert policy.act(obs, None).tolist() == free.tolist()
            policy.hold = QHold(caps, reward_scale=0.1)
            moved += int((free != cur).any())
        assert moved > 0  # the module's greedy action did differ from the current counts
        path = save_checkpoint(algo, tmp_path / "dqn", {"model_type": "dqn", "group_id": "profile-a"})
    finally:
        algo.stop()
    meta = json.loads((path / META_FILE).read_text())
    assert meta["reward_scale"] == 0.1  # the training reward's scale, the margin's unit
    assert isinstance(load_policy(path)[0].hold, QHold)
    assert load_policy(path, hold=False)[0].hold is None
    (path / META_FILE).write_text(json.dumps({**meta, "hold": False}))
    assert load_policy(path)[0].hold is None
