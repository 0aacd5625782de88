"""One registry of model types and one table mapping the API's ``parameters`` onto RLlib configs.

The spec's keys (``learning_rate``, ``discount_factor``, ``batch_size``, ``epochs``) mean, per type:

| key             | ppo                      | dqn                                   | sac                              | q_learning                  |
|-----------------|--------------------------|---------------------------------------|----------------------------------|-----------------------------|
| learning_rate   | ``lr``                   | ``lr``                                | ``actor_lr``, ``critic_lr``      | alpha of the tabular update |
| discount_factor | ``gamma``                | ``gamma``                             | ``gamma``                        | ``gamma``                   |
| batch_size      | ``minibatch_size`` (SGD) | ``train_batch_size_per_learner``      | ``train_batch_size_per_learner`` | env steps per update        |
| epochs          | ``num_epochs`` per batch | ``training_intensity`` (replay ratio) | ``training_intensity``           | sweeps over each batch      |

Algorithm-specific keys are allowed where listed in ``extra``; any other key is rejected with a
``ParameterError`` naming it (the API answers 422). Defaults per type live in
``configs/algorithms/<type>.yaml`` (validated with the same table); a task's parameters override them.
The parameter type and the spec's and common keys live in ``params`` (re-exported here).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

import yaml

from . import builders
from .callbacks import EpisodeMetricsCallback
from .envs import ENV_NAME
from .params import (COMMON_PARAMS, SPEC_PARAMS, Param, ParameterError,  # noqa: F401 (re-exported)
                     env_overrides, reward_transform)


@dataclass(frozen=True)
class ModelType:
    """A trainable model type: how to build its RLlib config from validated parameters."""

    name: str
    description: str
    adapter: str | None  # action adapter the algorithm needs (see lwmecps.envs.adapters)
    build: Callable[[dict[str, Any]], Any]
    extra: dict[str, Param] = field(default_factory=dict)
    single_learner: str = ""  # why the update cannot be split over learners ("" = it can)
    #: API parameter -> the RLlib config keys it sets (where a sweep puts its search space)
    rllib: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: resolved parameters -> what is wrong with their combination ("" = nothing)
    check: Callable[[dict[str, Any]], str] | None = None

    def accepted(self) -> dict[str, Param]:
        """Every parameter this type takes besides the resource keys: the spec's, the common and its own."""
        return {**SPEC_PARAMS, **COMMON_PARAMS, **self.extra}

    def validate(self, params: dict[str, Any] | None) -> dict[str, Any]:
        from . import resources

        accepted = self.accepted()
        params = params or {}
        unknown = sorted(set(params) - set(accepted) - set(resources.RESOURCE_PARAMS))
        if unknown:
            raise ParameterError(f"unknown parameter(s) {', '.join(map(repr, unknown))} for model_type "
                                 f"{self.name!r}; accepted: {', '.join(sorted([*accepted, *resources.RESOURCE_PARAMS]))}")
        checked = resources.validate(params)
        if self.single_learner and checked.get("num_learners", 0) > 1:
            raise ParameterError(f"num_learners={checked['num_learners']} is not supported by {self.name!r}: "
                                 f"{self.single_learner}; use num_learners 0 or 1")
        return {**{k: accepted[k].check(k, v) for k, v in params.items() if k in accepted}, **checked}

    def defaults(self) -> dict[str, Any]:
        """``configs/algorithms/<type>.yaml``, validated like a task's parameters."""
        return dict(_defaults(self.name))

    def resolve(self, params: dict[str, Any] | None) -> dict[str, Any]:
        """Defaults with the task's validated parameters on top (the env's randomisation ranges
        checked as a whole, e.g. ``load_level_min <= load_level_max``)."""
        from lwmecps.envs import EnvParams

        p = {**self.defaults(), **self.validate(params)}
        for key, param in self.accepted().items():
            needed = param.requires
            if key in p and needed and p.get(needed) is None:
                raise ParameterError(f"parameter {key!r} needs {needed!r} as well (alone it would change nothing)")
        problem = self.check(p) if self.check else ""
        if problem:
            raise ParameterError(problem)
        try:
            EnvParams.load(env_overrides(p))
        except ValueError as exc:
            raise ParameterError(str(exc).replace("invalid env params: ", "invalid parameters: ")) from None
        return p


@lru_cache(maxsize=16)
def _defaults(name: str) -> tuple:
    path = resources.files("lwmecps.configs").joinpath(f"algorithms/{name}.yaml")
    data = yaml.safe_load(path.read_text()) if path.is_file() else {}
    try:
        return tuple(MODEL_TYPES[name].validate(data or {}).items())
    except ParameterError as exc:
        raise ParameterError(f"configs/algorithms/{name}.yaml: {exc}") from None


def _common(config, p: dict[str, Any], env_config: dict[str, Any], seed: int, vectorised: bool, footprint):
    from .env_runner import LwmecpsEnvRunner

    config = (config.environment(ENV_NAME, env_config=env_config)
              .env_runners(env_runner_cls=LwmecpsEnvRunner, num_env_runners=footprint.env_runners,
                           num_envs_per_env_runner=footprint.envs_per_env_runner,
                           num_cpus_per_env_runner=footprint.cpus_per_env_runner,
                           gym_env_vectorize_mode="vector_entry_point" if vectorised else "sync")
              # with no remote learner the learner runs in the main process, whose bundle RLlib sizes
              # max(main, per-learner): the per-learner CPUs must then be the actor's
              .learners(num_learners=footprint.learners,
                        num_cpus_per_learner=footprint.cpus_per_learner if footprint.learners else footprint.actor_cpus)
              .resources(num_cpus_for_main_process=footprint.actor_cpus)
              # an EnvRunner lost (with its node) is recreated and the training goes on; the episodes
              # it had not finished are dropped, none is counted twice (they are counted when reported)
              .fault_tolerance(restart_failed_env_runners=True, max_num_env_runner_restarts=100,
                               delay_between_env_runner_restarts_s=1.0, env_runner_health_probe_timeout_s=10.0,
                               env_runner_restore_timeout_s=600.0)
              .callbacks(EpisodeMetricsCallback)
              .debugging(seed=seed)
              .reporting(metrics_num_episodes_for_smoothing=8))
    if "discount_factor" in p:
        config = config.training(gamma=p["discount_factor"])
    return config


_ON_POLICY_KEYS = {"learning_rate": ("lr",), "discount_factor": ("gamma",), "batch_size": ("minibatch_size",),
                   "epochs": ("num_epochs",), "lambda": ("lambda",), "entropy_coeff": ("entropy_coeff",),
                   "train_batch_size": ("_train_batch_size_per_learner",), "grad_clip": ("grad_clip",)}
_REPLAY_KEYS = {"discount_factor": ("gamma",), "batch_size": ("_train_batch_size_per_learner",),
                "epochs": ("training_intensity",), "learning_starts": ("num_steps_sampled_before_learning_starts",),
                "tau": ("tau",)}
_ASYNC_KEYS = {k: v for k, v in _ON_POLICY_KEYS.items() if k in ("learning_rate", "discount_factor", "train_batch_size")}
# PPO's policy/value and TD3's actor/critics (lwmecps.platform.algorithms.symmetric)
NETWORK = Param(str, choices=("symmetric", "mlp"), sweepable=False,
                doc="'symmetric': one network shared by the nodes, each deciding from its own, its failover "
                    "neighbours' (ring or latency matrix) and the mean load; 'mlp': one MLP over the whole "
                    "observation")
# Read by the node-symmetric networks of PPO, DQN and SAC (symmetric.node_inputs); the MLP always sees it
OBSERVE_CLOCK = Param(bool, sweepable=False,
                      doc="whether the node-symmetric network reads the time of day (false: zeros in its "
                          "place, so it acts on the load it observes alone)")
# PPO's node-symmetric policy, SAC's and TD3's actors (their value and critics always read them) and DQN's
# network
OBSERVE_NEIGHBOURS = Param(bool, sweepable=False,
                           doc="whether each node's policy reads its failover neighbours' and the cluster mean's "
                               "measurements (false: its own and the clock only; PPO's value and SAC's and TD3's "
                               "critics still read them, DQN's value does not)")
# Q-learning's tables and TD3's critic heads (algorithms/credit.py)
CREDIT = Param(str, choices=("shared", "station"), sweepable=False,
               doc="what a node's choice is valued on: 'shared', the cluster's reward; 'station', its station's "
                   "share of the cost (info['station_cost']): Q-learning's per-node tables, TD3's critic heads")
# DQN's and TD3's targets: r the discounted sum of n rewards, bootstrapped with gamma^n (RLlib's replay buffer)
N_STEP = Param(int, 1, 20, doc="n-step returns")


def _td3_check(p: dict[str, Any]) -> str:
    """TD3's station credit trains on 1-step samples: an n-step sample's reward is a discounted sum
    whose station shares the replay buffer drops."""
    if p.get("credit") == "station" and p.get("n_step", 1) != 1:
        return (f"parameter 'credit'='station' needs n_step 1 (got {p['n_step']}); "
                "with n-step returns use credit 'shared'")
    if p.get("critic_actions") == "own":  # set explicitly (unset: builders.td3_critic_actions)
        if p.get("credit") != "station":
            return (f"parameter 'critic_actions'='own' needs credit 'station' (got {p.get('credit')!r}): "
                    "one critic value of the cluster's cost depends on every node's action")
        if p.get("network", "mlp") != "mlp":
            return (f"parameter 'critic_actions'='own' needs network 'mlp' (got {p.get('network')!r})")
    return ""


MODEL_TYPES: dict[str, ModelType] = {
    "ppo": ModelType("ppo", "RLlib PPO (new API stack), MultiDiscrete actions, batched simulator", None, builders.ppo, {
        "lambda": Param(float, 0.0, 1.0, doc="GAE lambda"),
        "entropy_coeff": Param(float, 0.0, 1.0, doc="entropy bonus"),
        "train_batch_size": Param(int, 64, 100000, doc="env steps per training iteration"),
        "grad_clip": Param(float, 1e-3, 1e4, doc="largest global norm of a gradient step (none: unclipped)"),
        "network": NETWORK,
        "observe_clock": OBSERVE_CLOCK,
        "observe_neighbours": OBSERVE_NEIGHBOURS,
        # the node-symmetric policy's starting point (algorithms/symmetric.py, "Prior")
        "prior": Param(str, choices=("initial", "static-trained"), sweepable=False,
                       doc="what the untrained policy leans to: 'initial', the env's initial replicas on every "
                           "node; 'static-trained', the best fixed replica vector of the training group's "
                           "tuning days (the static-trained baseline), through a learned per-node bias"),
        "prior_logit": Param(float, 0.0, 10.0, sweepable=False,
                             doc="the logit added to the prior's count of every node (0.2: a tie-breaker; "
                                 "2: about 2/3 of the first samples on 5 counts)"),
        # RLlib's piecewise-linear lr schedule [[0, learning_rate], [lr_decay_steps, learning_rate_end]]:
        # not a key of its own, so a sweep cannot search it (it searches learning_rate, i.e. `lr`)
        "learning_rate_end": Param(float, 1e-7, 1.0, sweepable=False, target="`lr` schedule",
                                   doc="step size reached after lr_decay_steps env steps, linearly from "
                                       "learning_rate, then held (none: constant learning_rate)"),
        "lr_decay_steps": Param(int, 1, 10**9, sweepable=False, target="`lr` schedule", requires="learning_rate_end",
                                doc="env steps (sampled, lifetime) over which the step size decays to "
                                    "learning_rate_end (default 1 000 000)"),
    },
        rllib=_ON_POLICY_KEYS),
    "dqn": ModelType("dqn", "RLlib DQN (double, dueling, prioritised replay) on the flattened action", "flat",
                     builders.dqn, {
                         "n_step": N_STEP,
                         "learning_starts": Param(int, 0, 1_000_000, doc="env steps before learning"),
                         "target_update_freq": Param(int, 1, 1_000_000, doc="env steps between target syncs"),
                         "network": Param(str, choices=("branched", "symmetric", "mlp"), sweepable=False,
                                          doc="'branched': the advantage a sum of per-node advantages; "
                                              "'symmetric': those advantages and the value from one "
                                              "network shared by the nodes; 'mlp': one advantage per "
                                              "joint action"),
                         "observe_clock": OBSERVE_CLOCK,
                         "observe_neighbours": OBSERVE_NEIGHBOURS,
                     },
        rllib={**_REPLAY_KEYS, "learning_rate": ("lr",), "n_step": ("n_step",),
               "target_update_freq": ("target_network_update_freq",)}),
    "sac": ModelType("sac", "RLlib SAC on the continuous action adapter", "continuous", builders.sac, {
        "tau": Param(float, 0.0, 1.0, doc="target network smoothing"),
        "learning_starts": Param(int, 0, 1_000_000, doc="env steps before learning"),
        "initial_alpha": Param(float, 1e-6, 10.0, doc="the entropy temperature's start (learnt from there)"),
        "network": NETWORK,
        "observe_clock": OBSERVE_CLOCK,
        "observe_neighbours": OBSERVE_NEIGHBOURS,
    },
        rllib={**_REPLAY_KEYS, "learning_rate": ("actor_lr", "critic_lr", "alpha_lr"),
               "initial_alpha": ("initial_alpha",)}),
    "td3": ModelType("td3", "TD3 (custom RLlib algorithm on SAC's off-policy machinery), continuous adapter",
                     "continuous", builders.td3, {
                         "tau": Param(float, 0.0, 1.0, doc="target network smoothing"),
                         "policy_delay": Param(int, 1, 100, doc="critic updates per actor update"),
                         "n_step": N_STEP,
                         "target_noise": Param(float, 0.0, 1.0, doc="target policy smoothing sigma"),
                         "exploration_noise": Param(float, 0.0, 1.0, doc="Gaussian exploration sigma"),
                         "learning_starts": Param(int, 0, 1_000_000, doc="env steps before learning"),
                         "network": NETWORK,
                         "observe_clock": OBSERVE_CLOCK,
                         "observe_neighbours": OBSERVE_NEIGHBOURS,
                         "credit": CREDIT,
                         "critic_actions": Param(str, choices=("all", "own"), sweepable=False,
                                                 doc="what each critic head reads of the action: 'all', every "
                                                     "node's replicas; 'own' (credit 'station', network "
                                                     "'mlp'), its own node's only (unset: 'own' where it "
                                                     "applies, else 'all')"),
                     },
        rllib={**_REPLAY_KEYS, "learning_rate": ("actor_lr", "critic_lr"), "policy_delay": ("policy_delay",),
               "n_step": ("n_step",),
               "target_noise": ("target_noise",), "exploration_noise": ("exploration_noise",)},
        check=_td3_check),
    "appo": ModelType("appo", "RLlib APPO (asynchronous PPO), MultiDiscrete actions", None, builders.appo, {
        "train_batch_size": Param(int, 64, 100000, doc="env steps per learner update")},
        rllib=_ASYNC_KEYS),
    "impala": ModelType("impala", "RLlib IMPALA, MultiDiscrete actions", None, builders.impala, {
        "train_batch_size": Param(int, 64, 100000, doc="env steps per learner update")},
        rllib=_ASYNC_KEYS),
    "tqc": ModelType("tqc", "RLlib TQC (truncated quantile critics) on the continuous action adapter",
                     "continuous", builders.tqc, {"learning_starts": Param(int, 0, 1_000_000, doc="env steps before learning")},
        rllib={**_REPLAY_KEYS, "learning_rate": ("actor_lr", "critic_lr", "alpha_lr")}),
    "q_learning": ModelType("q_learning", "tabular Q-learning per node on a discretised state (custom RLlib "
                            "algorithm)", None, builders.q_learning, {
        "epsilon_start": Param(float, 0.0, 1.0, doc="exploration rate at the start"),
        "epsilon_end": Param(float, 0.0, 1.0, doc="exploration rate after the decay"),
        "epsilon_decay_steps": Param(int, 1, 100_000_000, doc="env steps of linear epsilon decay"),
        # the table's state (lwmecps.platform.algorithms.q_learning.discretisation)
        "load_bins": Param(int, 1, 64, sweepable=False,
                           doc="equal bins of a node's load in [0, 1) of its capacity (unset: 6 fixed bins)"),
        "tod_bins": Param(int, 1, 48, sweepable=False, doc="time-of-day slots of the state (1: no clock)"),
        "replica_state": Param(bool, sweepable=False, doc="whether a node's current replicas are part of its state"),
        "load_signal": Param(str, choices=("load", "peak", "window"), sweepable=False,
                             doc="what the load bin reads: 'load', the last interval's; 'peak', the larger of it "
                                 "and its smoothed value (a fallen load reads high for a while); 'window', the "
                                 "largest load of the last peak_window_s (30 min)"),
        "greedy_average": Param(float, 1e-3, 1.0, sweepable=False,
                                doc="weight of each sweep's table in the average the greedy policy reads "
                                    "(q_avg <- (1 - w) q_avg + w q; 1: the table itself)"),
        "credit": CREDIT,
    }, single_learner="each learner would update its own copy of the table from its shard of the batch and "
                      "the copies would diverge (a table has no gradient to all-reduce)",
        rllib={"learning_rate": ("lr",), "discount_factor": ("gamma",),
               "batch_size": ("_train_batch_size_per_learner",), "epochs": ("num_epochs",),
               "epsilon_start": ("epsilon_start",), "epsilon_end": ("epsilon_end",),
               "epsilon_decay_steps": ("epsilon_decay_steps",)}),
}


def rllib_keys(model_type: str) -> dict[str, tuple[str, ...]]:
    """API parameter -> the RLlib config keys it sets (where a sweep puts its search space)."""
    return get_model_type(model_type).rllib

PLANNED_TYPES: tuple[str, ...] = ()


def get_model_type(name: str) -> ModelType:
    if name not in MODEL_TYPES:
        note = f" ({name!r} is planned, not available yet)" if name in PLANNED_TYPES else ""
        raise ParameterError(f"unsupported model_type {name!r}{note}; supported: {', '.join(MODEL_TYPES)}")
    return MODEL_TYPES[name]


def prior_config(p: dict[str, Any], group) -> dict[str, Any]:
    """PPO's ``prior`` and ``prior_logit`` as the symmetric module reads them (none for other types):
    with ``static-trained`` the vector ``envs.baselines.tuned.static_trained`` finds on the group's
    tuning days (not a training, selection or evaluation day) under the task's env parameters."""
    if p.get("prior") is None:
        return {}
    extra = {"prior_logit": p["prior_logit"]}
    if p["prior"] == "static-trained":
        from lwmecps.envs.baselines.tuned import static_trained

        extra["prior_vector"] = static_trained(group, env_overrides(p)).vector.tolist()
    return extra


def _with_node_config(config, group, use_time: bool, use_neighbours: bool = True, more: dict | None = None):
    """``config`` whose node-symmetric networks read ``group``'s topology (``symmetric.NodeGraph``) and,
    with ``use_time``, the time of day: PPO's module spec carries its own model config, the other types'
    catalogs read the algorithm's."""
    from ..algorithms.symmetric import node_topology

    extra = {"topology": node_topology(group), "use_time": use_time, "use_neighbours": use_neighbours, **(more or {})}
    spec = config._rl_module_spec
    if spec is not None and spec.model_config is not None:
        spec.model_config = {**spec.model_config, **extra}
        return config
    return config.rl_module(model_config={**config._model_config, **extra})


def build_config(model_type: str, params: dict[str, Any] | None, group, seed: int = 0, footprint=None,
                 label: str | None = None):
    """The RLlib ``AlgorithmConfig`` for a task (parameters validated first) on ``group`` (a shipped
    group's name, or a loaded ``WorkloadGroup``: it travels to the EnvRunners inside ``env_config``,
    so a user group needs no file on their nodes). ``footprint``: the
    task's resolved resources (``resources.Footprint``); ``None``: the least the parameters allow
    (``auto`` as 0 EnvRunners). ``label``: what the EnvRunner actors are called by in Ray's
    dashboard (``env_runner.LwmecpsEnvRunner``), e.g. ``training:<task id>``."""
    from ..settings import get_settings
    from . import resources

    mt = get_model_type(model_type)
    p = mt.resolve(params)
    if footprint is None:
        footprint = resources.least(p, get_settings())
    env_config = {"group": group, "adapter": mt.adapter, "params": env_overrides(p), "reward": reward_transform(p)}
    if label:
        env_config["label"] = label
    config = mt.build(p)
    if mt.adapter == "flat":  # the flat action's per-node levels, for heads that branch per node
        from .policy_adapters import action_nvec

        config = config.rl_module(model_config={**config._model_config, "action_nvec": action_nvec(group).tolist()})
    if p.get("network") == "symmetric":  # the group's failover neighbours and node sizes (algorithms/symmetric.py)
        config = _with_node_config(config, group, p.get("observe_clock", True), p.get("observe_neighbours", True),
                                   prior_config(p, group))
    return _common(config, p, env_config, seed, vectorised=mt.adapter is None, footprint=footprint)
