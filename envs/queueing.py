"""Queueing formulas of the simulated edge cluster (M/M/c, Erlang C), compiled with numba.

A node with ``c`` replicas, each serving ``mu`` req/s (exponential service times), receiving
Poisson arrivals at ``lam`` req/s, is an M/M/c queue with offered load ``a = lam / mu`` and
utilisation ``rho = a / c``. For ``rho < 1``:

* probability that a request waits (Erlang C), from the Erlang B recursion
  ``B_0 = 1, B_k = a B_{k-1} / (k + a B_{k-1})``:  ``C = B_c / (1 - rho + rho B_c)``;
* waiting time ``W``: 0 with probability ``1 - C``, else ``Exp(delta)`` with ``delta = c mu - lam``;
* response time ``R = W + S``, ``S ~ Exp(mu)``; its tail
  ``P(R > t) = (1 - C) e^{-mu t} + C (delta e^{-mu t} - mu e^{-delta t}) / (delta - mu)``
  (limit ``(1 + mu t) e^{-mu t}`` when ``delta = mu``), its density the negative derivative;
* the mean of the response capped at a budget, ``E[min(R, tau)] = int_0^tau P(R > t) dt``.

A request fails when its response exceeds the client's budget ``tau`` (timeout minus network
time), so the failure fraction is ``P(R > tau)``: continuous, and tending to 1 as ``rho -> 1``.
For ``rho >= 1`` the queue grows without bound: every request fails and pays the timeout.
Times in seconds here; the callers convert to ms.
"""
from __future__ import annotations

import math

from numba import njit

# Floating-point licences for the hot kernels: reassociation and fast reciprocals, but NaN and inf
# keep their meaning (the Poisson tables end in +inf).
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
_NEAR = 1e-9  # relative |delta - mu| below which the delta == mu limits are used


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in an M/M/c queue with offered load ``a`` (< c) erlangs."""
    if a <= 0.0:
        return 0.0
    # The Erlang B recursion on inverses, I_k = 1 / B_k = 1 + (k / a) I_{k-1}, needs no division
    # per step; then C = B_c / (1 - rho + rho B_c) = 1 / (rho + (1 - rho) I_c).
    inv_a = 1.0 / a
    inv_b = 1.0
    for k in range(1, c + 1):
        inv_b = 1.0 + k * inv_a * inv_b
    rho = a / c
    return 1.0 / (rho + (1.0 - rho) * inv_b)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def tail_and_density(t: float, mu: float, delta: float, cw: float):
    """``(P(R > t), density of R at t in 1/s)``, sharing the two exponentials."""
    if t <= 0.0:
        return 1.0, (1.0 - cw) * mu
    em = math.exp(-mu * t)
    if cw <= 0.0:
        return em, mu * em
    if abs(delta - mu) < _NEAR * mu:
        return (1.0 - cw) * em + cw * (1.0 + mu * t) * em, (1.0 - cw) * mu * em + cw * mu * mu * t * em
    ed = math.exp(-delta * t)
    inv = 1.0 / (delta - mu)
    tail = (1.0 - cw) * em + cw * (delta * em - mu * ed) * inv
    dens = (1.0 - cw) * mu * em + cw * mu * delta * (em - ed) * inv
    return tail, dens


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def response_tail(t: float, mu: float, delta: float, cw: float) -> float:
    """``P(R > t)`` for the response time ``R`` of an M/M/c queue."""
    return tail_and_density(t, mu, delta, cw)[0]


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def tail_and_capped_mean(tau: float, mu: float, delta: float, cw: float):
    """``(P(R > tau), E[min(R, tau)] in s)``, sharing the two exponentials."""
    if tau <= 0.0:
        return 1.0, 0.0
    em = math.exp(-mu * tau)
    plain = (1.0 - em) / mu
    if cw <= 0.0:
        return em, plain
    if abs(delta - mu) < _NEAR * mu:
        return ((1.0 - cw) * em + cw * (1.0 + mu * tau) * em,
                (1.0 - cw) * plain + cw * (plain + (1.0 - em * (1.0 + mu * tau)) / mu))
    ed = math.exp(-delta * tau)
    inv = 1.0 / (delta - mu)
    tail = (1.0 - cw) * em + cw * (delta * em - mu * ed) * inv
    mixed = (delta * plain - mu * (1.0 - ed) / delta) * inv
    return tail, (1.0 - cw) * plain + cw * mixed
