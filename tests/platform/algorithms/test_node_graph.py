"""The node-symmetric networks on a group's own topology (``symmetric.NodeGraph``): neighbours by the
latency matrix, counts in the largest node's size, and the ring of equal nodes unchanged."""
import gymnasium as gym
import numpy as np
import torch

from lwmecps.envs import load_group
from lwmecps.envs.edge_cluster import observation_space
from lwmecps.envs.simulator import OBS_PER_NODE, latency_matrix
from lwmecps.platform.algorithms.symmetric import (NodeGraph, SymmetricNodeModule, failover_targets,
                                                   node_actions, node_inputs, node_topology)
from lwmecps.platform.training.registry import build_config

K = OBS_PER_NODE
# bs1 and bs3 are 4 ms apart, bs2 hangs off bs1, bs4 is far from everyone but nearest to bs3
LAT = [[0, 10, 4, 50],
       [10, 0, 20, 60],
       [4, 20, 0, 40],
       [50, 60, 40, 0]]


def test_failover_targets_follow_the_matrix_and_the_simulators_ties():
    assert failover_targets(LAT) == [2, 0, 0, 2]
    assert failover_targets(latency_matrix(5, 60.0)) == [1, 2, 3, 4, 0]  # the ring
    assert failover_targets([[0, 5, 5], [5, 0, 5], [5, 5, 0]]) == [1, 2, 0]  # ties: first in rotation from j
    assert failover_targets([[0]]) == [0]


def test_inputs_on_a_matrix_read_the_nodes_that_fail_over_and_scale_by_node_size():
    graph = NodeGraph(LAT, [4, 4, 2, 4])
    obs = torch.rand(3, 4 * K + 2)
    x = node_inputs(obs, 4, graph=graph)
    per = obs[:, : 4 * K].reshape(3, 4, K)
    sized = [0, 1, 4, 5, 6]  # replicas, load, retries, smoothed and peak load: / max_j in the observation
    scaled = per.clone()
    scaled[:, 2, sized] *= 0.5  # bs3 has 2 replicas at most, the largest node 4
    assert torch.allclose(x[:, :, :K], scaled)
    assert torch.allclose(x[:, 0, K:2 * K], (scaled[:, 1] + scaled[:, 2]) / 2)  # bs2 and bs3 fail over to bs1
    assert torch.allclose(x[:, 0, 2 * K:3 * K], scaled[:, 2])                    # bs1 fails over to bs3
    assert torch.allclose(x[:, 1, K:2 * K], torch.zeros(3, K))                    # nobody fails over to bs2
    assert torch.allclose(x[:, 3, 2 * K:3 * K], scaled[:, 2])
    acts = torch.rand(3, 4)
    a = node_actions(acts, graph)
    assert torch.allclose(a[:, 0, 1], (acts[:, 1] + acts[:, 2]) / 2) and torch.allclose(a[:, 1, 2], acts[:, 0])


def test_the_ring_of_equal_nodes_gives_the_inputs_it_always_gave():
    for n in (1, 4, 8):
        obs, acts = torch.rand(5, n * K + 2), torch.rand(5, n)
        graph = NodeGraph(latency_matrix(n, 60.0), [4] * n)
        assert torch.equal(node_inputs(obs, n, graph=graph), node_inputs(obs, n))
        assert torch.equal(node_actions(acts, graph), node_actions(acts))


def test_relabelling_the_nodes_relabels_the_decisions():
    perm = [2, 0, 3, 1]
    lat = np.asarray(LAT, float)
    caps = np.array([4, 4, 2, 4])
    kw = dict(observation_space=observation_space(4), action_space=gym.spaces.MultiDiscrete([5] * 4))
    torch.manual_seed(0)
    a = SymmetricNodeModule(**kw, model_config={"topology": {"latency_ms": lat.tolist(), "max_replicas": caps.tolist()}})
    b = SymmetricNodeModule(**kw, model_config={"topology": {"latency_ms": lat[np.ix_(perm, perm)].tolist(),
                                                             "max_replicas": caps[perm].tolist()}})
    for p in a.parameters():
        torch.nn.init.normal_(p, std=0.5)
    b.load_state_dict(a.state_dict())
    obs = torch.rand(6, 4 * K + 2)
    per = obs[:, : 4 * K].reshape(6, 4, K)
    relabelled = torch.cat([per[:, perm].reshape(6, -1), obs[:, 4 * K:]], dim=1)
    la = a.forward_inference({"obs": obs})["action_dist_inputs"].reshape(6, 4, 5)
    lb = b.forward_inference({"obs": relabelled})["action_dist_inputs"].reshape(6, 4, 5)
    assert torch.allclose(la[:, perm], lb, atol=1e-5)
    assert torch.allclose(a.compute_values({"obs": obs}), b.compute_values({"obs": relabelled}), atol=1e-4)
    # and the topology matters: the same weights on the ring decide otherwise
    ring = SymmetricNodeModule(**kw, model_config={})
    ring.load_state_dict(a.state_dict())
    assert not torch.allclose(ring.forward_inference({"obs": obs})["action_dist_inputs"].reshape(6, 4, 5), la)


def test_training_configs_carry_the_groups_topology():
    group = load_group("synthetic-16")
    spec = build_config("ppo", {}, group).rl_module_spec
    topo = spec.model_config["topology"]
    assert topo == node_topology(group) and len(topo["max_replicas"]) == 16
    assert len(set(topo["max_replicas"])) > 1 and topo["latency_ms"] == group.spec.latency_ms
    # DQN's flat action cannot span 16 nodes of up to 6 replicas
    for model_type, group_name in (("dqn", "profile-a"), ("sac", "synthetic-16"), ("td3", "synthetic-16")):
        config = build_config(model_type, {"network": "symmetric"}, group_name)
        assert config.model_config["topology"] == node_topology(group_name)
    assert "topology" not in (build_config("ppo", {"network": "mlp"}, "profile-a").rl_module_spec.model_config or {})
