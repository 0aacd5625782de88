"""SAC's node-symmetric networks (``network: symmetric``): rotating the ring of nodes rotates the
actor's Gaussians and leaves both critics' values unchanged; an MLP module fails that test."""
import gymnasium as gym
import numpy as np
import pytest
import torch

from lwmecps.envs.edge_cluster import observation_space
from lwmecps.envs.simulator import OBS_PER_NODE
from lwmecps.platform.training.registry import ParameterError, get_model_type


def _module(network: str, n: int = 4):
    from ray.rllib.algorithms.sac import SACConfig
    from ray.rllib.algorithms.sac.torch.default_sac_torch_rl_module import DefaultSACTorchRLModule
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from lwmecps.platform.algorithms.symmetric_sac import SymmetricSACCatalog

    config = SACConfig().environment(observation_space=observation_space(n),
                                     action_space=gym.spaces.Box(-1.0, 1.0, (n,), np.float32))
    config = config.rl_module(model_config={"fcnet_hiddens": [32, 32]})
    if network == "symmetric":
        config = config.rl_module(rl_module_spec=RLModuleSpec(module_class=DefaultSACTorchRLModule,
                                                              catalog_class=SymmetricSACCatalog))
    torch.manual_seed(0)
    module = config.get_rl_module_spec().build()
    for p in module.parameters():  # away from the init, so that a mix-up of nodes shows
        torch.nn.init.normal_(p, std=0.3)
    return module


def _rotate(obs, n, k=1):
    per = obs[:, : n * OBS_PER_NODE].reshape(-1, n, OBS_PER_NODE)
    return torch.cat([torch.roll(per, k, dims=1).reshape(len(obs), -1), obs[:, n * OBS_PER_NODE:]], dim=1)


def _equivariant(module, n: int = 4) -> bool:
    obs, act = torch.rand(16, OBS_PER_NODE * n + 2), torch.rand(16, n) * 2 - 1
    loc = module.forward_inference({"obs": obs})["action_dist_inputs"][:, :n]
    turned = module.forward_inference({"obs": _rotate(obs, n)})["action_dist_inputs"][:, :n]
    q = module.compute_q_values({"obs": obs, "actions": act})
    q_turned = module.compute_q_values({"obs": _rotate(obs, n), "actions": torch.roll(act, 1, dims=1)})
    assert q.shape == (16,)
    return bool(torch.allclose(torch.roll(loc, 1, dims=1), turned, atol=1e-5)
                and torch.allclose(q, q_turned, atol=1e-4))


@pytest.mark.parametrize("n", [4, 8])
def test_rotating_the_ring_rotates_the_actor_and_keeps_the_critics(n):
    assert _equivariant(_module("symmetric", n), n)


def test_the_mlp_networks_are_not_node_symmetric():  # the check above can fail
    assert not _equivariant(_module("mlp"))


def test_sac_network_parameter():
    sac = get_model_type("sac")
    assert sac.validate({"network": "symmetric"}) == {"network": "symmetric"}
    with pytest.raises(ParameterError, match="network"):
        sac.validate({"network": "graph"})
