"""The EnvRunner class every training uses: RLlib's single-agent runner under a name a user finds.

Ray's dashboard (Actors view) and ``ray.util.state.list_actors`` show an actor's class name
and, when the class defines ``__repr__``, its ``repr_name``, which also prefixes the actor's log
lines. RLlib's runners all read ``SingleAgentEnvRunner`` and nothing else, so with a few trainings
at once a user cannot tell which runners are whose; this one reads e.g.
``EnvRunner(training:6751c3..., runner 2/4)``: the label comes from ``env_config["label"]``
(set by the task or sweep that builds the config), the index is RLlib's ``worker_index``
(0 = the runner inside the algorithm's process, 1.. the remote ones).
"""
from __future__ import annotations

from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner


class LwmecpsEnvRunner(SingleAgentEnvRunner):
    """``SingleAgentEnvRunner`` with a ``__repr__`` naming its task and index."""

    def __repr__(self) -> str:
        config = getattr(self, "config", None)  # repr may be asked for before __init__ ends
        label = ((getattr(config, "env_config", None) or {}).get("label")) or "lwmecps"
        index = getattr(self, "worker_index", 0)
        where = f"runner {index}/{getattr(config, 'num_env_runners', '?')}" if index else "local runner"
        return f"EnvRunner({label}, {where})"
