"""The greedy action the platform takes from an RLModule (evaluation, reconcile, serving)."""
import numpy as np
import pytest
import torch

from lwmecps.envs.adapters import continuous_to_replicas
from lwmecps.envs.edge_cluster import observation_space
from lwmecps.platform.algorithms.policy import RLModulePolicy, greedy_action

NVEC = np.array([5, 5, 5, 5])
LOC = [-0.8, 0.3, 0.8, 0.0]  # tanh: -0.66, 0.29, 0.66, 0 -> replicas 1, 3, 3, 2


def test_squashed_gaussian_acts_on_its_squashed_mean():
    from ray.rllib.core.distribution.torch.torch_distribution import TorchCategorical, TorchSquashedGaussian

    dist = TorchSquashedGaussian.from_logits(torch.tensor([LOC + [0.0] * 4]))
    action = greedy_action(dist)[0].numpy()
    assert action == pytest.approx(np.tanh(LOC), abs=1e-6)
    assert continuous_to_replicas(action, NVEC).tolist() == [1, 3, 3, 2]
    # RLlib's own deterministic sample is the unsquashed loc: 0 replicas where the policy means 1
    assert continuous_to_replicas(dist.to_deterministic().sample()[0].numpy(), NVEC).tolist() == [0, 3, 4, 2]
    logits = torch.tensor([[0.1, 2.0, -1.0]])  # other distributions: their own deterministic sample
    assert greedy_action(TorchCategorical.from_logits(logits)).tolist() == [1]


def test_a_sac_module_is_evaluated_on_its_squashed_mean():
    from gymnasium import spaces
    from ray.rllib.algorithms.sac import SACConfig

    obs_space = observation_space(4)
    module = (SACConfig().environment(observation_space=obs_space,
                                      action_space=spaces.Box(-1.0, 1.0, (4,), np.float32))
              .rl_module(model_config={"fcnet_hiddens": [8]}).get_rl_module_spec().build())
    last = [m for m in module.pi.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():  # the policy's Gaussian: loc = LOC for every observation
        last.weight.zero_()
        last.bias.copy_(torch.tensor(LOC + [-1.0] * 4))
    policy = RLModulePolicy(module, to_env=lambda x: continuous_to_replicas(x, NVEC))
    assert policy.act(obs_space.sample(), None).tolist() == [1, 3, 3, 2]
