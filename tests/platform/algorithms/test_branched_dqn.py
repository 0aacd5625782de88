"""DQN's branched advantage head: the flat joint action's advantage is the sum of per-node ones."""
import numpy as np
import pytest
import torch

from lwmecps.envs.adapters import flat_to_replicas
from lwmecps.envs.simulator import OBS_PER_NODE
from lwmecps.platform.algorithms.branched_dqn import BranchedAdvantage, expansion_matrix


@pytest.mark.parametrize("nvec", [(5, 5, 5, 5), (3, 5, 7)])
def test_flat_advantage_is_the_sum_of_each_nodes_advantage_of_its_digit(nvec):
    rng = np.random.default_rng(0)
    per_node = torch.as_tensor(rng.normal(size=(2, sum(nvec))), dtype=torch.float32)
    head = BranchedAdvantage(torch.nn.Identity(), nvec)
    flat = head(per_node)
    assert flat.shape == (2, int(np.prod(nvec)))
    offsets = np.concatenate([[0], np.cumsum(nvec)[:-1]])
    for b in range(2):
        for i in rng.integers(0, flat.shape[1], 20):
            digits = flat_to_replicas(int(i), nvec)
            assert flat[b, i].item() == pytest.approx(sum(per_node[b, o + d].item() for o, d in zip(offsets, digits)),
                                                      abs=1e-5)
        # the greedy joint action is every node's own best count
        best = [int(per_node[b, o:o + n].argmax()) for o, n in zip(offsets, nvec)]
        assert flat_to_replicas(int(flat[b].argmax()), nvec).tolist() == best
    assert expansion_matrix(nvec).sum(dim=0).eq(len(nvec)).all()  # one digit per node in every action


def test_dqn_builds_the_branched_head_and_learns_with_it(ray_local):
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.registry import build_config

    register()
    algo = build_config("dqn", {"network": "branched", "learning_starts": 100}, "profile-a").build_algo()
    try:
        module = algo.get_module()
        assert isinstance(module.af, BranchedAdvantage) and module.af.expand.shape == (20, 625)
        before = [p.detach().clone() for p in module.af.parameters()]
        algo.train()
        after = list(algo.get_module().af.parameters())
        assert any(not torch.equal(a, b) for a, b in zip(after, before))  # the head's weights moved
    finally:
        algo.stop()


def _symmetric_dqn(nodes: int = 4, hiddens=(32, 32)):
    """The DQN module of ``network: symmetric`` on an n-node cluster of 4 replicas per node."""
    import dataclasses

    import gymnasium as gym
    from ray.rllib.algorithms.dqn.torch.default_dqn_torch_rl_module import DefaultDQNTorchRLModule
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from lwmecps.envs.edge_cluster import observation_space
    from lwmecps.platform.algorithms.branched_dqn import SymmetricDQNCatalog

    config = {**dataclasses.asdict(DefaultModelConfig()), "fcnet_hiddens": list(hiddens), "num_atoms": 1,
              "double_q": True, "dueling": True, "v_min": -10.0, "v_max": 10.0, "epsilon": [(0, 1.0)],
              "action_nvec": [5] * nodes}
    return RLModuleSpec(module_class=DefaultDQNTorchRLModule, catalog_class=SymmetricDQNCatalog,
                        observation_space=observation_space(nodes), action_space=gym.spaces.Discrete(5 ** nodes),
                        model_config=config).build()


def test_symmetric_dqn_rotating_the_ring_rotates_the_greedy_action_and_keeps_the_value():
    torch.manual_seed(0)
    module = _symmetric_dqn()
    with torch.no_grad():  # trained-looking weights: the untrained output layer starts near zero
        for p in module.parameters():
            p.normal_(0.0, 0.5)
    k = OBS_PER_NODE
    obs = torch.rand(6, k * 4 + 2)
    per, clock = obs[:, :4 * k].reshape(6, 4, k), obs[:, 4 * k:]
    rotated = torch.cat([torch.roll(per, 1, dims=1).reshape(6, 4 * k), clock], dim=1)
    with torch.no_grad():
        q, q_rot = module.compute_q_values({"obs": obs})["qf_preds"], module.compute_q_values({"obs": rotated})["qf_preds"]
    assert q.shape == (6, 625)
    # a state's best value is the same whichever node is the busy one
    assert torch.allclose(q.max(dim=1).values, q_rot.max(dim=1).values, atol=1e-4)
    for b in range(6):
        greedy = flat_to_replicas(int(q[b].argmax()), (5,) * 4)
        assert flat_to_replicas(int(q_rot[b].argmax()), (5,) * 4).tolist() == np.roll(greedy, 1).tolist()
    # the flat Q-values themselves move (the joint actions are permuted): the checks above are not trivial
    assert not torch.allclose(q, q_rot, atol=1e-4)


def test_symmetric_dqn_rejects_an_observation_of_another_shape():
    with pytest.raises(ValueError, match="edge-cluster observation"):
        import gymnasium as gym
        from lwmecps.platform.algorithms.branched_dqn import SymmetricDQNCatalog

        SymmetricDQNCatalog(gym.spaces.Box(0, 1, (10,)), gym.spaces.Discrete(625),
                            {"action_nvec": [5] * 4, "fcnet_hiddens": [8], "num_atoms": 1})
