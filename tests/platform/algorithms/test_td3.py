"""TD3: its update rules on toy problems with known answers, and the learner's delayed updates."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch import nn

from ray.rllib.core import DEFAULT_MODULE_ID
from ray.rllib.core.columns import Columns
from ray.rllib.policy.sample_batch import SampleBatch
from ray.rllib.utils.metrics import NUM_TARGET_UPDATES

from lwmecps.platform.algorithms.td3 import TD3Config
from lwmecps.platform.algorithms.td3.update import (actor_loss, clipped_double_q_target, critic_loss,
                                                    smoothed_target_actions)


def test_clipped_double_q_target_takes_the_smaller_critic():
    q1 = lambda x: x[:, :1] * 0 + 5.0  # noqa: E731 - toy critics with known values
    q2 = lambda x: x[:, :1] * 0 + 3.0  # noqa: E731
    obs, act = torch.zeros(2, 3), torch.zeros(2, 1)
    y = clipped_double_q_target(q1, q2, obs, act, torch.tensor([1.0, 1.0]), torch.tensor([False, True]), 0.9)
    assert y.tolist() == pytest.approx([1.0 + 0.9 * 3.0, 1.0])


def test_n_step_targets_discount_by_gamma_to_the_n():
    """An n-step sample's reward already sums n discounted rewards: the bootstrap is gamma^n Q'."""
    q = lambda x: x[:, :1] * 0 + 10.0  # noqa: E731
    obs, act = torch.zeros(3, 3), torch.zeros(3, 1)
    gamma_n = 0.9 ** torch.tensor([1.0, 3.0, 2.0])  # one n per sample: fewer at an episode's end
    y = clipped_double_q_target(q, q, obs, act, torch.zeros(3), torch.zeros(3, dtype=torch.bool), gamma_n)
    assert y.tolist() == pytest.approx([9.0, 7.29, 8.1])


def test_target_policy_smoothing_is_clipped():
    actor = lambda s: torch.full((s.shape[0], 2), 0.95)  # noqa: E731
    a = smoothed_target_actions(actor, torch.zeros(1000, 3), sigma=5.0, clip=0.5,
                                generator=torch.Generator().manual_seed(0))
    assert a.max() <= 1.0 and a.min() >= 0.95 - 0.5 - 1e-6
    assert (a == 1.0).any()  # the action bound clips too


class FixedCritic(nn.Module):
    """Q(s, a) = -(a - 0.3)^2 (a known optimum at a = 0.3), with one (unused) trainable weight."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return -self.w * (x[:, -1:] - 0.3) ** 2


def climb_critic(critic, steps=300):
    """A small tanh actor trained ``steps`` Adam steps on ``actor_loss`` against ``critic``."""
    actor, obs = nn.Sequential(nn.Linear(2, 1), nn.Tanh()), torch.randn(64, 2)
    opt = torch.optim.Adam(actor.parameters(), lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        actor_loss(actor, critic, obs).backward()
        opt.step()
    return actor, critic, obs


def test_actor_update_climbs_the_critic_and_leaves_it_alone():
    actor, critic, obs = climb_critic(FixedCritic())
    assert critic.w.grad is None  # the critic is held fixed in the actor's loss
    assert actor(obs).mean().item() == pytest.approx(0.3, abs=0.02)


def test_critic_regresses_to_fixed_targets():
    q1, q2 = nn.Linear(3, 1), nn.Linear(3, 1)
    opt = torch.optim.Adam([*q1.parameters(), *q2.parameters()], lr=0.05)
    obs, act = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.5], [-0.5]])
    y = torch.tensor([2.0, -1.0])
    for _ in range(500):
        opt.zero_grad()
        critic_loss(q1, q2, obs, act, y).backward()
        opt.step()
    x = torch.cat([obs, act], dim=-1)
    assert q1(x).squeeze(-1).tolist() == pytest.approx([2.0, -1.0], abs=1e-3)
    assert q2(x).squeeze(-1).tolist() == pytest.approx([2.0, -1.0], abs=1e-3)


# -- the learner: published TD3 moves actor AND targets only every `policy_delay` critic steps -------
OBS_SPACE = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
ACT_SPACE = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
NETS = ("actor", "q1", "q2", "actor_target", "q1_target", "q2_target")
TARGET_OF = {"actor_target": "actor", "q1_target": "q1", "q2_target": "q2"}


def build_td3_learner(policy_delay=2, tau=0.5):
    config = (TD3Config().environment(observation_space=OBS_SPACE, action_space=ACT_SPACE)
              .training(policy_delay=policy_delay, tau=tau).rl_module(model_config={"fcnet_hiddens": [8]}))
    return config.build_learner(spaces={DEFAULT_MODULE_ID: (OBS_SPACE, ACT_SPACE)})


def fixed_batch(n=16):
    rng = np.random.default_rng(0)
    cols = {Columns.OBS: rng.uniform(-1, 1, (n, 3)), Columns.NEXT_OBS: rng.uniform(-1, 1, (n, 3)),
            Columns.ACTIONS: rng.uniform(-1, 1, (n, 2)), Columns.REWARDS: rng.normal(size=n)}
    batch = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in cols.items()}
    batch[Columns.TERMINATEDS] = torch.zeros(n, dtype=torch.bool)
    return SampleBatch(batch)


def params(net):
    return [p.detach().clone() for p in net.parameters()]


def test_targets_move_only_on_the_delayed_policy_step():
    learner, batch, tau = build_td3_learner(policy_delay=2, tau=0.5), fixed_batch(), 0.5
    module = learner.module[DEFAULT_MODULE_ID].unwrapped()
    moved = {name: [] for name in NETS}  # name -> the critic steps (1-based) on which that network changed
    for step in range(1, 7):  # N = 6 critic steps, one gradient step per update() call
        before = {name: params(getattr(module, name)) for name in NETS}
        learner.update(batch=batch, timesteps={})
        for name in NETS:
            if any(not torch.equal(b, a) for b, a in zip(before[name], getattr(module, name).parameters())):
                moved[name].append(step)
        for target, main in TARGET_OF.items():
            if step in moved[target]:  # Polyak from the main net as it is right after this step's updates
                for old, new, m in zip(before[target], getattr(module, target).parameters(),
                                       getattr(module, main).parameters()):
                    assert torch.allclose(new, tau * m + (1 - tau) * old, atol=1e-6)
    assert moved["q1"] == moved["q2"] == [1, 2, 3, 4, 5, 6]  # critics: every step
    assert moved["actor"] == [2, 4, 6]  # actor: every policy_delay-th step
    for target in TARGET_OF:  # N / policy_delay = 3 target updates, none on the non-delayed steps
        assert moved[target] == [2, 4, 6], target


def test_the_learner_bootstraps_with_each_samples_n_step(monkeypatch):
    """The replay buffer's "n_step" column reaches the target as gamma^n (gamma 0.99 by default)."""
    import lwmecps.platform.algorithms.td3.td3_learner as td3_learner

    seen = []
    real = td3_learner.clipped_double_q_target
    monkeypatch.setattr(td3_learner, "clipped_double_q_target",
                        lambda *a: seen.append(a[-1]) or real(*a))
    learner, batch = build_td3_learner(), fixed_batch(4)
    batch["n_step"] = torch.tensor([1, 3, 3, 2])
    learner.update(batch=batch, timesteps={})
    assert torch.as_tensor(seen[-1]).tolist() == pytest.approx([0.99, 0.99 ** 3, 0.99 ** 3, 0.99 ** 2])


def test_targets_follow_gradient_steps_not_update_calls():
    """One update() of 4 minibatches is 4 critic steps, so 2 delayed policy steps with target moves."""
    learner = build_td3_learner(policy_delay=2)
    results = learner.update(batch=fixed_batch(16), minibatch_size=4, timesteps={})
    assert results[DEFAULT_MODULE_ID][NUM_TARGET_UPDATES].peek() == 2  # target updates in this call


def test_td3_config_is_shaped_like_rllibs():
    """``training()`` takes TD3's own keys beside SAC's; ``validate()`` refuses what TD3 cannot run."""
    from lwmecps.platform.algorithms.td3 import TD3Config

    config = TD3Config().training(policy_delay=3, target_noise=0.1, exploration_noise=0.3, tau=0.01)
    assert (config.policy_delay, config.target_noise, config.exploration_noise, config.tau) == (3, 0.1, 0.3, 0.01)
    includes = config._model_config_auto_includes
    assert includes["exploration_noise"] == 0.3 and "twin_q" in includes  # merged with SAC's, not replacing them
    for bad in ({"policy_delay": 0}, {"exploration_noise": -0.1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            TD3Config().environment("CartPole-v1").training(**bad).validate()


# -- per-station credit: one critic head per node, valued on its station's reward ---------------------
def test_station_heads_bootstrap_every_head_from_the_twin_with_the_lower_total():
    q1 = lambda x: x[:, :2] * 0 + torch.tensor([1.0, 5.0])  # noqa: E731 - total 6
    q2 = lambda x: x[:, :2] * 0 + torch.tensor([3.0, 2.0])  # noqa: E731 - total 5: the clipped estimate
    obs, act = torch.zeros(2, 3), torch.zeros(2, 2)
    r = torch.tensor([[1.0, -1.0], [0.5, 0.5]])
    y = clipped_double_q_target(q1, q2, obs, act, r, torch.tensor([False, True]), 0.9)
    assert y.shape == (2, 2)
    assert y[0].tolist() == pytest.approx([1.0 + 0.9 * 3.0, -1.0 + 0.9 * 2.0])  # not the per-head min [1, 2]
    assert y[1].tolist() == pytest.approx([0.5, 0.5])  # terminated: every head keeps its reward only


def test_station_heads_regress_each_to_its_own_target_and_the_actor_climbs_their_sum():
    q1, q2 = nn.Linear(3, 2), nn.Linear(3, 2)
    opt = torch.optim.Adam([*q1.parameters(), *q2.parameters()], lr=0.05)
    obs, act = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.5], [-0.5]])
    y = torch.tensor([[2.0, 0.0], [-1.0, 3.0]])
    for _ in range(500):
        opt.zero_grad()
        critic_loss(q1, q2, obs, act, y).backward()
        opt.step()
    x = torch.cat([obs, act], dim=-1)
    assert q1(x).flatten().tolist() == pytest.approx(y.flatten().tolist(), abs=1e-3)

    class TwoHeads(nn.Module):  # head 1 wants a = 0.6, head 2 a = 0: their sum peaks at a = 0.4 (weights 2:1)
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def forward(self, x):
            a = x[:, -1:]
            return torch.cat([-2 * self.w * (a - 0.6) ** 2, -self.w * a ** 2], dim=-1)

    actor, _, s = climb_critic(TwoHeads())
    assert actor(s).mean().item() == pytest.approx(0.4, abs=0.02)


def test_station_credit_needs_one_step_samples():
    from lwmecps.platform.training.params import ParameterError
    from lwmecps.platform.training.registry import get_model_type

    td3 = get_model_type("td3")
    assert td3.resolve({"credit": "station"})["credit"] == "station"
    with pytest.raises(ParameterError, match="'credit'='station' needs n_step 1"):
        td3.resolve({"credit": "station", "n_step": 3})
    assert td3.resolve({"credit": "shared", "n_step": 3})["n_step"] == 3
    with pytest.raises(ValueError, match="n_step"):
        TD3Config().environment("Pendulum-v1").training(credit="station", n_step=2).validate()


def test_station_credit_trains_each_head_on_its_stations_share_of_the_reward(ray_local, monkeypatch):
    """Through RLlib's replay buffer: the heads' rewards are the replayed transitions' station shares (the
    info after each step), on the training reward's scale, so they add up to each sample's reward."""
    import lwmecps.platform.algorithms.td3.td3_learner as td3_learner
    from lwmecps.platform.algorithms.td3.td3_rl_module import OwnActionCritic
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.registry import build_config

    seen = []
    real = td3_learner.clipped_double_q_target
    monkeypatch.setattr(td3_learner, "clipped_double_q_target",
                        lambda *a: seen.append(a[4]) or real(*a))
    summed = []
    real_loss = td3_learner.TD3TorchLearner.compute_loss_for_module

    def loss(self, *, module_id, config, batch, fwd_out):
        summed.append(batch[Columns.REWARDS].float().clone())
        return real_loss(self, module_id=module_id, config=config, batch=batch, fwd_out=fwd_out)

    monkeypatch.setattr(td3_learner.TD3TorchLearner, "compute_loss_for_module", loss)
    register()
    algo = build_config("td3", {"credit": "station", "learning_starts": 0, "batch_size": 64},
                        "profile-a").build_algo()
    try:
        module = algo.get_module()
        obs = torch.zeros(1, module.observation_space.shape[0])
        assert module.q1(torch.cat([obs, torch.zeros(1, 4)], -1)).shape == (1, 4)  # a head per node
        assert isinstance(module.q1, OwnActionCritic)  # the default under station credit (critic_actions unset)
        before = [p.detach().clone() for p in module.q1.parameters()]
        algo.train()
        assert seen and seen[-1].shape == (64, 4)
        np.testing.assert_allclose(seen[-1].sum(1).numpy(), summed[-1].numpy(), rtol=1e-4, atol=1e-4)
        assert seen[-1].std(0).min() > 0  # four shares, not one reward copied
        assert any(not torch.equal(b, p) for b, p in zip(before, algo.get_module().q1.parameters()))
    finally:
        algo.stop()


# -- critic_actions: "own": head j reads the state and node j's action only ------------------------------
def test_own_action_heads_read_their_own_nodes_action_only():
    from lwmecps.platform.algorithms.td3.td3_rl_module import OwnActionCritic

    critic = OwnActionCritic(obs_dim=2, act_dim=3, hidden=[16])
    x = torch.randn(5, 5)
    q = critic(x)
    assert q.shape == (5, 3)
    for j in range(3):
        moved = x.clone()
        moved[:, 2 + j] += 0.7
        changed = (critic(moved) - q).abs() > 1e-6
        assert changed[:, j].all() and not changed[:, [k for k in range(3) if k != j]].any()


def test_own_action_heads_learn_each_nodes_best_count_through_the_others_noise():
    """Targets y_j = -(a_j - t_j)^2 + 0.5 a_{j+1}: the other node's term is noise to head j (mean 0 under
    uniform actions); the heads fit the rest and the actor climbing their sum finds t on every node."""
    from lwmecps.platform.algorithms.td3.td3_rl_module import OwnActionCritic

    torch.manual_seed(0)
    t = torch.tensor([0.5, -0.3, 0.0])
    q1, q2 = OwnActionCritic(2, 3, [32, 32]), OwnActionCritic(2, 3, [32, 32])
    opt = torch.optim.Adam([*q1.parameters(), *q2.parameters()], lr=0.01)
    for _ in range(600):
        obs, act = torch.randn(256, 2), torch.rand(256, 3) * 2 - 1
        y = -(act - t) ** 2 + 0.5 * act.roll(-1, dims=1)
        opt.zero_grad()
        critic_loss(q1, q2, obs, act, y).backward()
        opt.step()
    actor, obs = nn.Sequential(nn.Linear(2, 3), nn.Tanh()), torch.randn(64, 2)
    a_opt = torch.optim.Adam(actor.parameters(), lr=0.05)
    for _ in range(300):
        a_opt.zero_grad()
        actor_loss(actor, q1, obs).backward()
        a_opt.step()
    assert actor(obs).mean(0).tolist() == pytest.approx(t.tolist(), abs=0.1)


def test_own_action_critics_need_station_credit_and_the_mlp():
    from lwmecps.platform.algorithms.td3.td3_rl_module import OwnActionCritic, TD3TorchRLModule
    from lwmecps.platform.training.builders import td3_critic_actions
    from lwmecps.platform.training.params import ParameterError
    from lwmecps.platform.training.registry import get_model_type

    td3 = get_model_type("td3")
    assert td3.resolve({"credit": "station", "critic_actions": "own"})["critic_actions"] == "own"
    with pytest.raises(ParameterError, match="'critic_actions'='own' needs credit 'station'"):
        td3.resolve({"credit": "shared", "critic_actions": "own"})
    with pytest.raises(ParameterError, match="'critic_actions'='own' needs network 'mlp'"):
        td3.resolve({"network": "symmetric", "critic_actions": "own"})
    # unset: own heads where they apply (the defaults), every action where one value or the ring needs them
    assert [td3_critic_actions(td3.resolve(p)) for p in ({}, {"credit": "shared"}, {"network": "symmetric"},
                                                          {"critic_actions": "all"})] == ["own", "all", "all", "all"]
    box = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
    module = TD3TorchRLModule(observation_space=gym.spaces.Box(-np.inf, np.inf, (9,), np.float32), action_space=box,
                              model_config={"credit": "station", "critic_actions": "own", "fcnet_hiddens": [8]})
    assert isinstance(module.q1, OwnActionCritic) and isinstance(module.q2, OwnActionCritic)
    assert module.q1(torch.zeros(2, 13)).shape == (2, 4)
