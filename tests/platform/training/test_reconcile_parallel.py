"""A reconcile's steps split over Ray tasks give the very figures of the serial run (same seeds)."""
import numpy as np
import pytest

from lwmecps.envs import EnvParams, load_group
from lwmecps.platform.algorithms.inference import load_policy, save_checkpoint
from lwmecps.platform.training import reconcile as rec


def test_split_episodes_covers_every_step_once():
    assert rec.split_episodes(100, 288, 4) == [(0, 100)]
    assert rec.split_episodes(1000, 288, 2) == [(0, 576), (2, 424)]
    chunks = rec.split_episodes(5000, 288, 5)
    assert sum(n for _, n in chunks) == 5000 and [a for a, _ in chunks] == sorted({a for a, _ in chunks})
    assert all(n % 288 == 0 for _, n in chunks[:-1])


@pytest.fixture(scope="module")
def checkpoint(ray_local, tmp_path_factory):
    """A PPO module as a task builds it (untrained: its actions vary with the observation)."""
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.registry import build_config

    register()
    algo = build_config("ppo", {}, "profile-a").build_algo()
    try:
        return str(save_checkpoint(algo, tmp_path_factory.mktemp("ck") / "checkpoint",
                                   {"model_type": "ppo", "group_id": "profile-a"}))
    finally:
        algo.stop()


@pytest.mark.timeout(600)
def test_parallel_run_equals_the_serial_run(checkpoint):
    params, group = EnvParams.load(), load_group("reconciliation-group-1")
    steps = 3 * params.steps_per_episode + 50  # four episodes, the last one cut
    policy, _ = load_policy(checkpoint)
    serial = rec.run_steps(policy, group, steps, rec.RECONCILE_SEED, params)
    split = rec.run_steps_parallel(checkpoint, group, steps, params, parts=3, num_cpus=0.25)
    for key in rec.STEP_FIELDS:
        np.testing.assert_array_equal(split[key], serial[key])
    # and it is not the same workload twice: the episodes differ from each other
    assert not np.array_equal(serial["cost"][:50], serial["cost"][params.steps_per_episode:][:50])
