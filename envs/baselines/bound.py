"""``oracle``: a true lower bound on the cost of *any* action sequence on an episode.

The executed clairvoyant plan (``oracle-plan``) is not a bound once retries carry over between
intervals: a reactive policy beat it (profile-b, seed 0: causal-oracle 1.97587 < plan 1.97683).
This module reports the optimum of a relaxation instead, which provably costs no more than the
simulator for every action sequence, and a plan that attains the relaxed optimum (executed, it
costs more: that gap is the relaxation's slack).

The relaxation. In interval ``t`` the simulator's arrivals are ``lam = lam0 + r``: the users'
requests ``lam0_j = u_j(t) * rate`` (the realised users: clairvoyant) plus retries ``r_j >= 0``
that depend on the history. Its latency + failure cost is the arrival-weighted mean of the
per-request cost ``g_j = w_lat * L_j / 100 + w_fail * F_j`` of the stations, per start-up phase:
``phi * sum_j lam_j g1_j(lam) / sum lam + (1 - phi) * sum_j lam_j g2_j(lam) / sum lam``.

1. ``g_j`` is non-decreasing in every arrival rate: routing depends on the configuration only,
   and an M/M/c queue's Erlang-C waiting probability, response tail ``P(R > tau)`` and capped mean
   ``E[min(R, tau)]`` grow with its load; an overloaded node (rho >= 1) gives the maximum,
   ``F = 1`` and ``L = timeout``. So ``g_j(lam) >= g_j(lam0)``.
2. The retries lie in a box: ``r_j(t) = min(retry * F_j(t-1) * lam_j(t-1), cap_j)`` with
   ``F <= 1``, so ``r_j(t) <= rho_j(t) = min(cap_j, retry * (lam0_j(t-1) + rho_j(t-1)))``,
   ``cap_j = backlog_cap_s / interval_s * max_j * mu`` (the simulator's cap), and at the
   episode's first step the retries are known exactly (the reset interval's).
3. Hence each phase's term is at least ``C~_t(cfg) = min over w in [lam0, lam0 + rho]`` of
   ``sum_j w_j g_j(cfg, lam0) / sum_j w_j`` (a linear-fractional minimum over a box: raise the
   weight of the cheapest stations while they are below the running mean), and with no arrivals
   at all the simulator's cost is ``w_lat * base / 100 <= g_j``.

4. Pooled (above ``ENUM_LIMIT`` configurations, where not even the step minima can be
   enumerated): for any configuration with ``R`` replicas in all, station j's per-request cost is
   at least ``lo_j = h(base + min_k L[j, k])``, the cost of a bare service time ``S ~ Exp(mu)``
   behind the nearest node's network time (the response time is at least ``S``, so
   ``F >= e^{-mu x}`` and ``E[min(R, x)] >= (1 - e^{-mu x}) / mu`` with ``x = timeout - net``;
   ``h`` grows with ``net``), and at most ``hi = w_lat * timeout / 100 + w_fail`` (a failed
   request). A node serves less than ``c_k mu`` or fails all its stations, so the failed arrivals
   are at least ``f(R) = max(0, sum lam0 - R mu)``: the term is at least
   ``C^_t(R) = min over w in the box of (f(R) (hi - max_j lo_j) + sum_j w_j lo_j) / sum_j w_j``.
   With ``R`` from 0 to the cluster's capacity, the bound is
   ``sum_t phi * C^_t(R_max) + min_R ((1 - phi) C^_t(R) + w_rep R)`` (switches dropped). It sees
   overload and the network but no queueing delay: valid at any size, and looser.

The bound is the dynamic programme of ``planning.plan_dp`` over ``C~`` (start-up phases,
replica and switching costs as the simulator charges them) from the episode's initial replicas.
Above ``JOINT_LIMIT`` configurations the DP is too large: there the bound drops the switching cost
(>= 0) and bounds the start-up phase by the interval's cheapest configuration,
``sum_t phi * min_c C~_t(c) + min_c ((1 - phi) C~_t(c) + w_rep * sum c)`` (looser, still a bound).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..queueing import FASTMATH, tail_and_capped_mean
from ..simulator import (C_FAILED, C_LATENCY, N_COMP, N_PARAMS, P_BASE, P_CAP_S, P_INTERVAL, P_MU, P_PHI,
                         P_RATE, P_RETRY, P_TIMEOUT, P_W_FAIL, P_W_LAT, P_W_REP, P_W_SW, eval_config)
from .planning import JOINT_LIMIT, _Planner, _transitions, all_configs, plan_dp

#: above this many configurations the step minima are not enumerated: the pooled bound (item 4)
ENUM_LIMIT = 5 ** 8


def retry_box(lam0: np.ndarray, caps: np.ndarray, prm: np.ndarray) -> np.ndarray:
    """``rho[t, j]``: the most retries (req/s) station j can carry into step t, for any actions.

    ``lam0[0]`` already holds the first step's exact retries, so ``rho[0] = 0``.
    """
    cap = prm[P_CAP_S] / prm[P_INTERVAL] * caps * prm[P_MU]
    rho = np.zeros_like(lam0)
    for t in range(1, lam0.shape[0]):
        rho[t] = np.minimum(cap, prm[P_RETRY] * (lam0[t - 1] + rho[t - 1]))
    return rho


def episode_box(sim) -> tuple[np.ndarray, np.ndarray]:
    """``(lam0, rho)`` of the episode ``sim`` was just reset to: the clairvoyant arrivals (req/s; the
    first step's retries are known exactly and included) and ``retry_box``'s bound on the rest."""
    lam0 = sim.episode_users() * sim.prm[P_RATE]
    lam0[0] += sim.state[0, sim.n: 2 * sim.n]
    return lam0, retry_box(lam0, sim.caps.astype(np.float64), sim.prm)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _box_min(lam0, rho, g, order):
    """``min over w in [lam0, lam0 + rho]`` of ``sum w g / sum w`` (``sum lam0 > 0``)."""
    n = g.shape[0]
    for i in range(n):  # insertion sort of the stations by g (n is small)
        order[i] = i
        k = i
        while k > 0 and g[order[k - 1]] > g[order[k]]:
            order[k - 1], order[k] = order[k], order[k - 1]
            k -= 1
    sw, swg = 0.0, 0.0
    for j in range(n):
        sw += lam0[j]
        swg += lam0[j] * g[j]
    for i in range(n):
        j = order[i]
        if g[j] * sw >= swg:  # g_j >= the running mean: more weight on j (and all after it) only adds
            break
        sw += rho[j]
        swg += rho[j] * g[j]
    return swg / sw


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _eval_box(lam, rho_t, cfg, prm, comp, off, load, node_rho, g, order, ref_cfg, ref_off):
    """``C~_t(cfg)`` evaluated into rows ``off ..`` of ``comp`` (reusing ``ref_off``'s rows, see ``eval_config``)."""
    n = lam.shape[0]
    eval_config(lam, cfg, prm, node_rho, comp, off, load, ref_cfg, ref_off)
    for j in range(n):
        g[j] = prm[P_W_LAT] * comp[off + j, C_LATENCY] / 100.0 + prm[P_W_FAIL] * comp[off + j, C_FAILED]
    return _box_min(lam, rho_t, g, order)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _relaxed_cost(lam0, rho, cfg, prm, comp, load, node_rho, g, order):
    n = lam0.shape[0]
    total = 0.0
    for j in range(n):
        total += lam0[j]
    if total <= 0.0:
        return prm[P_W_LAT] * prm[P_BASE] / 100.0
    return _eval_box(lam0, rho, cfg, prm, comp, 0, load, node_rho, g, order, cfg, -1)


@njit(cache=True, parallel=True, fastmath=FASTMATH, error_model="numpy")
def relaxed_costs(lam0, rho, configs, prm):
    """``C~[t, m]`` for every step t and configuration m (rows in parallel)."""
    steps, n = lam0.shape
    out = np.empty((steps, configs.shape[0]))
    for t in prange(steps):
        comp = np.zeros((n, N_COMP))
        load, node_rho, g = np.empty(n), np.empty(n), np.empty(n)
        order = np.empty(n, dtype=np.int64)
        for m in range(configs.shape[0]):
            out[t, m] = _relaxed_cost(lam0[t], rho[t], configs[m], prm, comp, load, node_rho, g, order)
    return out


@njit(cache=True, parallel=True, fastmath=FASTMATH, error_model="numpy")
def relaxed_step_minima(lam0, rho, caps, prm):
    """Per step: ``(min_c C~_t(c), min_c ((1 - phi) C~_t(c) + w_rep sum c))`` over every
    configuration (for clusters too large for the DP), by bounds over the zero patterns.

    Within one zero pattern ``P`` (the set of nodes with replicas) routing and node loads do not
    change, and each ``g_j`` is non-increasing in the count of the node serving j: more servers at
    the same load give a smaller Erlang-C waiting probability and a faster decay ``c mu - lambda``,
    so a stochastically smaller response time (an overloaded node only stops failing). The box
    minimum is non-decreasing in every ``g_j``. So ``C~`` is non-increasing in the counts within
    ``P``: its least value over ``P`` is at ``full_P`` (every node of ``P`` at its maximum), which
    gives the first minimum from ``2^n`` evaluations, and ``(1 - phi) C~(full_P) + w_rep sum x``
    is at most the second objective of every configuration ``x`` of ``P``: configurations whose
    bound is not below the best value found are skipped (exact: the same minima as evaluating all).
    """
    steps, n = lam0.shape
    phi, w_rep = prm[P_PHI], prm[P_W_REP]
    live = np.flatnonzero(caps >= 1.0)  # nodes that can hold replicas
    m = live.shape[0]
    patterns = 1 << m
    out = np.empty((steps, 2))
    for t in prange(steps):
        comp = np.zeros((2 * n, N_COMP))
        load, node_rho, g = np.empty(n), np.empty(n), np.empty(n)
        order = np.empty(n, dtype=np.int64)
        cfgs = np.zeros((2, n))
        cand = np.zeros(n)
        lam = lam0[t]
        s = 0.0
        for j in range(n):
            s += lam[j]
        if s <= 0.0:  # no arrivals: every configuration costs the idle latency; no replicas is cheapest
            c = prm[P_W_LAT] * prm[P_BASE] / 100.0
            out[t, 0], out[t, 1] = c, (1.0 - phi) * c
            continue
        full = np.empty(patterns)
        lower = np.empty(patterns)
        best_c, best_step = np.inf, np.inf
        for p in range(patterns):  # each pattern's full configuration
            reps, size = 0.0, 0
            for k in range(n):
                cand[k] = 0.0
            for i in range(m):
                if (p >> i) & 1:
                    cand[live[i]] = caps[live[i]]
                    reps += caps[live[i]]
                    size += 1
            full[p] = _eval_box(lam, rho[t], cand, prm, comp, 0, load, node_rho, g, order, cand, -1)
            lower[p] = (1.0 - phi) * full[p] + w_rep * size  # the least second objective P can reach
            best_c = min(best_c, full[p])
            best_step = min(best_step, (1.0 - phi) * full[p] + w_rep * reps)
        cur, has_prev = 0, False
        for p in np.argsort(lower):  # the most promising patterns first: the incumbent falls fast
            if lower[p] >= best_step:
                break
            total = 1
            for i in range(m):
                if (p >> i) & 1:
                    total *= int(caps[live[i]])
            for mm in range(total):  # counts 1..max of P's nodes, as a mixed-radix counter
                rest, reps = mm, 0.0
                for k in range(n):
                    cand[k] = 0.0
                for i in range(m - 1, -1, -1):
                    if (p >> i) & 1:
                        k = live[i]
                        cand[k] = 1.0 + rest % int(caps[k])
                        rest //= int(caps[k])
                        reps += cand[k]
                if (1.0 - phi) * full[p] + w_rep * reps >= best_step:
                    continue
                for k in range(n):
                    cfgs[cur, k] = cand[k]
                c = _eval_box(lam, rho[t], cfgs[cur], prm, comp, cur * n, load, node_rho, g, order,
                              cfgs[1 - cur], (1 - cur) * n if has_prev else -1)
                best_step = min(best_step, (1.0 - phi) * c + w_rep * reps)
                cur, has_prev = 1 - cur, True
        out[t, 0], out[t, 1] = best_c, best_step
    return out


def station_floor(prm: np.ndarray, n: int) -> tuple[np.ndarray, float]:
    """``(lo[j], hi)``: the least per-request cost of station j's requests under any configuration
    (a bare service time behind its nearest node) and the cost of a failed request (item 4)."""
    mu, t_out, base = prm[P_MU], prm[P_TIMEOUT], prm[P_BASE]
    w_lat, w_fail = prm[P_W_LAT] / 100.0, prm[P_W_FAIL]
    hi = w_lat * t_out + w_fail
    net = base + np.asarray(prm[N_PARAMS:], dtype=np.float64).reshape(n, n).min(axis=1)
    lo = np.full(n, hi)
    for j in range(n):
        tau = (t_out - net[j]) * 1e-3
        if tau > 0:
            tail, capped = tail_and_capped_mean(tau, mu, mu, 0.0)  # no waiting: the bare service time
            lo[j] = w_lat * (net[j] + 1000.0 * capped) + w_fail * tail
    return lo, float(hi)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def pooled_step_minima(lam0, rho, lo, hi, order, r_max, prm):
    """Per step: ``(C^_t(R_max), min_R ((1 - phi) C^_t(R) + w_rep R))`` (item 4); ``order``: the
    stations by ``lo``, ascending."""
    steps, n = lam0.shape
    phi, w_rep, mu = prm[P_PHI], prm[P_W_REP], prm[P_MU]
    idle = prm[P_W_LAT] * prm[P_BASE] / 100.0
    lo_max = 0.0
    for j in range(n):
        lo_max = max(lo_max, lo[j])
    out = np.empty((steps, 2))
    for t in range(steps):
        total, base = 0.0, 0.0
        for j in range(n):
            total += lam0[t, j]
            base += lam0[t, j] * lo[j]
        best = np.inf
        c_full = idle
        for r in range(r_max, -1, -1):
            if total <= 0.0:
                c = idle
            else:
                sw = total
                swg = base + max(0.0, total - r * mu) * (hi - lo_max)
                for i in range(n):  # more weight on the stations cheaper than the running mean
                    j = order[i]
                    if lo[j] * sw >= swg:
                        break
                    sw += rho[t, j]
                    swg += rho[t, j] * lo[j]
                c = swg / sw
            if r == r_max:
                c_full = c
            best = min(best, (1.0 - phi) * c + w_rep * r)
        out[t, 0], out[t, 1] = c_full, best
    return out


def plan_total(plan: np.ndarray, costs: np.ndarray, configs: np.ndarray, start: int, prm: np.ndarray,
               mins: np.ndarray, dist: np.ndarray) -> float:
    """Total cost of the configuration-index sequence ``plan`` under ``costs`` (as ``plan_dp`` counts)."""
    phi, rep = prm[P_PHI], configs.sum(axis=1)
    total, prev = 0.0, start
    for t, b in enumerate(plan):
        total += phi * costs[t, mins[prev, b]] + (1 - phi) * costs[t, b] + prm[P_W_REP] * rep[b] \
            + prm[P_W_SW] * dist[prev, b]
        prev = b
    return float(total)


class OracleBound(_Planner):
    """``oracle``: after ``reset``, ``bound`` is a lower bound on the episode's total cost under any
    action sequence (see the module docstring); ``act`` plays the relaxed optimum's plan (above
    ``JOINT_LIMIT`` configurations, where no plan is searched, ``static-2``)."""

    name = "oracle"

    def __init__(self):
        super().__init__()
        self.bound: float | None = None

    def reset(self, env) -> None:
        sim = env.sim
        lam0, rho = episode_box(sim)
        if np.prod(sim.caps + 1.0) <= JOINT_LIMIT:
            configs = all_configs(sim.caps)
            costs = relaxed_costs(lam0, rho, configs, sim.prm)
            mins, dist = _transitions(tuple(int(c) for c in sim.caps))
            start = int(np.flatnonzero((configs == sim.replicas()).all(axis=1))[0])
            plan = plan_dp(costs, configs, start, sim.prm, mins, dist)
            self.bound = plan_total(plan, costs, configs, start, sim.prm, mins, dist)
            self._plan = configs[plan]
        else:
            if np.prod(sim.caps + 1.0) <= ENUM_LIMIT:
                minima = relaxed_step_minima(lam0, rho, sim.caps.astype(np.float64), sim.prm)
            else:
                lo, hi = station_floor(sim.prm, sim.n)
                minima = pooled_step_minima(lam0, rho, lo, hi, np.argsort(lo, kind="stable"),
                                            int(sim.caps.sum()), sim.prm)
            self.bound = float((sim.prm[P_PHI] * minima[:, 0] + minima[:, 1]).sum())
            self._plan = np.tile(np.minimum(sim.caps, 2), (sim.steps_per_episode, 1)).astype(np.float64)
