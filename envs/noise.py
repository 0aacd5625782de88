"""Counter-based Poisson noise on users per station.

A user count is the inversion of a uniform that is a hash of (episode key, interval, station), so
any batch layout, and a planner replaying an episode, draws the very same numbers.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .queueing import FASTMATH

GUIDE = 32  # guide entries per inversion table row


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _mix64(x):
    """splitmix64 finaliser: a well-mixed 64-bit hash of ``x`` (uint64 arithmetic wraps)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def uniform(key, interval, station):
    """A uniform in (0, 1) that depends only on (episode key, interval, station)."""
    h = _mix64(np.uint64(key) + np.uint64(interval) * np.uint64(0x9E3779B97F4A7C15)
               + np.uint64(station) * np.uint64(0xD1B54A32D192ED03))
    return (float(h >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


def poisson_tables(means: np.ndarray) -> np.ndarray:
    """Inversion tables for Poisson(``means[d, j]``) users, one row per (interval of day, station).

    A row holds a guide of ``GUIDE`` entries (``guide[g]`` = smallest k with CDF(k) >= g / GUIDE)
    followed by the CDF ``P(X <= k)``, built with the same recurrence as sequential inversion;
    ``k`` runs to ``m + 10 sqrt(m) + 10`` and the last entry is +inf (the clipped tail is < 1e-20).
    """
    if means.max() > 700:
        raise ValueError("station means above 700 users are not supported by the Poisson tables")
    kmax = int(np.ceil(means.max() + 10 * np.sqrt(means.max()) + 10))
    out = np.empty(means.shape + (GUIDE + kmax,))
    for idx in np.ndindex(means.shape):
        pmf = np.empty(kmax)
        pmf[0] = np.exp(-means[idx])
        for i in range(1, kmax):
            pmf[i] = pmf[i - 1] * means[idx] / i
        cdf = np.cumsum(pmf)
        cdf[-1] = np.inf
        out[idx][GUIDE:] = cdf
        out[idx][:GUIDE] = np.searchsorted(cdf, np.arange(GUIDE) / GUIDE, side="left")
    return out


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def noisy_users(cdf, d, key, interval, station):
    """Poisson users of ``station`` in interval ``d`` of the day: the smallest k with
    ``CDF(k) >= u``, found from the guide entry for u (``cdf = poisson_tables(means)``)."""
    u = uniform(key, interval, station)
    k = int(cdf[d, station, int(u * GUIDE)])
    while cdf[d, station, GUIDE + k] < u:
        k += 1
    return float(k)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def station_users(means, cdf, tabled, d, key, interval, station, noise):
    """Users of ``station`` in interval ``d``: mean ``m = means[d, station]``, Poisson-noised.

    ``means`` is the episode's mean curve; when ``tabled`` it is the group's own, whose precomputed
    tables ``cdf`` are used; otherwise the same uniform is inverted by the Poisson recurrence from
    k = 0 (episode means are bounded by 700 users per station where they are drawn, so ``exp(-m)``
    does not underflow).
    """
    if tabled:
        return noisy_users(cdf, d, key, interval, station) if noise else means[d, station]
    m = means[d, station]
    if not noise:
        return m
    u = uniform(key, interval, station)
    k, p = 0, math.exp(-m)
    c = p
    while c < u and k < 100000:
        k += 1
        p *= m / k
        c += p
    return float(k)
