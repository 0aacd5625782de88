"""The cluster generator (``lwmecps.envs.generate``) and the shipped 16- and 64-node groups it made."""
import numpy as np
import pytest

from lwmecps.envs import EdgeClusterEnv, load_group, load_group_file
from lwmecps.envs.generate import CPU_CHOICES, synthetic_group, synthetic_spec, write_spec


@pytest.mark.parametrize("nodes", [16, 64])
def test_the_shipped_large_groups_are_the_generators_output(nodes):
    """``lwmecps env generate --nodes N --seed N`` made them: same users, nodes and latencies."""
    shipped, made = load_group(f"synthetic-{nodes}"), synthetic_group(nodes, seed=nodes)
    assert shipped.n_nodes == nodes and np.array_equal(shipped.users, made.users)
    assert shipped.spec.nodes == made.spec.nodes and shipped.spec.latency_ms == made.spec.latency_ms


def test_generated_clusters_are_heterogeneous_with_a_metric_latency_matrix(tmp_path):
    spec = synthetic_spec(12, seed=3)
    lat = np.array(spec["latency_ms"])
    assert lat.shape == (12, 12) and np.allclose(lat, lat.T) and (np.diag(lat) == 0).all() and (lat >= 0).all()
    assert {n["cpu"] for n in spec["nodes"]} <= set(CPU_CHOICES) and len({n["cpu"] for n in spec["nodes"]}) > 1
    group = load_group_file(write_spec(spec, tmp_path / "g.yaml"))
    assert group.name == "synthetic-12" and group.users.mean(axis=0).sum() == pytest.approx(16.5 * 12, rel=0.05)
    env = EdgeClusterEnv(group)
    assert len(set(env.action_space.nvec.tolist())) > 1  # nodes of other sizes take other max replicas
    assert synthetic_spec(12, seed=3) == spec and synthetic_spec(12, seed=4) != spec
    for bad in ({"nodes": 0}, {"nodes": 65}, {"nodes": 4, "users_per_node": -1.0}):
        with pytest.raises(ValueError, match="nodes must be|users_per_node must be"):
            synthetic_spec(**bad)
