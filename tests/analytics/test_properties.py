"""Invariants of the pricing maths, checked on random bonds (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liquibond.analytics import (
    DAY_COUNTS,
    BondArray,
    BondTerms,
    StubRule,
    YieldConvention,
    accrued_fraction,
    bond_key_rate_durations,
    bond_price,
    bond_risk,
    bond_yield,
    cashflows,
    key_rate_durations,
    price_from_yield,
    risk,
    yield_from_price,
)

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def bonds(draw: st.DrawFn) -> tuple[BondTerms, date]:
    """Random valid bond terms and a settlement date within the bond's life."""
    issue = draw(st.dates(date(1995, 1, 1), date(2035, 12, 31)))
    frequency = draw(st.sampled_from((1, 2, 4, 12)))
    days = draw(st.integers(3 * 366 // frequency + 31, 40 * 365))
    terms = BondTerms(
        issue,
        issue + timedelta(days=days),
        Decimal(draw(st.integers(0, 2000))) / 10000,
        frequency,
        draw(st.sampled_from([dc.code for dc in DAY_COUNTS])),
        stub=draw(st.sampled_from(list(StubRule))),
        end_of_month=draw(st.booleans()),
        ex_coupon_days=draw(st.sampled_from((0, 0, 5, 10))),
        yield_convention=draw(st.sampled_from(list(YieldConvention))),
    )
    settlement = issue + timedelta(days=draw(st.integers(0, days - 1)))
    return terms, settlement


yields = st.floats(-0.015, 0.25, allow_nan=False)


@PROPERTY_SETTINGS
@given(bonds(), yields)
def test_yield_of_price_of_yield_round_trips(bond: tuple[BondTerms, date], yield_: float) -> None:
    terms, settlement = bond
    clean = bond_price(terms, settlement, yield_).clean
    solved = bond_yield(terms, settlement, clean)
    assert solved == pytest.approx(yield_, abs=1e-10)
    assert bond_price(terms, settlement, solved).clean == pytest.approx(clean, rel=1e-12, abs=1e-10)


@PROPERTY_SETTINGS
@given(bonds(), yields)
def test_durations_and_convexity_are_derivatives_of_price(
    bond: tuple[BondTerms, date], yield_: float
) -> None:
    terms, settlement = bond
    measures = bond_risk(terms, settlement, yield_)
    h = 1e-5
    up, down = (bond_price(terms, settlement, yield_ + s * h).dirty for s in (1, -1))
    centre = bond_price(terms, settlement, yield_).dirty
    assert measures.dirty == centre
    slope = (up - down) / (2 * h)
    assert measures.modified == pytest.approx(-slope / centre, rel=1e-6, abs=1e-7)
    assert measures.dv01 == pytest.approx(-slope * 1e-4, rel=1e-6, abs=1e-9)
    h = 1e-4
    up, down = (bond_price(terms, settlement, yield_ + s * h).dirty for s in (1, -1))
    curvature = (up - 2 * centre + down) / h**2
    assert measures.convexity == pytest.approx(curvature / centre, rel=1e-4, abs=1e-3)


@PROPERTY_SETTINGS
@given(bonds(), yields)
def test_macaulay_duration_for_compounding_yields(
    bond: tuple[BondTerms, date], yield_: float
) -> None:
    terms, settlement = bond
    compound = replace(terms, yield_convention=YieldConvention.COMPOUND)
    measures = bond_risk(compound, settlement, yield_)
    assert measures.macaulay == pytest.approx(
        measures.modified * (1 + yield_ / terms.frequency), rel=1e-12
    )


@PROPERTY_SETTINGS
@given(bonds(), yields)
def test_clean_plus_accrued_is_dirty_and_accrued_is_exact(
    bond: tuple[BondTerms, date], yield_: float
) -> None:
    terms, settlement = bond
    quote = bond_price(terms, settlement, yield_)
    assert quote.clean + quote.accrued == pytest.approx(quote.dirty, abs=1e-12)
    exact = 100 * Fraction(terms.coupon_rate) * accrued_fraction(terms, settlement)
    assert quote.accrued == pytest.approx(float(exact), abs=1e-13)
    # the dirty price is the present value of the flows the buyer receives, summed here
    # directly from the flows table with the discount factor of the bond's convention
    flows = cashflows(BondArray.of([terms]), settlement)
    rate = yield_ / terms.frequency
    s = flows.simple_periods[0]
    pv = sum(
        a / ((1 + s * rate) * (1 + rate) ** (t - s))
        for a, t in zip(flows.amount, flows.periods, strict=True)
    )
    assert quote.dirty == pytest.approx(pv, rel=1e-13)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(bonds(), yields), min_size=1, max_size=8))
def test_scalar_path_equals_vector_path(cases: list[tuple[tuple[BondTerms, date], float]]) -> None:
    terms = [bond[0] for bond, _ in cases]
    settlements = np.array([bond[1] for bond, _ in cases], dtype="datetime64[D]")
    ys = np.array([y for _, y in cases])
    flows = cashflows(BondArray.of(terms), settlements)
    quote = price_from_yield(flows, ys)
    measures = risk(flows, ys)
    solved = yield_from_price(flows, quote.clean)
    krd = key_rate_durations(flows, ys)
    for i, ((term, settlement), y) in enumerate(cases):
        one = bond_price(term, settlement, y)
        assert (one.clean, one.dirty, one.accrued) == (
            quote.clean[i],
            quote.dirty[i],
            quote.accrued[i],
        )
        r = bond_risk(term, settlement, y)
        assert (r.macaulay, r.modified, r.convexity, r.dv01) == (
            measures.macaulay[i],
            measures.modified[i],
            measures.convexity[i],
            measures.dv01[i],
        )
        assert bond_yield(term, settlement, float(quote.clean[i])) == solved[i]
        assert np.array_equal(bond_key_rate_durations(term, settlement, y), krd[i])


@PROPERTY_SETTINGS
@given(bonds(), yields)
def test_key_rate_durations_sum_to_modified_duration(
    bond: tuple[BondTerms, date], yield_: float
) -> None:
    terms, settlement = bond
    krd = bond_key_rate_durations(terms, settlement, yield_)
    assert krd.sum() == pytest.approx(
        bond_risk(terms, settlement, yield_).modified, rel=1e-12, abs=1e-14
    )
    assert (krd >= 0).all()
