"""Topologies: nodes of their own size and a latency matrix between stations and nodes. A station's
users go to the nearest node with replicas by that matrix; without one, the failover ring of before."""
import numpy as np
import pytest
from pydantic import ValidationError

from lwmecps.envs.cluster import ClusterSim
from lwmecps.envs.groups import GroupSpec, WorkloadGroup, _generate_users
from lwmecps.envs.simulator import latency_matrix

QUIET = {"noise": False, "episode_hours": 1, "startup_delay_s": 0.0}


def group(latency_ms=None, cpus=(8.0, 8.0, 8.0)) -> WorkloadGroup:
    nodes = [{"name": f"bs{i + 1}", "cpu": c, "memory_mib": 16384.0} for i, c in enumerate(cpus)]
    users = [[20.0, 5.0, 5.0]] * 288
    spec = GroupSpec.model_validate({"name": "topo", "nodes": nodes, "trace": {"slot_s": 300, "users": users},
                                     "latency_ms": latency_ms})
    return WorkloadGroup(spec=spec, users=_generate_users(spec))


def station_latency(g: WorkloadGroup, action) -> np.ndarray:
    sim = ClusterSim(g, QUIET, batch=1)
    sim.reset_one(0, np.random.default_rng(0))
    sim.step(np.asarray([action]))
    return sim.node_out[0, :, 1].copy()  # mean latency (ms) of each station's requests


def test_the_default_is_the_failover_ring():
    assert latency_matrix(3, 60.0).tolist() == [[0, 60, 120], [120, 0, 60], [60, 120, 0]]
    ring = group()
    matrix = group(latency_matrix(3, 60.0).tolist())
    for action in ([0, 2, 2], [2, 0, 2], [0, 0, 3], [1, 1, 1]):
        assert np.allclose(station_latency(ring, action), station_latency(matrix, action))


def test_a_station_goes_to_the_nearest_node_with_replicas():
    # bs1 is 4 ms from bs3 and 40 ms from bs2: with no replica of its own it goes to bs3, although
    # bs2 comes next on the ring
    near = [[0, 40, 4], [40, 0, 40], [4, 40, 0]]
    ring = station_latency(group(), [0, 3, 3])
    topo = station_latency(group(near), [0, 3, 3])
    # a station shares the queue of the node serving it: the difference is the network (up to the
    # timeout budget, timeout_ms - network_ms, that caps the response time a little earlier)
    assert ring[0] - ring[1] == pytest.approx(60.0, abs=0.5)  # bs1 -> bs2 on the ring
    assert topo[0] - topo[2] == pytest.approx(4.0, abs=0.5)   # bs1 -> bs3 by the matrix
    assert ring[0] - topo[0] == pytest.approx(56.0, abs=0.5)  # the same load on an equal node, 56 ms nearer
    # and when bs3 has no replicas either, bs1 and bs3 go to bs2, 40 ms away
    both = station_latency(group(near), [0, 3, 0])
    # (a busier node: its longer tail is cut more by the budget, so less than 40 ms apart)
    assert 36.0 < both[0] - both[1] <= 40.0 and both[2] - both[1] == pytest.approx(both[0] - both[1])


def test_nodes_of_their_own_size_take_their_own_replica_counts():
    sim = ClusterSim(group(cpus=(8.0, 2.0, 4.0)), QUIET, batch=1)
    assert sim.caps.tolist()[1] < sim.caps.tolist()[2] < sim.caps.tolist()[0]


@pytest.mark.parametrize("latency, match", [
    ([[0, 1], [1, 0]], "square 3 x 3"),
    ([[0, 1, 2], [1, 0], [2, 1, 0]], "square 3 x 3"),
    ([[0, 1, 2], [1, 0, -3], [2, 1, 0]], r"latency_ms\[1\]\[2\] = -3"),
])
def test_a_bad_latency_matrix_is_refused_by_name(latency, match):
    with pytest.raises(ValidationError, match=match):
        group(latency)


def test_a_node_with_no_cpu_is_refused():
    with pytest.raises(ValidationError, match="cpu"):
        group(cpus=(8.0, 0.0, 8.0))
