"""Tabular Q-learning: the update rule on toy problems with known answers, and training on the env."""

import numpy as np
import pytest
import torch

from lwmecps.envs.simulator import OBS_PER_NODE
from lwmecps.platform.algorithms.q_learning.discretisation import state_count, state_index
from lwmecps.platform.algorithms.q_learning.update import tabular_step, td_targets


def test_batched_step_equals_sequential_updates_to_one_target():
    table = torch.tensor([[0.0, 5.0]])
    alpha, y = 0.3, 10.0
    step = tabular_step(table, torch.tensor([0, 0, 0]), torch.tensor([y, y, y]), alpha)
    q = 0.0
    for _ in range(3):
        q += alpha * (y - q)  # the textbook update, three times
    assert (table + step)[0, 0].item() == pytest.approx(q)
    assert step[0, 1].item() == 0.0  # unvisited entries stay


def test_converges_to_known_q_star_on_a_two_state_chain():
    # s0 -a0-> s0 (r 0), s0 -a1-> s1 (r 1), s1 -a0-> s0 (r 0), s1 -a1-> s1 (r 2); gamma 0.9
    # V*(s1) = 2 / (1 - 0.9) = 20; Q*(s0, a1) = 1 + 0.9 * 20 = 19; Q*(s0, a0) = Q*(s1, a0) = 0.9 * 19
    nxt = torch.tensor([[0, 1], [0, 1]])
    rew = torch.tensor([[0.0, 1.0], [0.0, 2.0]])
    q = torch.zeros(2, 2)
    s = torch.tensor([0, 0, 1, 1])
    a = torch.tensor([0, 1, 0, 1])
    for _ in range(400):
        targets = td_targets(q[nxt[s, a]], rew[s, a], torch.zeros(4), 0.9)
        q = q + tabular_step(q, s * 2 + a, targets, 0.5)
    expected = torch.tensor([[17.1, 19.0], [17.1, 20.0]])
    assert torch.allclose(q, expected, atol=1e-3)


def test_terminal_steps_do_not_bootstrap():
    q_next = torch.tensor([[1.0, 3.0], [1.0, 3.0]])
    out = td_targets(q_next, torch.tensor([1.0, 1.0]), torch.tensor([False, True]), 0.5)
    assert out.tolist() == [2.5, 1.0]


def test_discretisation_is_bounded_and_reads_the_observation():
    from lwmecps.envs import EdgeClusterEnv

    env = EdgeClusterEnv("profile-a")
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    states = []
    for _ in range(300):
        obs = env.step(rng.integers(0, 5, 4))[0]
        states.append(state_index(torch.as_tensor(obs)[None], 4, 5)[0])
    states = torch.stack(states)
    assert states.min() >= 0 and states.max() < state_count(5)
    assert len(torch.unique(states)) > 50  # the state moves with load, replicas and time of day
    assert state_count(5) * 5 * 4 == 4800  # table entries for the 4-node groups with 8 time slots
    assert state_count(5, tod_bins=1) * 5 * 4 == 600  # and with no clock


def test_load_bins_and_tod_bins_shape_the_state():
    from lwmecps.platform.algorithms.q_learning.discretisation import load_edges

    assert load_edges(4) == (0.25, 0.5, 0.75) and load_edges(None) == (0.1, 0.2, 0.35, 0.5, 0.75)
    with pytest.raises(ValueError, match="load_bins"):
        load_edges(0)
    k = OBS_PER_NODE
    obs = torch.zeros(2, k * 2 + 2)
    obs[:, 1], obs[:, k + 1] = torch.tensor([0.3, 0.6]), torch.tensor([1.5, 0.0])  # node loads
    obs[:, 2 * k], obs[:, 2 * k + 1] = torch.tensor([1.0, -1.0]), 0.0  # 06:00 and 18:00
    s = state_index(obs, 2, 5, tod_bins=1, edges=load_edges(4))
    assert s.tolist() == [[1 * 5, 3 * 5], [2 * 5, 0]]  # (load bin x levels + replicas) x 1 slot + 0
    assert (state_index(obs, 2, 5, tod_bins=4, edges=load_edges(4)) % 4)[:, 0].tolist() == [1, 3]
    obs[:, 0] = 0.5  # node 0 runs 2 of 4 replicas: in the state, unless replica_state is off
    assert state_index(obs, 2, 5, tod_bins=1, edges=load_edges(4))[:, 0].tolist() == [1 * 5 + 2, 2 * 5 + 2]
    assert state_index(obs, 2, 5, tod_bins=1, edges=load_edges(4), replica_state=False).tolist() == [[1, 3], [2, 0]]
    assert state_count(5, 4, 1, replica_state=False) == 4


def test_the_peak_load_signal_reads_a_fallen_load_as_its_smoothed_value():
    from lwmecps.platform.algorithms.q_learning.discretisation import load_edges

    obs = torch.zeros(2, OBS_PER_NODE * 2 + 2)
    obs[:, 1], obs[:, 5] = torch.tensor([0.3, 0.6]), torch.tensor([0.6, 0.3])  # node 0: load, smoothed load
    obs[:, 6] = torch.tensor([0.8, 0.6])  # node 0: the largest load of the last 30 min
    peak = state_index(obs, 2, 5, tod_bins=1, edges=load_edges(4), replica_state=False, load_signal="peak")
    last = state_index(obs, 2, 5, tod_bins=1, edges=load_edges(4), replica_state=False, load_signal="load")
    window = state_index(obs, 2, 5, tod_bins=1, edges=load_edges(4), replica_state=False, load_signal="window")
    assert peak[:, 0].tolist() == [2, 2] and last[:, 0].tolist() == [1, 2]  # the fall still reads 0.6
    assert window[:, 0].tolist() == [3, 2]
    with pytest.raises(ValueError, match="load_signal"):
        state_index(obs, 2, 5, load_signal="mean")


def test_station_credit_rewards_sum_to_the_shared_reward_and_train(ray_local):
    """Each transition's station shares (info after its step) on the training reward's scale add
    up to that step's reward: the column is aligned with the transitions, not off by one."""
    from lwmecps.platform.algorithms.credit import (STATION_COSTS,
                                                                     AddStationCostsFromEpisodesToTrainBatch)
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.registry import build_config

    register()
    algo = build_config("q_learning", {"credit": "station", "batch_size": 600}, "profile-a").build_algo()
    try:
        episodes = algo.env_runner.sample(num_timesteps=300, random_actions=True)
        batch = AddStationCostsFromEpisodesToTrainBatch()(rl_module=None, batch={}, episodes=episodes)
        costs = np.concatenate([np.stack(v) for v in batch[STATION_COSTS].values()])
        rewards = np.concatenate([e.get_rewards() for e in episodes])
        learner = algo.learner_group._learner
        shared = learner._rewards({STATION_COSTS: costs}, torch.zeros(costs.shape, dtype=torch.long)).sum(dim=1)
        assert costs.shape == (len(rewards), 4)
        np.testing.assert_allclose(shared.numpy(), rewards, rtol=1e-4, atol=1e-5)
        before = algo.get_module().q.detach().clone()
        algo.train()
        assert not torch.equal(algo.get_module().q.detach(), before)
    finally:
        algo.stop()


def test_station_credit_needs_the_simulators_station_costs():
    from ray.rllib.env.single_agent_episode import SingleAgentEpisode

    from lwmecps.platform.algorithms.credit import AddStationCostsFromEpisodesToTrainBatch

    episode = SingleAgentEpisode(observations=[0, 1, 2], actions=[0, 1], rewards=[-1.0, -1.0],
                                 infos=[{}, {"station_cost": [0.5, 0.5]}, {"cost": 1.0}], len_lookback_buffer=0)
    with pytest.raises(ValueError, match="station_cost.*step 1"):
        AddStationCostsFromEpisodesToTrainBatch()(rl_module=None, batch={}, episodes=[episode])


def _table_module(greedy_average):
    import gymnasium as gym

    from lwmecps.platform.algorithms.q_learning.q_table_rl_module import QTableRLModule

    obs = gym.spaces.Box(0.0, 10.0, (2 * OBS_PER_NODE + 2,), np.float32)
    config = {"tod_bins": 1, "replica_state": False, "load_signal": "load", "greedy_average": greedy_average}
    return QTableRLModule(observation_space=obs, action_space=gym.spaces.MultiDiscrete([3, 3]),
                          model_config=config)


def test_the_greedy_action_reads_the_averaged_table_and_exploration_the_table():
    from ray.rllib.core.columns import Columns

    module = _table_module(0.5)
    with torch.no_grad():
        module.q.zero_()
        module.q[:, :, 2] = 1.0  # the table's argmax: 2 replicas everywhere
    module.average_table()
    module.average_table()
    torch.testing.assert_close(module.q_avg, 0.75 * module.q.detach())  # (1 - 0.5)^2 of the zero start left
    with torch.no_grad():
        module.q_avg[:, :, 0] = 2.0  # the average still prefers 0 replicas
    module.epsilon.fill_(0.0)
    batch = {Columns.OBS: torch.zeros(3, 2 * OBS_PER_NODE + 2)}
    assert module.forward_inference(batch)[Columns.ACTIONS].tolist() == [[0, 0]] * 3
    assert module.forward_exploration(batch)[Columns.ACTIONS].tolist() == [[2, 2]] * 3
    assert "q_avg" in module.state_dict()  # it travels to the EnvRunners and into checkpoints


def test_without_averaging_the_greedy_action_reads_the_table():
    module = _table_module(1.0)
    module.average_table()  # a no-op
    assert not hasattr(module, "q_avg") and "q_avg" not in module.state_dict()
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="greedy_average must be in"):
            _table_module(bad)


def test_station_credit_rewards_line_up_with_the_learners_batch(ray_local, monkeypatch):
    """In the learner's own pipeline (not the piece alone): each transition's station rewards add up to
    the reward in the same row of the train batch."""
    from ray.rllib.core.columns import Columns

    from lwmecps.platform.algorithms.q_learning.q_learning_learner import QLearningTorchLearner
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.registry import build_config

    rows = []
    real = QLearningTorchLearner._rewards

    def rewards(self, batch, actions):
        out = real(self, batch, actions)
        rows.append((out.sum(dim=1), batch[Columns.REWARDS].float()))
        return out

    monkeypatch.setattr(QLearningTorchLearner, "_rewards", rewards)
    register()
    algo = build_config("q_learning", {"credit": "station", "batch_size": 600}, "profile-a").build_algo()
    try:
        for _ in range(2):  # the second batch carries on the first one's episodes
            algo.train()
        assert rows
        for shared, reward in rows:
            np.testing.assert_allclose(shared.numpy(), reward.numpy(), rtol=1e-4, atol=1e-4)
    finally:
        algo.stop()
