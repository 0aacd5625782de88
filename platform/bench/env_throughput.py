"""Env throughput: ``EdgeClusterEnv`` vs ``CartPole-v1`` and the batched simulator, in one run.

Both single envs are made with ``gymnasium.make`` (so both carry Gymnasium's default wrappers)
and stepped with actions drawn uniformly from their action spaces (seeded), resetting at episode
end; the batched simulator (``EdgeClusterVectorEnv``, 256 clusters) is stepped with uniform
random actions too. Each figure is the best of ``repeats`` timed runs (less machine noise).

Scale in nodes: ``node_steps_per_s_<n>`` = batched env steps/s x n on a group of n nodes
(``profile-a``, ``synthetic-16``, ``synthetic-64``; node-steps/s: how fast cluster nodes are
simulated, flat if the cost of a step grows linearly with the nodes).
"""
from __future__ import annotations

import os
import platform as std_platform
import time
from typing import Any, Callable

import numpy as np


def _single_rate(env, actions: list, steps: int) -> float:
    env.reset(seed=0)
    n = len(actions)
    t0 = time.perf_counter()
    for i in range(steps):
        _, _, terminated, truncated, _ = env.step(actions[i % n])
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - t0)


def _batched_rate(venv, actions: np.ndarray, steps: int) -> float:
    venv.reset(seed=0)
    n = len(actions)
    t0 = time.perf_counter()
    for i in range(steps):
        venv.step(actions[i % n])
    return steps * venv.num_envs / (time.perf_counter() - t0)


NODE_GROUPS = {4: "profile-a", 16: "synthetic-16", 64: "synthetic-64"}


def node_rates(batch: int, steps: int, repeats: int, rng, log) -> dict[str, int]:
    from lwmecps.envs.vector import EdgeClusterVectorEnv

    out = {}
    for n, group in NODE_GROUPS.items():
        venv = EdgeClusterVectorEnv(batch, group=group)
        acts = rng.integers(0, venv.single_action_space.nvec, (16, batch, n))
        _batched_rate(venv, acts, 10)
        rate = max(_batched_rate(venv, acts, steps) for _ in range(repeats))
        out[f"node_steps_per_s_{n}"] = round(rate * n)
        log(f"{group}: {rate:.0f} env steps/s x {n} nodes = {rate * n:.0f} node-steps/s")
    return out


def run(steps: int = 30000, batch_steps: int = 1500, repeats: int = 3, batch: int = 256,
        group: str = "profile-a", log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure and return the figures; the ratios are the acceptance measures."""
    import gymnasium as gym

    from lwmecps.envs import ENV_ID
    from lwmecps.envs.vector import EdgeClusterVectorEnv

    rng = np.random.default_rng(0)
    cartpole = gym.make("CartPole-v1")
    edge = gym.make(ENV_ID, group=group)
    cp_actions = [int(a) for a in rng.integers(0, 2, 4096)]
    edge_actions = list(rng.integers(0, edge.action_space.nvec, (4096, len(edge.action_space.nvec))))
    venv = EdgeClusterVectorEnv(batch, group=group)
    batch_actions = rng.integers(0, venv.single_action_space.nvec, (64, batch, len(venv.single_action_space.nvec)))
    # warm up: compile the kernels, fill caches
    _single_rate(edge, edge_actions, 2000)
    _batched_rate(venv, batch_actions, 20)
    best = {"cartpole": 0.0, "single": 0.0, "batched": 0.0}
    for r in range(repeats):
        best["cartpole"] = max(best["cartpole"], _single_rate(cartpole, cp_actions, steps))
        best["single"] = max(best["single"], _single_rate(edge, edge_actions, steps))
        best["batched"] = max(best["batched"], _batched_rate(venv, batch_actions, batch_steps))
        log(f"repeat {r + 1}/{repeats}: cartpole {best['cartpole']:.0f}/s, edge {best['single']:.0f}/s, "
            f"batched {best['batched']:.0f}/s")
    nodes = node_rates(batch, max(100, batch_steps // 4), repeats, rng, log)
    return {
        **nodes,
        "cartpole_steps_per_s": round(best["cartpole"]),
        "single_steps_per_s": round(best["single"]),
        "batched_256_steps_per_s": round(best["batched"]),
        "single_vs_cartpole": round(best["single"] / best["cartpole"], 3),
        "batched_256_vs_single": round(best["batched"] / best["single"], 2),
        "machine": f"{std_platform.machine()}, {os.cpu_count()} cpus, python {std_platform.python_version()}",
    }
