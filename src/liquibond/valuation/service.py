"""Valuation use cases: an instrument's figures and cash flows, and the batch calculator.

The figures come from the analytics core's array functions, the same code whether one bond
or ten thousand are valued. Every analytics failure is a 422 problem carrying the core's
code and the API field it is about (see :mod:`liquibond.valuation.problems`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta, timezone
from decimal import Decimal
from functools import partial

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from liquibond.analytics import (
    DAY_COUNTS,
    INDIA_CORPORATE,
    INDIA_GSEC,
    NO_DATE,
    AnalyticsError,
    BondArray,
    BondTerms,
    Bools,
    BusinessDayConvention,
    CalendarCoverageError,
    Cashflows,
    Floats,
    Ints,
    MarketConvention,
    Payment,
    Quote,
    StubRule,
    YieldConvention,
    as_days,
    cashflows,
    day_count,
    fair_value,
    get_calendar,
    price_from_yield,
    risk,
    scheduled_payments,
    settlement_date,
    trade_cash,
    yield_from_price,
    z_spread,
)
from liquibond.identity.service import Principal
from liquibond.instruments.models import Instrument
from liquibond.instruments.service import InstrumentService
from liquibond.ledger.service import LedgerService
from liquibond.platform.db import utcnow
from liquibond.platform.errors import Problem
from liquibond.valuation.curves import CurveService, NamedCurve
from liquibond.valuation.problems import API_NAMES, at, field_path, reported, unprocessable
from liquibond.valuation.schemas import (
    AnalyticsQuery,
    BondBatch,
    BondBatchResult,
    BondMeasures,
    BondQuote,
    CalendarCoverage,
    Cashflow,
    CashflowSchedule,
    Conventions,
    CurveSpread,
    InstrumentAnalytics,
    PriceSource,
    TradeCashOut,
)

#: Trade dates are Indian market dates (every calendar shipped is Indian; IST has no DST).
MARKET_TIME = timezone(timedelta(hours=5, minutes=30), "IST")
GSEC_ISIN_PREFIX = "IN00"  # central government securities; state loans are IN + a state code
INDIA_ISIN_PREFIX = "IN"
#: Coupon periods one batch may ask for (about 10,000 bonds of 50 years paying half-yearly):
#: memory and time grow with them, not with the number of bonds alone.
MAX_BATCH_PERIODS = 1_000_000
PER_100_SCALE = 6  # amounts per 100 of face are computed exactly to six decimals

_FIGURES = (
    "clean_price",
    "dirty_price",
    "accrued_interest",
    "yield_",
    "macaulay_duration",
    "modified_duration",
    "convexity",
    "dv01",
    "dv01_per_unit",
)
_INSTRUMENT_FIELDS = {**API_NAMES, "frequency": "coupon_frequency"}
_QUERY_FIELDS = {
    PriceSource.PRICE: "query.price",
    PriceSource.YIELD: "query.yield",
    PriceSource.CURVE: "query.spread_bp",
}


def trade_date() -> date:
    """Today's trade date in the Indian market."""
    return utcnow().astimezone(MARKET_TIME).date()


async def fair_clean_price(
    session: AsyncSession, instrument: Instrument, scale: int, curve_name: str, settles: date
) -> float | None:
    """The bond's clean price per 100 on a stored curve (zero spread) for settlement on
    `settles`; None if the curve is missing or cannot value the bond."""
    try:
        curve = await CurveService(session).zero_curve(curve_name)
        _, terms = instrument_terms(instrument, scale)
        flows = cashflows(BondArray.of([terms]), settles)
        return float(fair_value(flows, curve.zero).clean[0])
    except (Problem, AnalyticsError):
        return None


def _convention(instrument: Instrument) -> MarketConvention:
    """Indian government bonds (G-secs `IN00…` and state loans `IN<state code>…`) and other
    Indian bonds follow their market; any other bond its own terms, with the record date of
    listed debt on this venue (so the same ex-coupon period as Indian corporates)."""
    isin = instrument.isin
    if isin.startswith(INDIA_ISIN_PREFIX) and isin[2:4].isdigit():
        return INDIA_GSEC
    if instrument.isin.startswith(INDIA_ISIN_PREFIX):
        return INDIA_CORPORATE
    return MarketConvention(
        "Instrument terms",
        instrument.day_count,
        instrument.coupon_frequency,
        instrument.calendar,
        BusinessDayConvention.FOLLOWING,
        BusinessDayConvention.FOLLOWING,
        ex_coupon_days=INDIA_CORPORATE.ex_coupon_days,
    )


def instrument_terms(instrument: Instrument, scale: int) -> tuple[MarketConvention, BondTerms]:
    """An instrument's analytics terms under its market's conventions, with their source.

    The coupon (percent) becomes a fraction and the face value (minor units) currency units;
    the coupon frequency and first coupon date are always the instrument's own.
    """
    if instrument.coupon_frequency == 0:
        raise unprocessable(
            "analytics.unsupported_instrument",
            "The analytics core does not value zero-coupon bonds yet.",
            "instrument.coupon_frequency",
        )
    convention = _convention(instrument)
    with reported(partial(field_path, "instrument", names=_INSTRUMENT_FIELDS)):
        terms = convention.terms(
            instrument.issue_date,
            instrument.maturity_date,
            instrument.coupon_rate / 100,
            frequency=instrument.coupon_frequency,
            first_coupon=instrument.first_coupon_date,
            face_value=Decimal(instrument.face_value).scaleb(-scale),
        )
    return convention, terms


class ValuationService:
    """Figures and schedules of instruments the viewer may see; reads only."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def analytics(
        self, viewer: Principal | None, instrument_id: uuid.UUID, query: AnalyticsQuery
    ) -> InstrumentAnalytics:
        """Prices, yield and risk at a settlement date from a price, a yield or a curve.

        With a curve and a price or yield, the bond's z-spread over the curve is added; with a
        curve and a spread, the bond is priced at that spread over the curve (fair value).
        """
        instrument, scale = await self._instrument(viewer, instrument_id)
        source, value = query.quote
        curve = await CurveService(self._session).zero_curve(query.curve) if query.curve else None
        convention, terms = instrument_terms(instrument, scale)
        with reported(at("query.settlement_date")):
            settles = query.settlement_date or settlement_date(
                trade_date(), instrument.settlement_cycle_days, instrument.calendar
            )
            flows = cashflows(BondArray.of([terms]), settles)
        field = _QUERY_FIELDS[source]
        with reported(at(field)):
            if source is PriceSource.CURVE:
                assert curve is not None  # the query requires one with a spread
                quote = fair_value(flows, curve.zero, value / 10_000)
            else:
                quote = _quote(source, flows, np.array([value]))
        face = np.array([float(terms.face_value)])
        [figures] = _rows(_figures(flows, quote, face), lambda _: field)
        return InstrumentAnalytics(
            **figures,
            instrument_id=instrument.id,
            isin=instrument.isin,
            currency=instrument.currency,
            settlement_date=settles,
            priced_from=source,
            conventions=_conventions(convention, terms, instrument),
            curve=None if curve is None else _spread(curve, flows, quote, source, value),
            cash=None if query.units is None else _trade_cash(terms, settles, query, scale),
        )

    async def cashflows(
        self, viewer: Principal | None, instrument_id: uuid.UUID
    ) -> CashflowSchedule:
        """Every coupon and the redemption, per 100 of face and per unit in minor units."""
        instrument, scale = await self._instrument(viewer, instrument_id)
        convention, terms = instrument_terms(instrument, scale)
        flows = await run_in_threadpool(payment_schedule, terms, scale)  # long bonds: ~0.1 s
        calendar = get_calendar(terms.calendar)
        return CashflowSchedule(
            instrument_id=instrument.id,
            isin=instrument.isin,
            currency=instrument.currency,
            face_value=instrument.face_value,
            conventions=_conventions(convention, terms, instrument),
            calendar=CalendarCoverage(
                code=calendar.code,
                first_year=calendar.first_year,
                last_year=calendar.last_year,
                provisional_years=list(calendar.provisional_years),
            ),
            flows=flows,
            total_per_unit=sum(flow.amount_per_unit for flow in flows),
        )

    async def _instrument(
        self, viewer: Principal | None, instrument_id: uuid.UUID
    ) -> tuple[Instrument, int]:
        instrument = await InstrumentService(self._session).get(viewer, instrument_id)
        currency = await LedgerService(self._session).asset(instrument.currency)
        return instrument, currency.scale


def _conventions(
    convention: MarketConvention, terms: BondTerms, instrument: Instrument
) -> Conventions:
    return Conventions(
        name=convention.name,
        day_count=terms.day_count,
        frequency=terms.frequency,
        payment_calendar=terms.calendar,
        payment_convention=terms.payment_convention,
        redemption_convention=terms.redemption_convention,
        yield_convention=terms.yield_convention,
        settlement_calendar=instrument.calendar,
        settlement_cycle_days=instrument.settlement_cycle_days,
    )


def _spread(
    curve: NamedCurve, flows: Cashflows, quote: Quote[Floats], source: PriceSource, value: float
) -> CurveSpread:
    """The bond's z-spread over the curve: the one given, or the one its price implies."""
    if source is PriceSource.CURVE:
        spread = value / 10_000
    else:
        with reported(at("query.curve")):
            spread = float(z_spread(flows, curve.zero, quote.clean)[0])
    return CurveSpread(name=curve.name, as_of=curve.as_of, z_spread_bp=spread * 10_000)


def _quote(source: PriceSource, flows: Cashflows, given: Floats) -> Quote[Floats]:
    """Quotes from clean prices or from yields in percent."""
    if source is PriceSource.YIELD:
        return price_from_yield(flows, given / 100)
    return Quote(yield_from_price(flows, given), given, given + flows.accrued, flows.accrued)


def _figures(flows: Cashflows, quote: Quote[Floats], face: Floats) -> Floats:
    """The columns of :data:`_FIGURES`, one row per bond."""
    measures = risk(flows, quote.yield_)
    return np.column_stack(
        (
            quote.clean,
            quote.dirty,
            quote.accrued,
            quote.yield_ * 100,
            measures.macaulay,
            measures.modified,
            measures.convexity,
            measures.dv01,
            measures.dv01 * face / 100,
        )
    )


def _rows(table: Floats, field_of: Callable[[int], str]) -> list[dict[str, float]]:
    """The figures by name, refusing any that overflowed (absurd yields or terms)."""
    bad = ~np.isfinite(table).all(axis=1)
    if bad.any():
        raise unprocessable(
            "analytics.out_of_range",
            "The figures are too large to represent; check the yield and the terms.",
            field_of(int(np.argmax(bad))),
        )
    return [dict(zip(_FIGURES, row, strict=True)) for row in table.tolist()]


def payment_schedule(terms: BondTerms, scale: int) -> list[Cashflow]:
    """Every coupon and the redemption, paid on the bond's calendar.

    Where the calendar has no holiday data for a payment yet, its date is left unknown and
    its amount is the one due on the scheduled date.
    """
    undated = replace(
        terms,
        payment_convention=BusinessDayConvention.UNADJUSTED,
        redemption_convention=BusinessDayConvention.UNADJUSTED,
    )
    flows: list[Cashflow] = []
    accrual_start = terms.issue_date
    for due in _due_dates(terms):
        try:
            payments, dated = _payments_due(terms, due, scale), True
        except CalendarCoverageError:
            payments, dated = _payments_due(undated, due, scale), False
        for per_unit, per_100 in payments:
            coupon = per_unit.kind == "coupon"
            flows.append(
                Cashflow(
                    kind="coupon" if coupon else "redemption",
                    accrual_start=accrual_start if coupon else None,
                    accrual_end=due if coupon else None,
                    scheduled_date=due,
                    payment_date=per_unit.payment_date if dated else None,
                    amount_per_100=float(Decimal(per_100.amount).scaleb(-PER_100_SCALE)),
                    amount_per_unit=per_unit.amount,
                )
            )
        accrual_start = due
    return flows


def _due_dates(terms: BondTerms) -> list[date]:
    """The bond's unadjusted coupon dates, the last being its maturity."""
    dates: list[date] = BondArray.of([terms]).schedule.end.astype("datetime64[D]").tolist()
    return dates


def _payments_due(terms: BondTerms, due: date, scale: int) -> list[tuple[Payment, Payment]]:
    """The payments due on ``due``: per unit in minor units, and per 100 of face."""
    per_100 = replace(terms, face_value=Decimal(100))
    return list(
        zip(
            scheduled_payments(terms, 1, scale, due, due),
            scheduled_payments(per_100, 1, PER_100_SCALE, due, due),
            strict=True,
        )
    )


async def value_bonds(batch: BondBatch) -> BondBatchResult:
    """Figures of every bond in the batch, computed as arrays in a worker thread."""
    return await run_in_threadpool(_value_batch, batch.bonds)


def _value_batch(quotes: Sequence[BondQuote]) -> BondBatchResult:
    """Price-quoted and yield-quoted bonds are valued as two arrays, results kept in order."""
    batch = _Batch.of(quotes)
    table = np.empty((len(quotes), len(_FIGURES)))
    for source, rows in (
        (PriceSource.PRICE, np.flatnonzero(batch.by_price)),
        (PriceSource.YIELD, np.flatnonzero(~batch.by_price)),
    ):
        if rows.size:
            with reported(partial(_bond_field, rows)):
                flows = cashflows(batch.bonds(rows), batch.settlement[rows])
                quote = _quote(source, flows, batch.given[rows])
                table[rows] = _figures(flows, quote, batch.face[rows])
    figures = _rows(table, lambda index: f"body.bonds.{index}")
    return BondBatchResult(results=[BondMeasures(**row) for row in figures])


def _bond_field(rows: Ints, error: AnalyticsError) -> str:
    """``body.bonds.<index in the request>.<field>`` of an error in the bonds ``rows``."""
    if error.index is None:
        return "body.bonds"
    return field_path(f"body.bonds.{rows[error.index]}", error)


@dataclass(frozen=True, slots=True)
class _Batch:
    """A batch's bonds as arrays; each bond is quoted by clean price or by yield in percent."""

    issue: Ints
    maturity: Ints
    first_coupon: Ints
    coupon: Floats
    frequency: Ints
    day_count: Ints
    settlement: Ints
    face: Floats
    by_price: Bools
    given: Floats

    @classmethod
    def of(cls, quotes: Sequence[BondQuote]) -> _Batch:
        """The arrays of a request's bonds, refusing unknown day counts and oversized work."""
        issue = as_days([quote.issue_date for quote in quotes])
        maturity = as_days([quote.maturity_date for quote in quotes])
        frequency = np.array([quote.frequency for quote in quotes], dtype=np.int64)
        periods = float((np.maximum(maturity - issue, 0) / 365.25 * frequency).sum())
        if periods > MAX_BATCH_PERIODS:
            raise unprocessable(
                "analytics.batch_too_large",
                f"The bonds have about {periods:,.0f} coupon periods; "
                f"at most {MAX_BATCH_PERIODS:,} are valued per request.",
                "body.bonds",
            )
        return cls(
            issue=issue,
            maturity=maturity,
            first_coupon=_optional_days([quote.first_coupon_date for quote in quotes]),
            coupon=np.array([quote.coupon_rate for quote in quotes]) / 100,
            frequency=frequency,
            day_count=_day_count_positions([quote.day_count for quote in quotes]),
            settlement=as_days([quote.settlement_date for quote in quotes]),
            face=np.array([quote.face_value for quote in quotes]),
            by_price=np.array([quote.price is not None for quote in quotes]),
            given=np.array([_given(quote) for quote in quotes]),
        )

    def bonds(self, rows: Ints) -> BondArray:
        """The given rows as bonds under BondTerms' defaults: street yields, a short first
        stub, the end-of-month rule, no ex-coupon period, payments on weekdays."""
        n = len(rows)
        following = list(BusinessDayConvention).index(BusinessDayConvention.FOLLOWING)
        return BondArray(
            issue=self.issue[rows],
            maturity=self.maturity[rows],
            coupon=self.coupon[rows],
            frequency=self.frequency[rows],
            day_count=self.day_count[rows],
            first_coupon=self.first_coupon[rows],
            stub=np.full(n, list(StubRule).index(StubRule.SHORT_FIRST)),
            end_of_month=np.ones(n, dtype=np.bool_),
            ex_coupon_days=np.zeros(n, dtype=np.int64),
            ex_coupon_business_days=np.zeros(n, dtype=np.bool_),
            calendar=np.zeros(n, dtype=np.int64),
            calendars=("WEEKENDS",),
            payment_convention=np.full(n, following),
            redemption_convention=np.full(n, following),
            redemption=np.full(n, 100.0),
            yield_convention=np.full(n, list(YieldConvention).index(YieldConvention.STREET)),
        )


def _given(quote: BondQuote) -> float:
    """The bond's clean price, or else its yield in percent."""
    given = quote.price if quote.price is not None else quote.yield_
    assert given is not None  # one of the two, by validation
    return given


def _optional_days(dates: list[date | None]) -> Ints:
    """Day numbers, with the core's no-date marker where a date is absent."""
    days = np.full(len(dates), NO_DATE)
    given = [index for index, day in enumerate(dates) if day is not None]
    days[given] = as_days([dates[index] for index in given])
    return days


def _day_count_positions(codes: list[str]) -> Ints:
    """Each code's position in DAY_COUNTS; an unknown one is a problem at its first bond."""
    positions: dict[str, int] = {}
    for index, code in enumerate(codes):
        if code not in positions:
            with reported(at(f"body.bonds.{index}.day_count")):
                positions[code] = DAY_COUNTS.index(day_count(code))
    return np.array([positions[code] for code in codes], dtype=np.int64)


def _trade_cash(terms: BondTerms, settles: date, query: AnalyticsQuery, scale: int) -> TradeCashOut:
    """What trading `query.units` at `query.price` costs, exactly as a trade would settle."""
    assert query.units is not None and query.price is not None  # the query requires both
    # str() of a float is its shortest round-trip form: the decimal the client sent.
    price = Decimal(str(query.price))
    with reported(at("query.price")):
        cash = trade_cash(terms, settles, query.units, price, scale)
    return TradeCashOut(
        units=query.units,
        principal=cash.principal,
        accrued=cash.accrued,
        total=cash.total,
        scale=scale,
    )
