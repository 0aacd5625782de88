"""Per-episode workload randomisation for training: load level, daily shape and station shares.

A policy trained on one group's day learns that day's clock; to make it read the load it observes,
each training episode can draw its own mean curve ``m[d, j]`` (users of station j in interval d)
from the group's ``g[d, j]``, in this order (each step only when its parameter is set, so an
env without randomisation draws exactly what it always drew):

1. station shares (``station_share_alpha = a > 0``): ``s ~ Dirichlet(a n shares)``,
   ``m = g * s / shares`` (mean: the group's split; the aggregate load is unchanged);
1b. hot stations: with probability ``hot_station_prob``, ``k ~ U{1, 2}`` stations adjacent in the
   group's order (``j, j+1 mod n``, ``j ~ U{0..n-1}``) get weight ``H ~ U[HOT_FACTOR]``, the others 1:
   ``m[d, i] <- m[d, i] w_i sum_l m[d, l] / sum_l m[d, l] w_l`` (aggregate unchanged; two hot
   stations of 4 at H = 3 take 3/8 of the load each). Near-even Dirichlet shares load a node near
   its capacity only at a daily peak; this holds one or two nodes there for hours;
2. daily shape: with probability ``random_day_prob`` the aggregate curve is replaced by a *random
   day* of the same daily mean, split by the episode's shares: ``m[d, j] = mean(G) * r(d) * s_j``,
   ``r = day_curve(...)`` (mean 1, see ``random_day``); otherwise the group's curve is shifted by a
   whole number of intervals drawn from ``U[-day_shift_hours, day_shift_hours]`` hours (peaks at
   other hours);
3. amplitude: ``m <- max(0, mean_d(m) + A (m - mean_d(m)))`` per station, ``A ~ U[day_amplitude_min,
   day_amplitude_max]`` (flatter days below 1, spikier above);
4. load level: ``m <- L m``, ``ln L ~ U[ln load_level_min, ln load_level_max]``;

then clipped at 700 users per station (the Poisson inversion's range). The draws come from the
episode's generator after its start interval and noise key, so a vector env and N single envs
with the same seeds still produce identical numbers.
"""
from __future__ import annotations

import numpy as np

MAX_STATION_USERS = 700.0
HOT_FACTOR = (1.5, 3.5)  # range of a hot station's weight against the others' 1


def random_day(rng: np.random.Generator, intervals: int) -> np.ndarray:
    """A random daily shape with mean 1 over ``intervals`` intervals.

    ``r(h) = b + sum_k a_k exp(-dist(h, c_k)^2 / (2 w_k^2))`` with ``K ~ U{1, 2, 3}`` bumps,
    base ``b ~ U[0.15, 0.8]``, heights ``a_k ~ U[0.3, 1]``, centres ``c_k ~ U[0, 24)`` h, widths
    ``w_k ~ U[1, 5]`` h, ``dist`` the distance on the 24 h circle; then divided by its mean. It
    covers one- and two-peak days at any hour, flat days (large ``b``) and spiky ones (small ``b``,
    narrow bumps).
    """
    hours = (np.arange(intervals) + 0.5) * 24.0 / intervals
    curve = np.full(intervals, rng.uniform(0.15, 0.8))
    for _ in range(int(rng.integers(1, 4))):
        height, centre, width = rng.uniform(0.3, 1.0), rng.uniform(0.0, 24.0), rng.uniform(1.0, 5.0)
        dist = np.abs(hours - centre)
        dist = np.minimum(dist, 24.0 - dist)
        curve += height * np.exp(-0.5 * (dist / width) ** 2)
    return curve / curve.mean()


def hot_stations(means: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``means`` with one or two adjacent stations made hot (step 1b of the module); per interval
    the aggregate is unchanged."""
    n = means.shape[1]
    hot = (int(rng.integers(n)) + np.arange(min(n, int(rng.integers(1, 3))))) % n
    weight = np.ones(n)
    weight[hot] = rng.uniform(*HOT_FACTOR)
    weighted = means * weight
    total, new_total = means.sum(axis=1, keepdims=True), weighted.sum(axis=1, keepdims=True)
    return np.divide(weighted * total, new_total, out=np.zeros_like(weighted), where=new_total > 0)


def is_randomised(params) -> bool:
    """Whether episodes of ``params`` draw their own mean curves (else: the group's, tabled)."""
    return (params.station_share_alpha > 0 or params.hot_station_prob > 0 or params.random_day_prob > 0
            or params.day_shift_hours > 0
            or (params.day_amplitude_min, params.day_amplitude_max) != (1.0, 1.0)
            or (params.load_level_min, params.load_level_max) != (1.0, 1.0))


def episode_means(means: np.ndarray, shares: np.ndarray, params, rng: np.random.Generator,
                  intervals_per_day: int | None = None) -> np.ndarray:
    """One episode's mean users ``m[d, j]`` drawn from the group's ``means`` (see the module).

    ``means`` may span several days (a multi-day trace: ``intervals_per_day`` rows a day); a random
    day then repeats every day of the period, and a shift moves the whole period."""
    out = means
    n = means.shape[1]
    per_day = intervals_per_day or means.shape[0]
    if params.station_share_alpha > 0:
        out = out * (rng.dirichlet(params.station_share_alpha * n * shares) / shares)
    if params.hot_station_prob > 0 and rng.random() < params.hot_station_prob:
        out = hot_stations(out, rng)
    if params.random_day_prob > 0 and rng.random() < params.random_day_prob:
        split = out.sum(axis=0) / out.sum()
        day = np.tile(random_day(rng, per_day), means.shape[0] // per_day)
        out = means.sum(axis=1).mean() * day[:, None] * split[None, :]
    elif params.day_shift_hours > 0:
        per_hour = per_day / 24.0
        shift = int(np.rint(rng.uniform(-params.day_shift_hours, params.day_shift_hours) * per_hour))
        out = np.roll(out, shift, axis=0)
    if (params.day_amplitude_min, params.day_amplitude_max) != (1.0, 1.0):
        amp = rng.uniform(params.day_amplitude_min, params.day_amplitude_max)
        level = out.mean(axis=0, keepdims=True)
        out = np.maximum(0.0, level + amp * (out - level))
    if (params.load_level_min, params.load_level_max) != (1.0, 1.0):
        out = out * np.exp(rng.uniform(np.log(params.load_level_min), np.log(params.load_level_max)))
    return np.minimum(out, MAX_STATION_USERS)
