"""Discount curves: bootstrapped zero curves, Nelson-Siegel-Svensson, spreads and fair values.

Curve time is in years, ACT/365F from the curve's reference date, and rates are
continuously compounded. A bond's flows are discounted on their unadjusted due dates and
valued at settlement: ``dirty = sum(a * D(t) * exp(-z * t)) / (D(ts) * exp(-z * ts))`` for
a spread ``z`` over the curve ``D`` (``ts`` is the settlement time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Protocol

import numpy as np
from scipy.optimize import brentq, least_squares  # type: ignore[import-untyped]

from liquibond.analytics._dates import Floats, Ints, day_number, segment_sum
from liquibond.analytics.errors import InvalidCurve, NonPositivePrice
from liquibond.analytics.flows import Cashflows
from liquibond.analytics.pricing import (
    DEFAULT_KEY_TENORS,
    Quote,
    risk,
    spread_over_keys,
    yield_from_price,
)
from liquibond.analytics.solver import solve_decreasing

__all__ = [
    "DiscountCurve",
    "Interpolation",
    "NelsonSiegelSvensson",
    "ZeroCurve",
    "bootstrap_par_curve",
    "curve_key_rate_durations",
    "fair_value",
    "fit_nelson_siegel_svensson",
    "z_spread",
]


class DiscountCurve(Protocol):
    """Anything that gives discount factors for times in years from its reference date."""

    @property
    def reference(self) -> date:
        """Date at which time is zero."""
        ...

    def discount(self, times: Floats) -> Floats:
        """Discount factors at the given times."""
        ...


class Interpolation(Enum):
    """How a zero curve fills the gaps between its nodes."""

    LINEAR_ZERO = "linear_zero"
    """Zero rates linear in time."""
    LOG_LINEAR_DISCOUNT = "log_linear_discount"
    """Log discount factors linear in time (piecewise-flat forward rates)."""


@dataclass(frozen=True)
class ZeroCurve:
    """Continuously compounded zero rates at node times, interpolated between nodes.

    Zero rates are flat before the first node and after the last.
    """

    reference: date
    times: Floats
    rates: Floats
    interpolation: Interpolation = Interpolation.LOG_LINEAR_DISCOUNT

    def __post_init__(self) -> None:
        times = np.asarray(self.times, dtype=np.float64)
        rates = np.asarray(self.rates, dtype=np.float64)
        if times.ndim != 1 or times.size == 0 or times.shape != rates.shape:
            raise InvalidCurve(
                "times and rates must be non-empty and of equal length", field="times"
            )
        if not (times[0] > 0 and (np.diff(times) > 0).all() and np.isfinite(rates).all()):
            raise InvalidCurve(
                "node times must be positive and increasing, rates finite", field="times"
            )
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "rates", rates)

    def zero_rate(self, times: Floats) -> Floats:
        """Continuously compounded zero rates at the given times."""
        t = np.asarray(times, dtype=np.float64)
        if self.interpolation is Interpolation.LINEAR_ZERO:
            return np.interp(t, self.times, self.rates)
        inside = np.clip(t, self.times[0], self.times[-1])
        log_discount = np.interp(inside, self.times, -self.rates * self.times)
        zero = -log_discount / inside
        return np.where(
            t <= self.times[0], self.rates[0], np.where(t >= self.times[-1], self.rates[-1], zero)
        )

    def discount(self, times: Floats) -> Floats:
        """Discount factors at the given times."""
        t = np.asarray(times, dtype=np.float64)
        return np.exp(-self.zero_rate(t) * t)


def bootstrap_par_curve(
    reference: date,
    tenors: Sequence[float],
    par_yields: Sequence[float],
    frequency: int = 2,
    interpolation: Interpolation = Interpolation.LOG_LINEAR_DISCOUNT,
) -> ZeroCurve:
    """Zero curve that prices at par a bond at each tenor paying its par yield.

    The bond at tenor ``T`` pays ``yield / frequency`` at ``T, T - 1/f, T - 2/f, ...``
    (a first period shorter than ``1/f`` pays pro rata) and 100 at ``T``; nodes are solved
    one by one, each with the curve interpolated through the nodes already found.
    """
    t_nodes = np.asarray(tenors, dtype=np.float64)
    yields = np.asarray(par_yields, dtype=np.float64)
    if (
        t_nodes.shape != yields.shape
        or t_nodes.size == 0
        or not (t_nodes[0] > 0 and (np.diff(t_nodes) > 0).all())
    ):
        raise InvalidCurve(
            "tenors must be positive, increasing and match the par yields", field="tenors"
        )
    rates: list[float] = []
    for i, (tenor, coupon) in enumerate(zip(t_nodes, yields, strict=True)):
        pay = tenor - np.arange(int(np.ceil(tenor * frequency - 1e-9))) / frequency
        accrual = np.diff(np.concatenate(([0.0], pay[::-1])))[::-1]
        partial = _ParBond(
            reference, t_nodes[: i + 1], tuple(rates), interpolation, pay, accrual, coupon
        )
        rates.append(float(brentq(partial.error, -0.5, 2.0, xtol=1e-15, rtol=1e-15, maxiter=200)))
    return ZeroCurve(reference, t_nodes, np.array(rates), interpolation)


@dataclass(frozen=True, slots=True)
class _ParBond:
    """A par bond priced on a curve whose last node rate is still unknown."""

    reference: date
    nodes: Floats
    known: tuple[float, ...]
    interpolation: Interpolation
    pay: Floats
    accrual: Floats
    coupon: float

    def error(self, rate: float) -> float:
        """Price minus par, per unit of face, with the last node at ``rate``."""
        curve = ZeroCurve(
            self.reference, self.nodes, np.array([*self.known, rate]), self.interpolation
        )
        discount = curve.discount(self.pay)
        return float(self.coupon * np.dot(self.accrual, discount) + discount[0] - 1.0)


@dataclass(frozen=True, slots=True)
class NelsonSiegelSvensson:
    """Svensson (1994) zero curve, continuously compounded.

    ``z(t) = beta0 + beta1 * L(t/tau1) + beta2 * C(t/tau1) + beta3 * C(t/tau2)`` with
    ``L(x) = (1 - exp(-x)) / x`` and ``C(x) = L(x) - exp(-x)``.
    """

    reference: date
    beta0: float
    beta1: float
    beta2: float
    beta3: float
    tau1: float
    tau2: float

    def zero_rate(self, times: Floats) -> Floats:
        """Continuously compounded zero rates (the short-rate limit at time zero)."""
        t = np.maximum(np.asarray(times, dtype=np.float64), 1e-12)
        x1, x2 = t / self.tau1, t / self.tau2
        level1, level2 = -np.expm1(-x1) / x1, -np.expm1(-x2) / x2
        return (
            self.beta0
            + self.beta1 * level1
            + self.beta2 * (level1 - np.exp(-x1))
            + self.beta3 * (level2 - np.exp(-x2))
        )

    def discount(self, times: Floats) -> Floats:
        """Discount factors at the given times."""
        t = np.asarray(times, dtype=np.float64)
        return np.exp(-self.zero_rate(t) * t)


@dataclass(frozen=True, slots=True)
class _CurveFlows:
    """Each flow's value at settlement on a curve before any spread, and its times."""

    base: Floats
    relative: Floats
    times: Floats


def _on_curve(cf: Cashflows, curve: DiscountCurve) -> _CurveFlows:
    origin = day_number(curve.reference)
    t_flow, t_settle = (cf.day - origin) / 365.0, (cf.settlement - origin) / 365.0
    base = cf.amount * curve.discount(t_flow) / curve.discount(t_settle)[cf.bond]
    return _CurveFlows(base, t_flow - t_settle[cf.bond], t_flow)


def _spread_values(cf: Cashflows, flows: _CurveFlows, spreads: Floats) -> Floats:
    """Each flow's value at settlement with its bond's spread over the curve."""
    values: Floats = flows.base * np.exp(-spreads[cf.bond] * flows.relative)
    return values


def _spread_prices(cf: Cashflows, flows: _CurveFlows, spreads: Floats) -> tuple[Floats, Floats]:
    """Dirty prices at the given spreads (one per bond) and their derivatives in the spread."""
    pv = _spread_values(cf, flows, spreads)
    return segment_sum(pv, cf.starts), segment_sum(-flows.relative * pv, cf.starts)


def fair_value(cf: Cashflows, curve: DiscountCurve, spreads: Floats | float = 0.0) -> Quote[Floats]:
    """Prices of each bond on ``curve`` plus a continuously compounded spread.

    The quote's yield is the bond's yield at that price.
    """
    z = np.broadcast_to(np.asarray(spreads, dtype=np.float64), (cf.size,))
    dirty, _ = _spread_prices(cf, _on_curve(cf, curve), z)
    clean = dirty - cf.accrued
    return Quote(yield_=yield_from_price(cf, clean), clean=clean, dirty=dirty, accrued=cf.accrued)


def z_spread(cf: Cashflows, curve: DiscountCurve, clean_prices: Floats | float) -> Floats:
    """Continuously compounded spread over ``curve`` that reprices each bond at its clean price."""
    clean = np.broadcast_to(np.asarray(clean_prices, dtype=np.float64), (cf.size,))
    dirty = clean + cf.accrued
    if not (dirty > 0).all():
        raise NonPositivePrice(
            "dirty price must be positive", field="clean_price", index=int(np.argmin(dirty > 0))
        )
    flows = _on_curve(cf, curve)

    def evaluate(z: Floats, bonds: Ints) -> tuple[Floats, Floats]:
        trial = np.zeros(cf.size)
        trial[bonds] = z
        value, slope = _spread_prices(cf, flows, trial)
        return value[bonds], slope[bonds]

    n = cf.size
    return solve_decreasing(
        evaluate, dirty, np.zeros(n), np.full(n, -1.0), np.full(n, 5.0), what="z-spread"
    )


def curve_key_rate_durations(
    cf: Cashflows,
    curve: DiscountCurve,
    spreads: Floats | float = 0.0,
    tenors: Sequence[float] = DEFAULT_KEY_TENORS,
) -> Floats:
    """Key-rate durations on the curve, analytic, shape ``(bonds, tenors)``.

    Each is ``-(dP/dk) / P`` for a shift of the zero rates by a linear tent around a key
    tenor (curve time); a row sums to the spread duration ``-(dP/dz) / P``.
    """
    flows = _on_curve(cf, curve)
    z = np.broadcast_to(np.asarray(spreads, dtype=np.float64), (cf.size,))
    pv = _spread_values(cf, flows, z)
    dirty = segment_sum(pv, cf.starts)
    krd = spread_over_keys(cf.bond, cf.size, flows.relative * pv, flows.times, tenors)
    return krd / dirty[:, None]


def fit_nelson_siegel_svensson(
    cf: Cashflows,
    clean_prices: Floats,
    reference: date,
    *,
    starts: Sequence[tuple[float, float]] = ((1.0, 5.0), (0.5, 3.0), (2.0, 10.0), (0.3, 8.0)),
) -> NelsonSiegelSvensson:
    """Svensson curve fitted to bond prices by least squares.

    Residuals are price errors over price x modified duration (about yield errors);
    several starting decay times are tried and the best fit is kept.
    """
    dirty = np.asarray(clean_prices, dtype=np.float64) + cf.accrued
    if dirty.shape != (cf.size,) or not (dirty > 0).all():
        raise NonPositivePrice("need one positive price per bond", field="clean_prices")
    scale = dirty * np.maximum(risk(cf, yield_from_price(cf, dirty - cf.accrued)).modified, 0.01)
    no_spread = np.zeros(cf.size)

    def residuals(p: Floats) -> Floats:
        flows = _on_curve(cf, NelsonSiegelSvensson(reference, *p))
        return (_spread_prices(cf, flows, no_spread)[0] - dirty) / scale

    horizon = max(float((cf.day - day_number(reference)).max()) / 365.0, 1e-6)
    level = float(np.log(cf.amount.sum() / dirty.sum()) / horizon)
    lower = [-1.0, -1.0, -1.0, -1.0, 0.05, 0.05]
    upper = [1.0, 1.0, 1.0, 1.0, 30.0, 30.0]
    fits = [
        least_squares(
            residuals,
            [level, 0.0, 0.0, 0.0, tau1, tau2],
            bounds=(lower, upper),
            xtol=1e-15,
            ftol=1e-15,
            gtol=1e-15,
            max_nfev=2000,
        )
        for tau1, tau2 in starts
    ]
    best = min(fits, key=lambda fit: float(fit.cost))
    return NelsonSiegelSvensson(reference, *(float(v) for v in best.x))
