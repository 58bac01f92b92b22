"""Staffing maths: Erlang B, C and A (Palm) queue metrics and the fewest agents that meet a target.

Units: loads in Erlangs (arrival rate x average handle time), times in seconds. Every grid
function takes numpy-broadcastable arrays (e.g. loads of shape (96, 50) and one target per queue
of shape (50,)) and answers in one vectorised call; the scalar functions are thin wrappers.

Models and sources (formulas are re-derived and checked against mpmath in the unit tests):

* Erlang B, the loss probability of M/M/n/n, by the recurrence B(0) = 1,
  B(n) = A B(n-1) / (n + A B(n-1)) (Jagerman, "Some properties of the Erlang loss function",
  Bell System Technical Journal 53, 1974). It is contracting, so it keeps full precision at any
  load, but costs O(n). Grids, which need B at arbitrary n for thousands of cells, use the
  equivalent closed form B(n) = p(n) / P(N <= n), N ~ Poisson(A): p by Loader's saddle-point form,
  P(N <= n) by scipy's gammaincc (both keep ~1e-15 relative precision at 10^6 Erlangs); far below
  the load, where P(N <= n) would underflow, the finite series 1/B(n) = sum_j n!/((n-j)! A^j). The
  Erlang C staffing search seeds B so, then walks up with the recurrence.
* Erlang C, M/M/n with patient callers: P(wait) C = n B / (n - A (1 - B)) for n > A; service level
  P(W <= t) = 1 - C exp(-(n - A) t / h); ASA = C h / (n - A) (Gans, Koole & Mandelbaum,
  "Telephone call centers: tutorial, review, and research prospects", MSOM 5(2), 2003).
* Erlang A, Palm's M/M/n+M: callers abandon after an exponential patience (mean 1/theta). With
  x = n mu / theta, y = lambda / theta (mu = 1/h) and A(x, y) = x e^y y^-x gamma(x, y), Mandelbaum &
  Zeltyn ("The Palm/Erlang-A queue, with applications to call centers", Technion, 2005; Garnett,
  Mandelbaum & Reiman, "Designing a call center with impatient customers", MSOM 4(3), 2002) give
      P(W > 0) = A(x, y) B / (1 + (A(x, y) - 1) B)
      P(Ab)    = (1 / (rho A(x, y)) + 1 - 1/rho) P(W > 0),   rho = lambda / (n mu).
  A caller who finds j others queued is served with probability x / (x + j + 1), and then after a
  sum of exponentials with rates theta (x + 1) .. theta (x + j + 1). Summing over the stationary
  queue, the served callers' waits s (in units of 1/theta) have the defective density
      x e^phi(s),   phi(s) = y (1 - e^-s) - (x + 1) s,   s >= 0,
  whose total mass x Z (Z = integral of e^phi) equals (x / y)(A(x, y) - 1). Hence, with
  pi_n = P(W > 0) / A(x, y) the probability of finding every agent busy and no queue,
      service level (answered within t, of all offered) = 1 - P(W > 0) + pi_n x Z F(theta t)
      ASA (mean wait of answered calls)                 = pi_n x Z E[s] / (theta P(served))
      P(Ab) = pi_n Z (1 + y E[1 - e^-s])   (integration by parts of e^phi: positive terms only)
  where F and E are the distribution and means of the normalised density e^phi / Z, which is
  log-concave; it is integrated by Gauss-Legendre on two panels either side of its mode, cut
  where it has fallen by e^-40. Everything is combined in log space, so no load up to 10^7
  Erlangs overflows. The service level counts abandoned calls as not answered in time.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from helpline.domain.errors import ValidationFailed

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

MAX_LOAD: Final = 10_000_000.0  # Erlangs; keeps every computation bounded in time
MAX_AGENTS: Final = 20_000_000
# A real value within this relative distance above an integer is that integer when rounding agents
# up: 7 / (1 - 0.3) is 10.000000000000002 in floats but exactly 10 in the rationals the user meant.
ROUNDING_TOLERANCE: Final = 1e-9

_CUT: Final = 40.0  # quadrature windows end where the density has fallen by e^-40 (4e-18)
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(48)
_SERIES_SIGMAS: Final = 25.0  # below load - 25 sqrt(load), P(N <= n) nears underflow: sum 1/B instead
_HALF_LOG_2PI: Final = 0.5 * math.log(2 * math.pi)
# stirlerr(n) = ln n! - ln(sqrt(2 pi n) (n/e)^n) for n = 0..15, computed with mpmath at 40 digits.
_STIRLERR_SMALL: Final = np.array(
    [
        0.0,
        0.08106146679532726,
        0.0413406959554093,
        0.02767792568499834,
        0.020790672103765093,
        0.016644691189821193,
        0.013876128823070748,
        0.01189670994589177,
        0.010411265261972096,
        0.009255462182712733,
        0.00833056343336287,
        0.007573675487951841,
        0.00694284010720953,
        0.006408994188004207,
        0.0059513701127588475,
        0.005554733551962801,
    ]
)


# ---------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """Predicted steady-state performance of one queue in one interval with `agents` agents."""

    load: float  # offered load, Erlangs
    agents: int
    p_wait: float  # share of calls that find every agent busy
    service_level: float  # share of offered calls answered within the target time
    asa: float  # average speed of answer of answered calls, seconds (inf when none is answered)
    mean_wait: float  # mean time in queue of all calls, abandoned ones included, seconds
    p_abandon: float  # share of calls that hang up before an answer (0 under Erlang C)
    occupancy: float  # share of the agents' time spent handling calls


@dataclass(frozen=True, slots=True, eq=False)
class QueueMetricsGrid:
    """QueueMetrics for a whole grid of queues and intervals: one array per field."""

    load: Floats
    agents: Ints
    p_wait: Floats
    service_level: Floats
    asa: Floats
    mean_wait: Floats
    p_abandon: Floats
    occupancy: Floats

    def at(self, index: tuple[int, ...] = ()) -> QueueMetrics:
        """The metrics of one cell of the grid."""
        return QueueMetrics(
            load=float(self.load[index]),
            agents=int(self.agents[index]),
            p_wait=float(self.p_wait[index]),
            service_level=float(self.service_level[index]),
            asa=float(self.asa[index]),
            mean_wait=float(self.mean_wait[index]),
            p_abandon=float(self.p_abandon[index]),
            occupancy=float(self.occupancy[index]),
        )


@dataclass(frozen=True, slots=True)
class Staffing:
    """How many agents one queue needs in one interval, and how it then performs."""

    for_target: int  # fewest agents on the phones meeting every queueing target
    for_occupancy: int  # fewest agents keeping occupancy at or under the maximum
    required: int  # agents on the phones: the larger of the two
    scheduled: int  # required grossed up for shrinkage (breaks, training, absence)
    metrics: QueueMetrics  # performance with `required` agents


@dataclass(frozen=True, slots=True, eq=False)
class StaffingGrid:
    """Staffing for a whole grid of queues and intervals: one array per field."""

    for_target: Ints
    for_occupancy: Ints
    required: Ints
    scheduled: Ints
    metrics: QueueMetricsGrid

    def at(self, index: tuple[int, ...] = ()) -> Staffing:
        """The staffing of one cell of the grid."""
        return Staffing(
            for_target=int(self.for_target[index]),
            for_occupancy=int(self.for_occupancy[index]),
            required=int(self.required[index]),
            scheduled=int(self.scheduled[index]),
            metrics=self.metrics.at(index),
        )


# ------------------------------------------------------------------------------------- validation


def _floats(value: ArrayLike, field: str, low: float, high: float, *, open_low: bool, open_high: bool) -> Floats:
    """`value` as a float array whose every element lies in the interval, or ValidationFailed."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationFailed(f"{field} must be a number or an array of numbers", field=field) from exc
    if not np.all(np.isfinite(array)):
        raise ValidationFailed(f"{field} must be finite (no NaN or infinity)", field=field)
    too_low = array <= low if open_low else array < low
    too_high = array >= high if open_high else array > high
    if np.any(too_low) or np.any(too_high):
        left, right = "(" if open_low else "[", ")" if open_high else "]"
        raise ValidationFailed(f"{field} must lie in {left}{low:g}, {high:g}{right}", field=field)
    return array


def _loads(value: ArrayLike) -> Floats:
    return _floats(value, "load", 0.0, MAX_LOAD, open_low=False, open_high=False)


def _positive(value: ArrayLike, field: str) -> Floats:
    return _floats(value, field, 0.0, math.inf, open_low=True, open_high=True)


def _share(value: ArrayLike, field: str) -> Floats:
    return _floats(value, field, 0.0, 1.0, open_low=True, open_high=True)


def _agents(value: ArrayLike) -> Floats:
    agents = _floats(value, "agents", 0.0, MAX_AGENTS, open_low=False, open_high=False)
    if np.any(agents != np.floor(agents)):
        raise ValidationFailed("agents must be whole numbers", field="agents")
    return agents


def _broadcast(named: dict[str, Floats]) -> list[Floats]:
    try:
        return list(np.broadcast_arrays(*named.values()))
    except ValueError as exc:
        shapes = ", ".join(f"{name} {array.shape}" for name, array in named.items())
        raise ValidationFailed(f"array shapes do not match: {shapes}", field=next(iter(named))) from exc


def _scalar_float(value: float, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValidationFailed(f"{field} must be a number", field=field)
    return float(value)


# ------------------------------------------------------------------------------- integer rounding


def ceil_agents(value: ArrayLike) -> Ints:
    """Round agent counts up, treating values a float hair above an integer as that integer."""
    real = _floats(value, "agents", 0.0, math.inf, open_low=False, open_high=True)
    whole = np.floor(real)
    return (whole + (real - whole > ROUNDING_TOLERANCE * np.maximum(1.0, real))).astype(np.int64)


def _floor_tolerant(real: Floats) -> Floats:
    """Round down, treating values a float hair below an integer as that integer."""
    whole = np.ceil(real)
    return whole - (whole - real > ROUNDING_TOLERANCE * np.maximum(1.0, real))


def agents_for_occupancy(load: ArrayLike, max_occupancy: ArrayLike) -> Ints:
    """Fewest agents keeping occupancy (load / agents) at or under `max_occupancy`."""
    loads = _loads(load)
    cap = _floats(max_occupancy, "max_occupancy", 0.0, 1.0, open_low=True, open_high=False)
    loads, cap = _broadcast({"load": loads, "max_occupancy": cap})
    return ceil_agents(loads / cap)


def scheduled_agents(required: ArrayLike, shrinkage: ArrayLike) -> Ints:
    """Agents to schedule so that `required` remain on the phones after `shrinkage` (0 <= s < 1)."""
    needed = _agents(required)
    lost = _floats(shrinkage, "shrinkage", 0.0, 1.0, open_low=False, open_high=True)
    needed, lost = _broadcast({"required": needed, "shrinkage": lost})
    return ceil_agents(needed / (1.0 - lost))


def offered_load(calls: float, interval_seconds: float, aht: float) -> float:
    """Offered load in Erlangs of `calls` arriving over `interval_seconds`, each taking `aht` s."""
    count = _scalar_float(calls, "calls")
    length = _scalar_float(interval_seconds, "interval_seconds")
    handle = _scalar_float(aht, "aht")
    _floats(count, "calls", 0.0, math.inf, open_low=False, open_high=True)
    _positive(length, "interval_seconds")
    _positive(handle, "aht")
    # Multiplying before dividing keeps whole-number loads exact (100 * 180 / 1800 is 10.0).
    load = count * handle / length
    _loads(load)
    return load


# ----------------------------------------------------------------------------- Erlang B (scalar)


def erlang_b(load: float, agents: int) -> float:
    """Blocking probability of M/M/n/n, by the float recurrence (full precision, O(agents))."""
    a = float(_loads(_scalar_float(load, "load")))
    n = int(_agents(_scalar_float(agents, "agents")))
    if a == 0.0:
        return 1.0 if n == 0 else 0.0
    b = 1.0
    for k in range(1, n + 1):
        ab = a * b
        b = ab / (k + ab)
        if b == 0.0:  # underflowed: every further term stays 0
            break
    return b


def erlang_c(load: float, agents: int) -> float:
    """Probability that a call waits in M/M/n (1 when the queue is unstable, agents <= load)."""
    b = erlang_b(load, agents)
    a, n = float(load), int(agents)
    if a == 0.0:
        return 0.0
    if n <= a:
        return 1.0
    return n * b / (n - a + a * b)


# ----------------------------------------------------------------------------- Erlang B (arrays)


def _stirlerr(n: Floats) -> Floats:
    """ln n! - ln(sqrt(2 pi n) (n/e)^n) for whole n >= 0 (table, then Stirling's series)."""
    out = np.empty_like(n)
    small = n <= 15
    out[small] = _STIRLERR_SMALL[n[small].astype(np.int64)]
    big = n[~small]
    s2 = 1.0 / (big * big)
    out[~small] = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - s2 / 1188) * s2) * s2) * s2) / big
    return out


def _bd0(x: Floats, m: Floats) -> Floats:
    """x ln(x/m) + m - x for x, m > 0 without cancellation when x is near m (Loader, 2000)."""
    d = x - m
    v = d / (x + m)
    series = d * v
    term = 2 * x * v
    v2 = v * v
    for j in range(1, 12):  # |v| < 0.1 below, so eleven terms reach 1e-22
        term = term * v2
        series = series + term / (2 * j + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = x * np.log(x / m) - d
    return np.where(np.abs(v) < 0.1, series, direct)


def _log_poisson_pmf(n: Floats, a: Floats) -> Floats:
    """ln(a^n e^-a / n!) for whole n >= 0 and a > 0, to full precision at any size.

    The textbook n ln a - a - ln n! subtracts numbers of size n ln n and loses ~1e-9 at a million
    Erlangs; Loader's saddle-point form ("Fast and accurate computation of binomial
    probabilities", 2000) keeps only the small deviance bd0 and Stirling's remainder."""
    positive = n > 0
    safe_n = np.where(positive, n, 1.0)
    saddle = -_stirlerr(safe_n) - _bd0(safe_n, a) - _HALF_LOG_2PI - 0.5 * np.log(safe_n)
    return np.where(positive, saddle, -a)


def _inverse_b_series(a: Floats, n: Floats) -> Floats:
    """1/B(n) = sum_j n (n-1) .. (n-j+1) / a^j, for n well below a where its terms fall fast."""
    with np.errstate(divide="ignore"):
        fall = -np.log(n / a)  # the terms fall at least this fast (per term, in log)
    terms = int(np.max(np.minimum(n + 1, np.ceil(_CUT / fall) + 2)))
    j = np.arange(terms, dtype=np.float64)
    factors = np.clip((n[:, None] - j[None, :]) / a[:, None], 0.0, None)
    return 1.0 + np.cumprod(factors, axis=1).sum(axis=1)


def _erlang_b_closed(a: Floats, n: Floats) -> Floats:
    """Erlang B for 1-D arrays of loads and whole agent counts, in O(1) work per cell."""
    out = np.empty_like(a)
    idle = a == 0
    out[idle] = np.where(n[idle] == 0, 1.0, 0.0)
    deep = ~idle & (n < a - _SERIES_SIGMAS * np.sqrt(a) - 1)
    ratio = ~idle & ~deep
    if np.any(ratio):
        ai, ni = a[ratio], n[ratio]
        # gammaincc(n + 1, a) is P(N <= n) for N ~ Poisson(a); it keeps relative precision.
        out[ratio] = np.exp(_log_poisson_pmf(ni, ai)) / special.gammaincc(ni + 1, ai)
    if np.any(deep):
        out[deep] = 1.0 / _inverse_b_series(a[deep], n[deep])
    return out


def erlang_b_grid(loads: ArrayLike, agents: ArrayLike) -> Floats:
    """Erlang B for broadcastable arrays of loads and agent counts, in one vectorised call."""
    a, n = _broadcast({"load": _loads(loads), "agents": _agents(agents)})
    return _erlang_b_closed(a.ravel(), n.ravel()).reshape(a.shape)


# --------------------------------------------------------------------------------- Erlang C maths


@dataclass(frozen=True, slots=True, eq=False)
class _Flat:
    """Flat per-cell performance arrays, before they are shaped into a QueueMetricsGrid."""

    p_wait: Floats
    service_level: Floats
    asa: Floats
    mean_wait: Floats
    p_abandon: Floats
    occupancy: Floats

    def take(self, cells: NDArray[np.intp]) -> _Flat:
        return _Flat(*(getattr(self, f)[cells] for f in self.__slots__))

    def put(self, cells: NDArray[np.intp], other: _Flat) -> None:
        for f in self.__slots__:
            getattr(self, f)[cells] = getattr(other, f)


def _erlang_c_core(a: Floats, n: Floats, b: Floats, aht: Floats, t: Floats) -> tuple[Floats, Floats, Floats, Floats]:
    """P(wait), 1 - P(wait), service level and ASA of stable cells (n > a), with no cancelling term."""
    gap = n - a
    denominator = gap + a * b
    p_wait = n * b / denominator
    no_wait = gap * (1.0 - b) / denominator
    return p_wait, no_wait, _c_service_level(p_wait, no_wait, gap, aht, t), p_wait * aht / gap


def _c_service_level(p_wait: Floats, no_wait: Floats, gap: Floats, aht: Floats, t: Floats) -> Floats:
    """1 - C e^(-gap t / h): from the miss share when the level is high (so that it rises with
    every agent to the last bit), else as (1 - C) + C (1 - e^-z), exact when it is small."""
    z = -gap * t / aht
    miss = p_wait * np.exp(z)
    return np.where(miss < 0.5, 1.0 - miss, no_wait - p_wait * np.expm1(z))


def _erlang_c_from_b(a: Floats, n: Floats, b: Floats, aht: Floats, t: Floats) -> _Flat:
    """Erlang C metrics from Erlang B; an unstable queue (n <= a) never answers in time."""
    stable = (n > a) & (a > 0)
    p_wait = np.where(a > 0, 1.0, 0.0)
    service_level = np.where(a > 0, 0.0, 1.0)
    asa = np.where(a > 0, math.inf, 0.0)
    p_wait[stable], _, service_level[stable], asa[stable] = _erlang_c_core(
        a[stable], n[stable], b[stable], aht[stable], t[stable]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = np.where(n > 0, np.minimum(a, n) / n, 0.0)
    return _Flat(p_wait, service_level, asa, asa.copy(), np.zeros_like(a), occupancy)


# --------------------------------------------------------------------------------- Erlang A maths


def _panel(
    lo: Floats, hi: Floats, mode: Floats, curve: Floats, x1: Floats, *, moments: bool
) -> tuple[Floats, Floats, Floats]:
    """Gauss-Legendre integrals over [mode + lo, mode + hi] of e^-h, s e^-h and (1 - e^-s) e^-h.

    h(d) = phi(mode) - phi(mode + d) = (x + 1 - c) d + c (d + expm1(-d)) with c = y e^-mode: both
    terms are non-negative on the panels, so h is computed without cancellation."""
    half = 0.5 * (hi - lo)
    d = (0.5 * (hi + lo))[:, None] + half[:, None] * _NODES
    h = (x1 - curve)[:, None] * d + curve[:, None] * (d + np.expm1(-d))
    weight = np.exp(-h) * (half[:, None] * _WEIGHTS)
    mass = weight.sum(axis=1)
    if not moments:
        return mass, mass, mass
    s = mode[:, None] + d
    return mass, (weight * s).sum(axis=1), (weight * -np.expm1(-s)).sum(axis=1)


def _served_wait(
    x: Floats, y: Floats, tau: Floats, *, cdf: bool = True, moments: bool = True
) -> tuple[Floats, Floats, Floats, Floats]:
    """ln Z, F(tau), E[s] and E[1 - e^-s] of the served-wait density e^phi(s) / Z (see the top).

    A search may skip F or the moments (they come back NaN); what is computed is computed the
    same way either way, so a search and the metrics reported after it agree to the last bit."""
    x1 = x + 1.0
    interior = y > x1  # phi peaks inside (0, inf) exactly when lambda > n mu + theta
    rise = np.where(interior, (y - x1) / x1, 0.0)
    mode = np.log1p(rise)
    curve = np.where(interior, x1, y)
    log_peak = x1 * (rise - np.log1p(rise))  # phi(mode); 0 when the mode is at s = 0
    k = _CUT / x1
    # Window half-widths where h reaches _CUT: x1 (e^d - 1 - d) on the left, x1 (d - 1 + e^-d)
    # (or the slope x1 - y at s = 0) on the right; these are cheap upper bounds of the roots.
    left = np.minimum(np.minimum(np.sqrt(2 * k), np.log(2 * k + 2)), mode)
    right = np.sqrt(2 * k) + k
    slope = x1 - y
    with np.errstate(divide="ignore"):
        right = np.where(slope > 0, np.minimum(right, _CUT / np.where(slope > 0, slope, 1.0)), right)
    zero = np.zeros_like(x)
    m_left, s_left, u_left = _panel(-left, zero, mode, curve, x1, moments=moments)
    m_right, s_right, u_right = _panel(zero, right, mode, curve, x1, moments=moments)
    mass = m_left + m_right
    log_z = log_peak + np.log(mass)
    skipped = np.full_like(x, math.nan)
    mean_s = (s_left + s_right) / mass if moments else skipped
    mean_u = (u_left + u_right) / mass if moments else skipped
    if not cdf:
        return log_z, skipped, mean_s, mean_u
    # F(tau): left of the mode the panel is anchored at tau itself, so that a tau far in the left
    # tail keeps its relative precision: from there h rises by x1 (e^|d| - 1) w + x1 w^2 / 2.
    reach = np.maximum(tau - mode, -mode)
    left_end = np.minimum(reach, 0.0)
    with np.errstate(divide="ignore"):
        width = np.minimum(np.sqrt(2 * k), _CUT / (x1 * np.expm1(np.abs(left_end))))
    c_left, _, _ = _panel(np.maximum(left_end - width, -mode), left_end, mode, curve, x1, moments=False)
    c_right, _, _ = _panel(zero, np.clip(reach, 0.0, right), mode, curve, x1, moments=False)
    return log_z, np.minimum(1.0, (c_left + c_right) / mass), mean_s, mean_u


def _erlang_a_from_b(
    a: Floats,
    n: Floats,
    b: Floats,
    aht: Floats,
    t: Floats,
    patience: Floats,
    *,
    cdf: bool = True,
    moments: bool = True,
) -> _Flat:
    """Erlang A metrics from Erlang B, combined in log space (formulas at the top of the module).

    Without `cdf` the service level, without `moments` the ASA and abandonment come back NaN."""
    scale = patience / aht  # mu / theta
    x, y = n * scale, a * scale
    log_z, within, mean_s, mean_u = _served_wait(x, y, t / patience, cdf=cdf, moments=moments)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_y = np.log(y)
        log_big_a = np.where(y > 0, np.logaddexp(0.0, log_y + log_z), 0.0)  # ln A(x, y) = ln(1 + y Z)
        # P(W > 0) = 1 / (1 + r), r = (1/B - 1) / A(x, y); expit keeps both tails exact.
        log_r = np.log1p(-b) - np.log(b) - log_big_a
        p_wait = special.expit(-log_r)
        no_wait = special.expit(log_r)
        z_over_a = np.exp(log_z - log_big_a)
        served_after_wait = p_wait * x * z_over_a  # pi_n x Z: P(wait, then answered)
        p_abandon = np.clip(p_wait * z_over_a * (1.0 + y * mean_u), 0.0, 1.0)
        p_served = no_wait + served_after_wait
        service_level = no_wait + served_after_wait * within
        asa = np.where(p_served > 0, served_after_wait * mean_s * patience / p_served, math.inf)
        occupancy = np.where(n > 0, a * p_served / n, 0.0)
    idle = a == 0
    return _Flat(
        p_wait=np.where(idle, 0.0, p_wait),
        service_level=np.where(idle, 1.0, service_level),
        asa=np.where(idle, 0.0, asa),
        mean_wait=np.where(idle, 0.0, p_abandon * patience),  # E[W] = P(Ab) / theta
        p_abandon=np.where(idle, 0.0, p_abandon),
        occupancy=np.where(idle, 0.0, np.minimum(occupancy, 1.0)),
    )


# ---------------------------------------------------------------------------------- metrics grids


def _grid(shape: tuple[int, ...], a: Floats, n: Floats, flat: _Flat) -> QueueMetricsGrid:
    return QueueMetricsGrid(
        load=a.reshape(shape),
        agents=n.astype(np.int64).reshape(shape),
        p_wait=flat.p_wait.reshape(shape),
        service_level=flat.service_level.reshape(shape),
        asa=flat.asa.reshape(shape),
        mean_wait=flat.mean_wait.reshape(shape),
        p_abandon=flat.p_abandon.reshape(shape),
        occupancy=flat.occupancy.reshape(shape),
    )


def metrics_c(loads: ArrayLike, agents: ArrayLike, aht: ArrayLike, target_seconds: ArrayLike) -> QueueMetricsGrid:
    """Erlang C performance of every cell of a grid (broadcastable arrays)."""
    arrays = _broadcast(
        {
            "load": _loads(loads),
            "agents": _agents(agents),
            "aht": _positive(aht, "aht"),
            "target_seconds": _floats(target_seconds, "target_seconds", 0, math.inf, open_low=False, open_high=True),
        }
    )
    a, n, h, t = (array.ravel() for array in arrays)
    return _grid(arrays[0].shape, a, n, _erlang_c_from_b(a, n, _erlang_b_closed(a, n), h, t))


def metrics_a(
    loads: ArrayLike, agents: ArrayLike, aht: ArrayLike, target_seconds: ArrayLike, patience: ArrayLike
) -> QueueMetricsGrid:
    """Erlang A performance of every cell of a grid (broadcastable arrays)."""
    arrays = _broadcast(
        {
            "load": _loads(loads),
            "agents": _agents(agents),
            "aht": _positive(aht, "aht"),
            "target_seconds": _floats(target_seconds, "target_seconds", 0, math.inf, open_low=False, open_high=True),
            "patience": _positive(patience, "patience"),
        }
    )
    a, n, h, t, p = (array.ravel() for array in arrays)
    return _grid(arrays[0].shape, a, n, _erlang_a_from_b(a, n, _erlang_b_closed(a, n), h, t, p))


def erlang_c_metrics(load: float, agents: int, aht: float, target_seconds: float) -> QueueMetrics:
    """Erlang C performance of one queue with `agents` agents."""
    return metrics_c(load, agents, aht, target_seconds).at()


def erlang_a_metrics(load: float, agents: int, aht: float, target_seconds: float, patience: float) -> QueueMetrics:
    """Erlang A performance of one queue with `agents` agents and callers of mean `patience` s."""
    return metrics_a(load, agents, aht, target_seconds, patience).at()


# ------------------------------------------------------------------------------------- staffing


@dataclass(frozen=True, slots=True, eq=False)
class _Targets:
    """Per-cell targets (None when not set); a cell is staffed when it meets all that are set."""

    service_level: Floats | None
    asa: Floats | None
    abandon: Floats | None

    def take(self, cells: NDArray[np.intp]) -> _Targets:
        return _Targets(*(None if v is None else v[cells] for v in (self.service_level, self.asa, self.abandon)))

    def met(self, flat: _Flat) -> NDArray[np.bool_]:
        ok = np.ones(flat.p_wait.shape, dtype=bool)
        if self.service_level is not None:
            ok &= flat.service_level >= self.service_level
        if self.asa is not None:
            ok &= flat.asa <= self.asa
        if self.abandon is not None:
            ok &= flat.p_abandon <= self.abandon
        return ok


def _square_root_start(a: Floats, aht: Floats, t: Floats, targets: _Targets) -> Floats:
    """A staffing just under Erlang C's answer, from the Halfin-Whitt approximation.

    With n = a + beta sqrt(a), P(wait) ~ 1 / (1 + beta Phi(beta) / phi(beta)) (Halfin & Whitt,
    "Heavy-traffic limits for queues with many exponential servers", Operations Research 29(3),
    1981); three Newton steps on beta for each target, then one agent less. It only chooses where
    the exact walk starts: the walk checks that start and falls back to floor(load) + 1 if the
    start already meets the targets, so the answer never depends on the approximation."""
    root = np.sqrt(a)
    start = np.zeros_like(a)
    for kind, goal in (("sl", targets.service_level), ("asa", targets.asa)):
        if goal is None:
            continue
        beta = np.ones_like(a)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for _ in range(3):
                ratio = special.ndtr(beta) * math.sqrt(2 * math.pi) * np.exp(0.5 * beta * beta)  # Phi / phi
                q = 1.0 + beta * ratio
                if kind == "sl":
                    rate = root * t / aht
                    f = -np.log(q) - beta * rate - np.log1p(-goal)
                    slope = -(ratio + beta * q) / q - rate
                else:
                    f = -np.log(q) - np.log(beta) - np.log(goal * root / aht)
                    slope = -(ratio + beta * q) / q - 1.0 / beta
                beta = np.clip(beta - f / slope, 1e-3, 8.0)
            guess = np.floor(a + np.nan_to_num(beta, nan=0.0) * root) - 1.0
        start = np.maximum(start, guess)
    return start


def _walk_c(a: Floats, aht: Floats, t: Floats, targets: _Targets, start: Floats) -> tuple[Floats, Floats]:
    """Fewest agents from `start` up meeting the targets under Erlang C, and Erlang B with them.

    The walk steps up one agent at a time with the Erlang B recurrence (seeded by the closed form
    at `start`) and stops at the first count that meets every target. The arithmetic is
    _erlang_c_core's, term for term, so the metrics reported later agree with the decision."""
    agents = np.zeros_like(a)
    b_at = np.ones_like(a)
    cells = np.flatnonzero(a > 0)
    ai, hi, ti = a[cells], aht[cells], t[cells]
    sl = None if targets.service_level is None else targets.service_level[cells]
    asa = None if targets.asa is None else targets.asa[cells]
    n = start[cells]
    b = _erlang_b_closed(ai, n)
    while cells.size:
        gap = n - ai
        ab = ai * b
        denominator = gap + ab
        p_wait = n * b / denominator
        ok = np.ones(cells.shape, dtype=bool)
        if sl is not None:
            no_wait = gap * (1.0 - b) / denominator
            ok &= _c_service_level(p_wait, no_wait, gap, hi, ti) >= sl
        if asa is not None:
            ok &= p_wait * hi / gap <= asa
        if np.any(ok):
            agents[cells[ok]] = n[ok]
            b_at[cells[ok]] = b[ok]
            rest = ~ok
            cells, ai, hi, ti, n, b, ab = cells[rest], ai[rest], hi[rest], ti[rest], n[rest], b[rest], ab[rest]
            sl = None if sl is None else sl[rest]
            asa = None if asa is None else asa[rest]
        n = n + 1.0
        b = ab / (n + ab)
    return agents, b_at


def _staff_c(a: Floats, aht: Floats, t: Floats, targets: _Targets) -> tuple[Floats, Floats]:
    """Fewest agents meeting the targets under Erlang C, and Erlang B with them.

    The answer is the first staffing from the smallest stable one, floor(load) + 1, that meets
    every target (service level and ASA improve with every agent), so it never overstaffs. To
    save steps the walk starts nearer, at a staffing that misses; where the guessed start already
    meets the targets, those cells walk again from floor(load) + 1."""
    lowest = np.where(a > 0, _floor_tolerant(a) + 1.0, 0.0)
    start = np.maximum(lowest, _square_root_start(a, aht, t, targets))
    agents, b_at = _walk_c(a, aht, t, targets, start)
    again = np.flatnonzero((agents == start) & (start > lowest))
    if again.size:
        agents[again], b_at[again] = _walk_c(a[again], aht[again], t[again], targets.take(again), lowest[again])
    return agents, b_at


def _search_a(a: Floats, aht: Floats, t: Floats, patience: Floats, targets: _Targets, guess: Floats) -> Floats:
    """Fewest agents meeting the targets under Erlang A.

    With abandonment every staffing is stable, so the answer may lie below the load. Zero agents
    never meets a target; from a guess the search gallops (1, 2, 4, .. agents) down to a count that
    misses or up to one that meets, then bisects. Every metric is monotone in the agents, so the
    result is the fewest that meet every target: one agent fewer misses one."""
    agents = np.zeros_like(a)
    cells = np.flatnonzero(a > 0)
    ai, hi, ti, pi, goal = a[cells], aht[cells], t[cells], patience[cells], targets.take(cells)
    cdf = targets.service_level is not None
    moments = targets.asa is not None or targets.abandon is not None

    def probe(which: NDArray[np.intp], n: Floats) -> NDArray[np.bool_]:
        b = _erlang_b_closed(ai[which], n)
        flat = _erlang_a_from_b(ai[which], n, b, hi[which], ti[which], pi[which], cdf=cdf, moments=moments)
        return goal.take(which).met(flat)

    first = np.maximum(1.0, guess[cells])
    ok = probe(np.arange(cells.size), first)
    lo = np.where(ok, 0.0, first)  # known to miss (0 always misses)
    up = np.where(ok, first, -1.0)  # known to meet; -1 while unknown
    stride = np.ones_like(first)
    galloping = np.arange(cells.size)  # cells without both a miss and a meet one stride apart yet
    while galloping.size:
        going_down = up[galloping] > 0
        n = np.where(going_down, up[galloping] - stride[galloping], lo[galloping] + stride[galloping])
        at_floor = going_down & (n <= 0)
        lo[galloping[at_floor]] = 0.0  # zero agents misses: the bracket is [0, up]
        live, n, going_down = galloping[~at_floor], n[~at_floor], going_down[~at_floor]
        ok = probe(live, n)
        up[live[ok]] = n[ok]
        lo[live[~ok]] = n[~ok]
        stride[live] *= 2.0
        # Going down, a miss closes the bracket; going up, a meet does.
        galloping = live[np.where(going_down, ok, ~ok)]
    wide = np.flatnonzero(up - lo > 1)
    while wide.size:
        n = np.floor(0.5 * (lo[wide] + up[wide]))
        ok = probe(wide, n)
        up[wide[ok]] = n[ok]
        lo[wide[~ok]] = n[~ok]
        wide = wide[up[wide] - lo[wide] > 1]
    agents[cells] = up
    return agents


def _time(value: ArrayLike, field: str) -> Floats:
    return _floats(value, field, 0.0, math.inf, open_low=False, open_high=True)


def _staffing_inputs(
    loads: ArrayLike,
    aht: ArrayLike,
    target_seconds: ArrayLike,
    shrinkage: ArrayLike,
    max_occupancy: ArrayLike | None,
    extra: dict[str, Floats],
) -> tuple[tuple[int, ...], dict[str, Floats]]:
    named = {
        "load": _loads(loads),
        "aht": _positive(aht, "aht"),
        "target_seconds": _time(target_seconds, "target_seconds"),
        "shrinkage": _floats(shrinkage, "shrinkage", 0.0, 1.0, open_low=False, open_high=True),
        **extra,
    }
    if max_occupancy is not None:
        named["max_occupancy"] = _floats(max_occupancy, "max_occupancy", 0.0, 1.0, open_low=True, open_high=False)
    arrays = _broadcast(named)
    return arrays[0].shape, {
        name: np.ascontiguousarray(array).ravel() for name, array in zip(named, arrays, strict=True)
    }


def _targets(
    flat: dict[str, Floats], sl_target: ArrayLike | None, asa_target: ArrayLike | None, abandon_target: ArrayLike | None
) -> _Targets:
    return _Targets(
        service_level=None if sl_target is None else flat["sl_target"],
        asa=None if asa_target is None else flat["asa_target"],
        abandon=None if abandon_target is None else flat["abandon_target"],
    )


def _target_arrays(
    sl_target: ArrayLike | None, asa_target: ArrayLike | None, abandon_target: ArrayLike | None = None
) -> dict[str, Floats]:
    extra: dict[str, Floats] = {}
    if sl_target is not None:
        extra["sl_target"] = _share(sl_target, "sl_target")
    if asa_target is not None:
        extra["asa_target"] = _positive(asa_target, "asa_target")
    if abandon_target is not None:
        extra["abandon_target"] = _share(abandon_target, "abandon_target")
    if not extra:
        raise ValidationFailed("set at least one target (service level, ASA or abandonment)", field="sl_target")
    return extra


def _finish(
    shape: tuple[int, ...],
    flat: dict[str, Floats],
    agents: Floats,
    metrics: _Flat | None,
    evaluate: Callable[[NDArray[np.intp], Floats], _Flat],
) -> StaffingGrid:
    """Apply the occupancy cap and shrinkage; metrics are those of the agents on the phones.

    `metrics` holds those with `agents` when the search already has them, else all are computed."""
    a = flat["load"]
    for_target = agents.astype(np.int64)
    cap = flat.get("max_occupancy")
    for_occupancy = np.zeros_like(for_target) if cap is None else ceil_agents(a / cap)
    required = np.maximum(for_target, for_occupancy)
    if metrics is None:
        metrics = evaluate(np.arange(a.size), required.astype(np.float64))
    else:
        raised = np.flatnonzero(required > for_target)
        if raised.size:
            metrics.put(raised, evaluate(raised, required[raised].astype(np.float64)))
    scheduled = ceil_agents(required / (1.0 - flat["shrinkage"]))
    return StaffingGrid(
        for_target=for_target.reshape(shape),
        for_occupancy=for_occupancy.reshape(shape),
        required=required.reshape(shape),
        scheduled=scheduled.reshape(shape),
        metrics=_grid(shape, a, required.astype(np.float64), metrics),
    )


def required_agents_c(
    loads: ArrayLike,
    aht: ArrayLike,
    target_seconds: ArrayLike,
    sl_target: ArrayLike | None = None,
    *,
    asa_target: ArrayLike | None = None,
    shrinkage: ArrayLike = 0.0,
    max_occupancy: ArrayLike | None = None,
) -> StaffingGrid:
    """Erlang C staffing of a whole grid in one call (every argument broadcasts against loads).

    `sl_target` is the share of calls to answer within `target_seconds`; `asa_target` a maximum
    average speed of answer in seconds; set one or both. `max_occupancy` (0 < m <= 1), when set,
    keeps agents >= load / m; `shrinkage` (0 <= s < 1) grosses `required` up to `scheduled`."""
    extra = _target_arrays(sl_target, asa_target)
    shape, flat = _staffing_inputs(loads, aht, target_seconds, shrinkage, max_occupancy, extra)
    a, h, t = flat["load"], flat["aht"], flat["target_seconds"]
    agents, b_at = _staff_c(a, h, t, _targets(flat, sl_target, asa_target, None))
    metrics = _erlang_c_from_b(a, agents, b_at, h, t)

    def evaluate(cells: NDArray[np.intp], n: Floats) -> _Flat:
        return _erlang_c_from_b(a[cells], n, _erlang_b_closed(a[cells], n), h[cells], t[cells])

    return _finish(shape, flat, agents, metrics, evaluate)


def required_agents_a(
    loads: ArrayLike,
    aht: ArrayLike,
    target_seconds: ArrayLike,
    patience: ArrayLike,
    sl_target: ArrayLike | None = None,
    *,
    asa_target: ArrayLike | None = None,
    abandon_target: ArrayLike | None = None,
    shrinkage: ArrayLike = 0.0,
    max_occupancy: ArrayLike | None = None,
) -> StaffingGrid:
    """Erlang A staffing of a whole grid in one call (every argument broadcasts against loads).

    Callers hang up after an exponential time of mean `patience` seconds. Targets: `sl_target`
    (share answered within `target_seconds`), `asa_target` (seconds, answered calls) and
    `abandon_target` (largest share of callers hanging up); set one or more. Abandonment keeps
    every staffing stable, so with no `max_occupancy` the answer may be below the load."""
    extra = {"patience": _positive(patience, "patience"), **_target_arrays(sl_target, asa_target, abandon_target)}
    shape, flat = _staffing_inputs(loads, aht, target_seconds, shrinkage, max_occupancy, extra)
    a, h, t, p = flat["load"], flat["aht"], flat["target_seconds"], flat["patience"]
    targets = _targets(flat, sl_target, asa_target, abandon_target)
    if targets.service_level is not None or targets.asa is not None:
        # Erlang C's answer for the same targets is a close first guess for the search.
        guess, _ = _staff_c(a, h, t, _Targets(targets.service_level, targets.asa, None))
    else:
        guess = np.ceil(a)
    agents = _search_a(a, h, t, p, targets, guess)

    def evaluate(cells: NDArray[np.intp], n: Floats) -> _Flat:
        b = _erlang_b_closed(a[cells], n)
        return _erlang_a_from_b(a[cells], n, b, h[cells], t[cells], p[cells])

    return _finish(shape, flat, agents, None, evaluate)


def staffing_c(
    load: float,
    aht: float,
    target_seconds: float,
    sl_target: float | None = None,
    *,
    asa_target: float | None = None,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
) -> Staffing:
    """Erlang C staffing of one queue in one interval (see required_agents_c)."""
    return required_agents_c(
        _scalar_float(load, "load"),
        _scalar_float(aht, "aht"),
        _scalar_float(target_seconds, "target_seconds"),
        None if sl_target is None else _scalar_float(sl_target, "sl_target"),
        asa_target=None if asa_target is None else _scalar_float(asa_target, "asa_target"),
        shrinkage=_scalar_float(shrinkage, "shrinkage"),
        max_occupancy=None if max_occupancy is None else _scalar_float(max_occupancy, "max_occupancy"),
    ).at()


def staffing_a(
    load: float,
    aht: float,
    target_seconds: float,
    patience: float,
    sl_target: float | None = None,
    *,
    asa_target: float | None = None,
    abandon_target: float | None = None,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
) -> Staffing:
    """Erlang A staffing of one queue in one interval (see required_agents_a)."""
    return required_agents_a(
        _scalar_float(load, "load"),
        _scalar_float(aht, "aht"),
        _scalar_float(target_seconds, "target_seconds"),
        _scalar_float(patience, "patience"),
        None if sl_target is None else _scalar_float(sl_target, "sl_target"),
        asa_target=None if asa_target is None else _scalar_float(asa_target, "asa_target"),
        abandon_target=None if abandon_target is None else _scalar_float(abandon_target, "abandon_target"),
        shrinkage=_scalar_float(shrinkage, "shrinkage"),
        max_occupancy=None if max_occupancy is None else _scalar_float(max_occupancy, "max_occupancy"),
    ).at()
