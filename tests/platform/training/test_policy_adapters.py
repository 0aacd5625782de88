"""Actions back to replicas from the cluster's shape alone (what a checkpoint records), the same as
the env's own adapters give on that group."""
import numpy as np

from lwmecps.envs import EdgeClusterEnv
from lwmecps.envs.adapters import ContinuousAction, FlatDiscreteAction
from lwmecps.envs.groups import GroupSpec, WorkloadGroup, _generate_users
from lwmecps.envs.simulator import OBS_PER_NODE
from lwmecps.platform.algorithms.inference import cluster_shape
from lwmecps.platform.training.policy_adapters import to_env_for


def uneven_group() -> WorkloadGroup:
    nodes = [{"name": n, "cpu": c, "memory_mib": 16384} for n, c in (("a", 8), ("b", 2), ("c", 4))]
    spec = GroupSpec.model_validate({"name": "uneven", "nodes": nodes, "trace": {"slot_s": 3600, "users": [[5.0] * 3] * 24}})
    return WorkloadGroup(spec=spec, users=_generate_users(spec))


def test_the_recorded_shape_inverts_like_the_env_adapters():
    group = uneven_group()
    shape = cluster_shape({"group": group})
    assert shape == {"node_names": ["a", "b", "c"], "max_replicas": [4, 1, 2], "obs_per_node": OBS_PER_NODE}
    flat, cont = FlatDiscreteAction(EdgeClusterEnv(group)), ContinuousAction(EdgeClusterEnv(group))
    by_shape = to_env_for("dqn", max_replicas=shape["max_replicas"])
    assert all(np.array_equal(by_shape(i), flat.to_replicas(i)) for i in range(flat.action_space.n))
    by_shape = to_env_for("sac", max_replicas=shape["max_replicas"])
    for x in np.random.default_rng(0).uniform(-1, 1, (50, 3)):
        assert np.array_equal(by_shape(x), cont.to_replicas(x))
    assert to_env_for("ppo", max_replicas=[4, 1, 2]) is None  # MultiDiscrete acts in replicas
    # a shipped group by name still works (checkpoints from before the shape was recorded)
    assert np.array_equal(to_env_for("dqn", "profile-a")(624), [4, 4, 4, 4])
