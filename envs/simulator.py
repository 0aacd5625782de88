"""One decision interval of the simulated edge cluster, for a batch of clusters, in one numba call.

Model (per interval ``t`` of ``interval_s`` seconds; stations ``j`` = nodes, one station per node):

* users ``u_j``: the episode's mean users of station ``j`` over the interval (the group's own
  curve, unless the episode's workload is randomised: ``lwmecps.envs.randomise``), Poisson-noised when ``noise`` is on (inversion of a uniform that is a hash of (episode
  key, interval, station), so a batch and N single envs with the same seeds draw the very same
  numbers);
* arrivals ``lam_j = u_j * request_rate_per_user + retry_j`` req/s, where ``retry_j`` carries the
  previous interval's timed-out requests that clients retry: ``retry_fraction * failed_j * lam_j``,
  capped at ``backlog_cap_s`` seconds of the node's full capacity spread over the interval;
* routing: station ``j``'s users go to the node ``k`` with replicas that is nearest by the group's
  latency matrix ``L[j, k]`` (ms; ties: the first in rotation from ``j``), at a network latency of
  ``network_ms = base_network_ms + L[j, k]``; with no replica anywhere every request fails. Without
  a matrix in the group, ``L[j, k] = ((k - j) mod n) * hop_latency_ms``: a station with replicas
  serves its own users, one with 0 fails over to the next station in rotation (bs1 -> bs2 -> ...
  -> bs1) that has replicas, each hop adding ``hop_latency_ms`` (``latency_matrix``);
* each node is an M/M/c queue (``queueing``) with ``c`` replicas of ``service_rate_per_replica``;
  a station's requests fail when the response exceeds ``timeout_ms - network_ms`` and their mean
  latency is ``network_ms + E[min(R, budget)]`` (failed requests pay the timeout);
* start-up delay: a replica added for interval ``t`` serves only after ``startup_delay_s``; the first
  ``phi = startup_delay_s / interval_s`` of the interval runs on ``min(old, new)`` replicas, the rest
  on ``new`` (removals are immediate). All request-level figures are the ``phi``-weighted mixture;
* ``p95_latency_ms`` is the 95th percentile of that mixture of per-station latency distributions
  (safeguarded Newton iteration on the log of its tail);
* cost = ``w_lat * latency_ms / 100 + w_rep * sum(new) + w_fail * failed_fraction
  + w_switch * sum(|new - old|)``; reward = -cost.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .noise import station_users
from .queueing import FASTMATH, erlang_c, tail_and_capped_mean

# Layout of the float64 parameter vector handed to the kernels (built by ``pack_params``); the
# n x n latency matrix follows the N_PARAMS scalars (row-major, from index N_PARAMS).
# Numba caches a kernel by its own file's stamp (``cache=True``), and kernels in other files
# (``baselines/planning.py``, ``baselines/bound.py``) inline these functions and constants: when a layout
# here changes, delete the ``__pycache__/*.nb[ic]`` files, or those kernels keep the old layout.
P_INTERVAL, P_RATE, P_MU, P_BASE, P_HOP, P_TIMEOUT, P_PHI, P_RETRY, P_CAP_S, P_NOISE, P_EMA = range(11)
P_W_LAT, P_W_REP, P_W_FAIL, P_W_SW, P_PERIOD, P_PEAK_W = range(11, 17)
N_PARAMS = 17

# Layout of the per-env info row written by ``step_batch``.
INFO_KEYS = (
    "cost", "latency_ms", "p95_latency_ms", "success_rate", "throughput_rps",
    "failed_fraction", "replicas_total", "switches", "users", "arrival_rps",
)
I_COST, I_LAT, I_P95, I_SUCC, I_TPUT, I_FAIL, I_REP, I_SW, I_USERS, I_ARR = range(10)
N_INFO = len(INFO_KEYS)
OBS_PER_NODE = 7  # replicas, load, utilisation, latency, retries, smoothed load, recent peak load
# Columns of the per-station scratch rows ``comp`` that ``eval_config`` fills: the station's M/M/c latency
# law (mu, delta = c mu - lambda, Erlang C in 1/s, 1/s and a probability), its network time (ms), a flag
# (while routing: the node that serves it, -1 none; then 0 ok / 1 always fails), its failed fraction and
# its mean latency (ms).
C_MU, C_DELTA, C_CW, C_NET, C_FLAG, C_FAILED, C_LATENCY = range(7)
N_COMP = 7
# Layout of the per-node output row: station j's cost share is
# ``w_lat * lam_j lat_j / (100 sum_k lam_k) + w_fail * lam_j fail_j / sum_k lam_k + w_rep r_j
# + w_switch |r_j - r_j_old|`` (lam: arrivals, lat/fail: its users' latency and failed fraction,
# wherever they are served); the shares of the stations sum to the step's cost.
NODE_OUT = ("utilisation", "station_latency_ms", "station_failed_fraction", "station_cost")
N_NODE_OUT = len(NODE_OUT)


def time_of_day(intervals_per_day: int, period: int | None = None) -> np.ndarray:
    """``(sin, cos)`` of ``2 pi (d mod intervals_per_day) / intervals_per_day`` for every interval d of
    the period (default: one day; a multi-day trace's period is several)."""
    angle = 2.0 * np.pi * np.arange(period or intervals_per_day) / intervals_per_day
    return np.stack([np.sin(angle), np.cos(angle)], axis=1)


def latency_matrix(n: int, hop_latency_ms: float, given=None) -> np.ndarray:
    """``L[j, k]``, ms from station j to node k (added to ``base_network_ms``): ``given`` (a group's
    ``latency_ms``), else the failover ring ``((k - j) mod n) * hop_latency_ms``."""
    if given is not None:
        return np.asarray(given, dtype=np.float64).reshape(n, n)
    j, k = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return ((k - j) % n) * float(hop_latency_ms)


def pack_params(params, period: int, latency: np.ndarray | None = None) -> np.ndarray:
    """Flatten an ``EnvParams`` and the latency matrix (``latency_matrix``; none: an empty tail, for
    kernels that do not route) into the kernels' parameter vector; ``period``: intervals before the
    workload wraps around (a day, or a multi-day trace's days)."""
    lat = np.zeros((0,)) if latency is None else np.ascontiguousarray(latency, dtype=np.float64).ravel()
    p = np.zeros(N_PARAMS + lat.size)
    p[N_PARAMS:] = lat
    p[P_INTERVAL] = params.decision_interval_s
    p[P_RATE] = params.request_rate_per_user
    p[P_MU] = params.service_rate_per_replica
    p[P_BASE] = params.base_network_ms
    p[P_HOP] = params.hop_latency_ms
    p[P_TIMEOUT] = params.timeout_ms
    p[P_PHI] = params.startup_delay_s / params.decision_interval_s
    p[P_RETRY] = params.retry_fraction
    p[P_CAP_S] = params.backlog_cap_s
    p[P_NOISE] = 1.0 if params.noise else 0.0
    p[P_EMA] = params.load_ema
    p[P_W_LAT], p[P_W_REP] = params.reward.latency_per_100ms, params.reward.replica
    p[P_W_FAIL], p[P_W_SW] = params.reward.failure, params.reward.switch
    p[P_PERIOD] = period
    p[P_PEAK_W] = params.peak_window_steps
    return p


ACCEPT_MS = 10.0


# ---- one configuration under one interval's load -------------------------------------------------

@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _route(cfg, j, n, prm):
    """(node serving station j, its latency ``L[j, k]`` ms): the nearest node with replicas, ties
    to the first in rotation from j; node -1 when no node has a replica."""
    best, best_ms = -1, 0.0
    k = j
    row = N_PARAMS + j * n
    for _ in range(n):
        if cfg[k] > 0:
            ms = prm[row + k]
            if best < 0 or ms < best_ms:
                best, best_ms = k, ms
        k = k + 1 if k + 1 < n else 0
    return best, best_ms


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def eval_config(lam, cfg, prm, node_rho, comp, off, load, ref_cfg, ref_off):
    """Latency and failure of every station's requests under replicas ``cfg``.

    Row ``comp[off + j]`` gets station j's results and latency law (columns ``C_MU`` .. ``C_LATENCY``:
    mu, delta, C, network ms, flag 0 ok / 1 always fails, failed fraction, mean latency ms); ``node_rho[k]`` the utilisation
    of node k; ``load`` is scratch space (n). When ``ref_cfg`` (another configuration already
    evaluated under the same arrivals into rows ``ref_off + j``) has replicas on the same nodes,
    routing and node loads are the same, so stations served by a node whose count did not change
    are copied, not recomputed. Pass ``ref_off < 0`` for none.
    """
    n = lam.shape[0]
    mu, t_out, base = prm[P_MU], prm[P_TIMEOUT], prm[P_BASE]
    reuse = ref_off >= 0
    for k in range(n):
        load[k] = 0.0
        if reuse and (cfg[k] > 0) != (ref_cfg[k] > 0):
            reuse = False
    for j in range(n):
        k, ms = _route(cfg, j, n, prm)
        comp[off + j, C_NET] = base + ms
        comp[off + j, C_FLAG] = k
        if k >= 0:
            load[k] += lam[j]
    for k in range(n):
        node_rho[k] = load[k] / (cfg[k] * mu) if cfg[k] > 0 else 0.0
    for j in range(n):
        r = off + j
        k, net = int(comp[r, C_FLAG]), comp[r, C_NET]
        if k < 0 or node_rho[k] >= 1.0 or net >= t_out:
            comp[r, C_FLAG], comp[r, C_FAILED], comp[r, C_LATENCY] = 1.0, 1.0, t_out
            continue
        if reuse and cfg[k] == ref_cfg[k]:
            for q in range(N_COMP):
                comp[r, q] = comp[ref_off + j, q]
            continue
        c = int(cfg[k])
        cw = erlang_c(c, load[k] / mu)
        delta = c * mu - load[k]
        tail, capped = tail_and_capped_mean((t_out - net) * 1e-3, mu, delta, cw)
        comp[r, C_MU], comp[r, C_DELTA], comp[r, C_CW], comp[r, C_FLAG] = mu, delta, cw, 0.0
        comp[r, C_FAILED], comp[r, C_LATENCY] = tail, net + 1000.0 * capped


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _mixture_tail(x, comp, weight, mu):
    """Weighted share of requests slower than ``x`` ms, and its density (per ms).

    ``e^{-mu s}`` is shared by the stations with the same network time (all nodes have one ``mu``).
    """
    tail, dens = 0.0, 0.0
    last_net, em = -1.0, 0.0
    for i in range(comp.shape[0]):
        w = weight[i]
        if w <= 0.0:
            continue
        net = comp[i, C_NET]
        if comp[i, C_FLAG] > 0.5 or x <= net:
            tail += w  # always fails (latency = timeout), or no response that fast
            continue
        s = (x - net) * 1e-3
        if net != last_net:
            em, last_net = math.exp(-mu * s), net
        cw, delta = comp[i, C_CW], comp[i, C_DELTA]
        if cw < 1e-12:
            tail += w * em
            dens += w * mu * em * 1e-3
        elif abs(delta - mu) < 1e-9 * mu:
            tail += w * ((1.0 - cw) * em + cw * (1.0 + mu * s) * em)
            dens += w * ((1.0 - cw) * mu * em + cw * mu * mu * s * em) * 1e-3
        else:
            ed = math.exp(-delta * s)
            inv = cw / (delta - mu)
            tail += w * ((1.0 - cw) * em + (delta * em - mu * ed) * inv)
            dens += w * ((1.0 - cw) * mu * em + mu * delta * (em - ed) * inv) * 1e-3
    return tail, dens


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def mixture_p95(comp, weight, t_out, idle_ms, mu, guess):
    """95th percentile (ms) of the latency mixture; the timeout when fewer than 95 % succeed.

    Safeguarded Newton iteration on ``ln G(x) = ln 0.05`` (``G``: share slower than x), which is
    nearly linear in x for exponential-like tails; stops at a step under 0.25 ms. It starts from
    ``guess`` (the cluster's previous p95: loads change slowly) when that lies in the bracket, and
    accepts a first step from there under 3 ms (measured error of that shortcut: < 0.03 ms).
    ``idle_ms`` is returned when nothing arrives.
    """
    total = weight.sum()
    if total <= 0.0:
        return idle_ms
    target = 0.05 * total
    log_target = math.log(target)
    top = 0.0  # share slower than the timeout: the failed fraction eval_config already computed
    for i in range(comp.shape[0]):
        top += weight[i] * comp[i, C_FAILED]
    if top > target:
        return t_out
    lo, hi = t_out, t_out
    for i in range(comp.shape[0]):
        if weight[i] > 0.0 and comp[i, C_FLAG] < 0.5:
            lo = min(lo, comp[i, C_NET])
    # start at the p95 of a bare service time, ln(20) / mu after the fastest network time
    x = min(lo + 1000.0 * math.log(20.0) / mu, 0.5 * (lo + hi))
    if lo < guess < hi:
        x = guess
    from_guess = x == guess
    for it in range(50):
        g, d = _mixture_tail(x, comp, weight, mu)
        if g > target:
            lo = x
        else:
            hi = x
        nx = x + (math.log(g) - log_target) * g / d if d > 0.0 and g > 0.0 else -1.0
        if not lo < nx < hi:
            nx = 0.5 * (lo + hi)
        if abs(nx - x) < (3.0 if it == 0 and from_guess else 0.25) or hi - lo < 0.25:
            x = nx
            break
        x = nx
    return x


# ---- a whole step, batched -----------------------------------------------------------------------

@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def step_batch(idx, means, cdf, tabled, tod, caps, prm, state, clock, action, obs, info, node_out):
    """Advance the clusters listed in ``idx`` by one decision interval (one thread)."""
    _step_some(idx, 0, idx.shape[0], means, cdf, tabled, tod, caps, prm, state, clock, action, obs, info, node_out)


_CHUNK = 32


@njit(cache=True, parallel=True, fastmath=FASTMATH, error_model="numpy")
def step_batch_parallel(idx, means, cdf, tabled, tod, caps, prm, state, clock, action, obs, info, node_out):
    """``step_batch`` over chunks of 32 clusters in parallel threads (for large batches)."""
    m = idx.shape[0]
    for c in prange((m + _CHUNK - 1) // _CHUNK):
        _step_some(idx, c * _CHUNK, min(m, (c + 1) * _CHUNK), means, cdf, tabled, tod, caps, prm, state, clock, action,
                   obs, info, node_out)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _step_some(idx, first, last, means, cdf, tabled, tod, caps, prm, state, clock, action, obs, info, node_out):
    """Advance clusters ``idx[first:last]`` by one decision interval.

    ``means[b, d, j]``: cluster b's episode mean users per interval d of the period (a day, or a
    multi-day trace's days); ``cdf``: the
    group's ``poisson_tables``, used where ``tabled[b]`` (the episode runs on the group's own curve);
    ``tod[d]``: sin, cos of the time of day of interval d; ``caps[j]``: max replicas of node j;
    ``state[b]``: replicas (n), retry req/s (n), smoothed load (n), then node j's loads of the last
    ``W = peak_window_steps`` intervals at ``3n + W j + (t mod W)`` (a ring); ``clock[b]``: step t, start
    interval, noise key; ``action[b]``: the new replicas. Writes the next observation ``obs[b]``,
    ``info[:, b]`` (rows: ``INFO_KEYS``) and ``node_out[b, j]`` = (utilisation, station latency ms,
    station failed fraction, station cost: ``NODE_OUT``); increments ``clock[b, 0]``.
    """
    n = action.shape[1]
    # parameters read once: numba cannot prove they do not alias the arrays written below
    day = int(prm[P_PERIOD])  # the period: intervals before the workload wraps around
    mu, rate, t_out, phi = prm[P_MU], prm[P_RATE], prm[P_TIMEOUT], prm[P_PHI]
    noise, base, alpha = prm[P_NOISE] > 0.5, prm[P_BASE], prm[P_EMA]
    win = int(prm[P_PEAK_W])
    w_lat, w_rep, w_fail, w_sw = prm[P_W_LAT] / 100.0, prm[P_W_REP], prm[P_W_FAIL], prm[P_W_SW]
    retry, cap_frac = prm[P_RETRY], prm[P_CAP_S] / prm[P_INTERVAL]
    lam = np.empty(n)
    cfg1 = np.empty(n)
    cfg2 = np.empty(n)
    rho = np.empty(n)
    util = np.empty(n)
    st_lat = np.empty(n)
    st_fail = np.empty(n)
    comp = np.zeros((2 * n, N_COMP))
    load = np.empty(n)
    weight = np.zeros(2 * n)
    for i in range(first, last):
        b = idx[i]
        interval = clock[b, 1] + clock[b, 0] + day  # absolute interval index, > 0
        d = interval % day
        key = clock[b, 2]
        raised, switches, total_rep, users, arr = False, 0.0, 0.0, 0.0, 0.0
        for j in range(n):
            u = station_users(means[b], cdf, tabled[b], d, key, interval, j, noise)
            users += u
            lam[j] = u * rate + state[b, n + j]
            arr += lam[j]
            old, new = state[b, j], float(action[b, j])
            cfg1[j], cfg2[j] = min(old, new), new
            raised = raised or new > old
            switches += abs(new - old)
            total_rep += new
            util[j], st_lat[j], st_fail[j] = 0.0, 0.0, 0.0
        w1 = phi if raised else 0.0
        # phase 2 (the new replicas) first: phase 1 (min(old, new), while new replicas start) reuses it
        for phase in (1, 0):
            w = w1 if phase == 0 else 1.0 - w1
            off = phase * n
            if w <= 0.0:
                for j in range(n):
                    weight[off + j] = 0.0
                continue
            if phase == 1:
                eval_config(lam, cfg2, prm, rho, comp, off, load, cfg2, -1)
            else:
                eval_config(lam, cfg1, prm, rho, comp, off, load, cfg2, n)
            for j in range(n):
                util[j] += w * rho[j]
                st_lat[j] += w * comp[off + j, C_LATENCY]
                st_fail[j] += w * comp[off + j, C_FAILED]
                weight[off + j] = w * lam[j]
        if w1 > 0.0:  # a station whose latency law is the same in both phases is one component
            for j in range(n):
                same = True
                for q in range(N_COMP):
                    same = same and comp[j, q] == comp[n + j, q]
                if same:
                    weight[n + j] += weight[j]
                    weight[j] = 0.0
        lat_ms, failed = base, 0.0
        if arr > 0.0:
            lat_ms = 0.0
            for j in range(n):
                lat_ms += lam[j] * st_lat[j]
                failed += lam[j] * st_fail[j]
            lat_ms /= arr
            failed /= arr
        p95 = mixture_p95(comp, weight, t_out, base, mu, info[I_P95, b])
        info[I_COST, b] = w_lat * lat_ms + w_rep * total_rep + w_fail * failed + w_sw * switches
        info[I_LAT, b], info[I_P95, b] = lat_ms, p95
        info[I_SUCC, b], info[I_TPUT, b], info[I_FAIL, b] = 1.0 - failed, arr * (1.0 - failed), failed
        info[I_REP, b], info[I_SW, b], info[I_USERS, b], info[I_ARR, b] = total_rep, switches, users, arr
        # next state and observation
        first_step = clock[b, 0] < 0
        for j in range(n):
            full = caps[j] * mu  # req/s of a full node
            node_out[b, j, 0], node_out[b, j, 1], node_out[b, j, 2] = util[j], st_lat[j], st_fail[j]
            # station j's share of the cost (the shares sum to it): its users' latency and failures
            # weighted by its share of the arrivals, and node j's replicas and switches
            lat_j, fail_j = base / n, 0.0
            if arr > 0.0:
                lat_j, fail_j = lam[j] * st_lat[j] / arr, lam[j] * st_fail[j] / arr
            node_out[b, j, 3] = (w_lat * lat_j + w_fail * fail_j + w_rep * cfg2[j]
                                 + w_sw * abs(cfg2[j] - state[b, j]))
            retried = min(retry * st_fail[j] * lam[j], cap_frac * full)
            node_load = lam[j] / full
            ema = node_load if first_step else alpha * node_load + (1.0 - alpha) * state[b, 2 * n + j]
            state[b, j], state[b, n + j], state[b, 2 * n + j] = cfg2[j], retried, ema
            # the ring of the last ``win`` loads: at the first step every entry is this load
            ring = 3 * n + win * j
            if first_step:
                for k in range(win):
                    state[b, ring + k] = node_load
            else:
                state[b, ring + (clock[b, 0] + 1) % win] = node_load
            peak = node_load
            for k in range(win):
                peak = max(peak, state[b, ring + k])
            o = j * OBS_PER_NODE
            obs[b, o] = cfg2[j] / caps[j]
            obs[b, o + 1] = min(node_load, 2.0)
            obs[b, o + 2] = min(util[j], 2.0)
            obs[b, o + 3] = min(st_lat[j] / t_out, 1.0)
            obs[b, o + 4] = min(retried / full, 1.0)
            obs[b, o + 5] = min(ema, 2.0)
            obs[b, o + 6] = min(peak, 2.0)
        nxt = d + 1 if d + 1 < day else 0
        obs[b, OBS_PER_NODE * n] = tod[nxt, 0]
        obs[b, OBS_PER_NODE * n + 1] = tod[nxt, 1]
        clock[b, 0] += 1
