"""DQN's branched advantage head: the flat joint action's advantage is the sum of per-node ones."""
import numpy as np
import pytest
import torch

from lwmecps.envs.adapters import flat_to_replicas
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
