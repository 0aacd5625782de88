"""The parameter table: defaults from configs/algorithms, overrides, and errors that name the key."""
import pytest

from lwmecps.platform.training.registry import MODEL_TYPES, ParameterError, build_config, get_model_type


def test_defaults_come_from_yaml_and_parameters_override_them():
    ppo = get_model_type("ppo")
    assert ppo.defaults()["train_batch_size"] == 2304
    assert ppo.resolve({"learning_rate": 0.01})["learning_rate"] == 0.01
    config = build_config("ppo", {"learning_rate": 0.01, "discount_factor": 0.5, "epochs": 3}, "profile-a")
    assert (config.lr, config.gamma, config.num_epochs) == (0.01, 0.5, 3)
    q = build_config("q_learning", {"learning_rate": 0.2}, "profile-a")
    assert q.lr == 0.2 and q.epsilon_decay_steps == 100000


def test_ppo_learning_rate_decays_linearly_when_an_end_is_given():
    assert build_config("ppo", {}, "profile-a").lr == 0.001  # constant by default
    config = build_config("ppo", {"learning_rate_end": 1e-4, "lr_decay_steps": 5000}, "profile-a")
    assert config.lr == [[0, 0.001], [5000, 1e-4]]
    assert build_config("ppo", {"learning_rate_end": 2e-4}, "profile-a").lr == [[0, 0.001], [1_000_000, 2e-4]]
    with pytest.raises(ParameterError, match=r"'lr_decay_steps'=0 is outside"):
        build_config("ppo", {"lr_decay_steps": 0}, "profile-a")
    with pytest.raises(ParameterError, match=r"'lr_decay_steps' needs 'learning_rate_end' as well"):
        get_model_type("ppo").resolve({"lr_decay_steps": 5000})
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) 'learning_rate_end' for model_type 'dqn'"):
        build_config("dqn", {"learning_rate_end": 1e-4}, "profile-a")


@pytest.mark.parametrize("model_type", list(MODEL_TYPES))
def test_every_type_builds_and_rejects_unknown_keys(model_type):
    assert build_config(model_type, {}, "profile-a") is not None
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) 'warp_speed'"):
        build_config(model_type, {"warp_speed": 9}, "profile-a")


def test_unknown_type_names_the_supported_ones():
    with pytest.raises(ParameterError, match="unsupported model_type 'a2c'; supported: ppo, dqn, sac, td3"):
        get_model_type("a2c")


def test_training_workload_randomisation_and_reward_reach_the_env():
    import numpy as np

    from lwmecps.platform.training.envs import make_edge_env

    config = build_config("dqn", {"load_level_min": 0.9, "reward_scale": 0.2}, "profile-a").env_config
    assert config["params"]["load_level_min"] == 0.9 and config["params"]["random_day_prob"] == 0.5
    assert config["reward"] == {"scale": 0.2, "offset": 2.5}
    with pytest.raises(ParameterError, match="load_level_min must not exceed load_level_max"):
        build_config("ppo", {"load_level_min": 3.0}, "profile-a")
    # the algorithms learn from -scale * (cost - offset); the env's info still carries the cost
    env = make_edge_env({**config, "adapter": None})
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.array([2, 2, 2, 2]))
    assert reward == pytest.approx(-0.2 * (info["cost"] - 2.5))
    vec = make_edge_env({**config, "adapter": None, "num_envs": 3})
    vec.reset(seed=0)
    _, rewards, _, _, infos = vec.step(np.full((3, 4), 2))
    assert rewards == pytest.approx(-0.2 * (infos["cost"] - 2.5))
