"""Valuation API shapes: instrument analytics, cash-flow schedules, the calculator, curves.

Analytics figures are JSON numbers (floats): prices and accrued interest per 100 of face,
yields and rates in percent (7.1 means 7.1%), durations in years, convexity in years²,
DV01 per 100 of face for one basis point. Money is never a float: cash amounts are integers
in minor units of the currency.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import Field, PlainSerializer, model_validator
from pydantic_core import PydanticCustomError

from liquibond.analytics import BusinessDayConvention, Interpolation, YieldConvention
from liquibond.platform.schemas import RequestModel, ResponseModel
from liquibond.valuation.models import TENOR_SCALE, YIELD_SCALE

MAX_BATCH = 10_000
CURVE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

CleanPrice = Annotated[
    float, Field(allow_inf_nan=False, description="Clean price per 100 of face value")
]
YieldPercent = Annotated[
    float,
    Field(
        gt=-100,
        allow_inf_nan=False,
        description="Yield to maturity in percent (7.1 for 7.1%), compounded at the coupon "
        "frequency (street convention)",
    ),
]
Number = Annotated[Decimal, PlainSerializer(float, return_type=float)]
"""An exact decimal written as a JSON number."""


class PriceSource(StrEnum):
    """What an instrument's figures were computed from."""

    PRICE = "price"
    YIELD = "yield"
    CURVE = "curve"


class AnalyticsQuery(RequestModel):
    """How to value an instrument: from a clean price, a yield, or a curve plus a spread."""

    price: CleanPrice | None = None
    yield_: YieldPercent | None = Field(default=None, alias="yield")
    settlement_date: date | None = Field(
        default=None,
        description="Defaults to today's trade date plus the settlement cycle on the "
        "instrument's calendar",
    )
    curve: str | None = Field(
        default=None,
        pattern=CURVE_NAME_PATTERN,
        description="A curve's name: adds the z-spread, or with `spread_bp` values the bond",
    )
    spread_bp: float | None = Field(
        default=None,
        allow_inf_nan=False,
        description="Spread over `curve` in basis points (continuously compounded): prices "
        "the bond at fair value",
    )
    units: int | None = Field(
        default=None,
        gt=0,
        le=10**12,
        description="With `price`: also the exact cash of trading this many units at it "
        "(what an order ticket shows before sending)",
    )

    @model_validator(mode="after")
    def _one_price_source(self) -> Self:
        if len(self._given()) != 1:
            raise PydanticCustomError(
                "price_source", "give exactly one of price, yield and spread_bp"
            )
        if self.spread_bp is not None and self.curve is None:
            raise PydanticCustomError("curve_required", "spread_bp needs a curve")
        if self.units is not None and self.price is None:
            raise PydanticCustomError("price_required", "units needs a price")
        return self

    def _given(self) -> list[tuple[PriceSource, float]]:
        sources = (
            (PriceSource.PRICE, self.price),
            (PriceSource.YIELD, self.yield_),
            (PriceSource.CURVE, self.spread_bp),
        )
        return [(source, value) for source, value in sources if value is not None]

    @property
    def quote(self) -> tuple[PriceSource, float]:
        """The figure the others are computed from, and what it is."""
        [given] = self._given()
        return given


class Conventions(ResponseModel):
    """The market conventions an instrument is valued with."""

    name: str
    day_count: str
    frequency: int
    payment_calendar: str
    payment_convention: BusinessDayConvention
    redemption_convention: BusinessDayConvention
    yield_convention: YieldConvention
    settlement_calendar: str
    settlement_cycle_days: int


class BondMeasures(ResponseModel):
    """Prices, yield and yield risk of one bond at one settlement date."""

    clean_price: float
    dirty_price: float
    accrued_interest: float
    yield_: float = Field(serialization_alias="yield", description="Percent")
    macaulay_duration: float
    modified_duration: float
    convexity: float
    dv01: float = Field(description="Price change per 100 of face for a 1 bp fall in yield")
    dv01_per_unit: float = Field(description="DV01 of one unit, in the currency's major unit")


class CurveSpread(ResponseModel):
    """The bond's spread over a curve."""

    name: str
    as_of: date
    z_spread_bp: float = Field(description="Continuously compounded, in basis points")


class TradeCashOut(ResponseModel):
    """The exact cash of a trade, in minor units: principal + accrued = total, before fees."""

    units: int
    principal: int
    accrued: int
    total: int
    scale: int


class InstrumentAnalytics(BondMeasures):
    """An instrument's figures at a settlement date."""

    instrument_id: uuid.UUID
    isin: str
    currency: str
    settlement_date: date
    priced_from: PriceSource
    conventions: Conventions
    curve: CurveSpread | None = None
    cash: TradeCashOut | None = Field(default=None, description="When `units` was given")


class Cashflow(ResponseModel):
    """One scheduled payment of a bond."""

    kind: Literal["coupon", "redemption"]
    accrual_start: date | None = Field(description="Coupons only")
    accrual_end: date | None = Field(description="Coupons only")
    scheduled_date: date
    payment_date: date | None = Field(
        description="Moved off holidays; null where the calendar has no holiday data yet"
    )
    amount_per_100: float = Field(description="Per 100 of face value")
    amount_per_unit: int = Field(description="Per unit, in minor units of the currency")


class CalendarCoverage(ResponseModel):
    """The years a payment calendar has holiday data for."""

    code: str
    first_year: int | None
    last_year: int | None
    provisional_years: list[int]


class CashflowSchedule(ResponseModel):
    """Every coupon and the redemption of an instrument, from issue to maturity."""

    instrument_id: uuid.UUID
    isin: str
    currency: str
    face_value: int = Field(description="Minor units per unit")
    conventions: Conventions
    calendar: CalendarCoverage
    flows: list[Cashflow]
    total_per_unit: int = Field(description="Sum of the flows per unit, in minor units")


_SHARED_TERMS = ("settlement_date", "frequency", "day_count")


class BondQuote(RequestModel):
    """An ad-hoc fixed-coupon bond and its clean price or yield."""

    issue_date: date
    maturity_date: date
    first_coupon_date: date | None = None
    coupon_rate: float = Field(allow_inf_nan=False, description="Annual coupon in percent")
    frequency: int = Field(ge=0, le=12, description="Coupons a year: 1, 2, 4 or 12")
    day_count: str = Field(max_length=20, description="e.g. 30/360, ACT/ACT-ICMA, ACT/ACT-SEBI")
    face_value: float = Field(
        default=100, gt=0, allow_inf_nan=False, description="Of one unit, in currency units"
    )
    settlement_date: date
    price: CleanPrice | None = None
    yield_: YieldPercent | None = Field(default=None, alias="yield")

    @model_validator(mode="after")
    def _price_or_yield(self) -> Self:
        if (self.price is None) == (self.yield_ is None):
            raise PydanticCustomError("price_or_yield", "give exactly one of price and yield")
        return self


class BondBatch(RequestModel):
    """Up to 10,000 bonds; `settlement_date`, `frequency` and `day_count` given here apply
    to every bond that does not state its own (keeping a large batch under the body limit)."""

    settlement_date: date | None = None
    frequency: int | None = Field(default=None, ge=0, le=12)
    day_count: str | None = Field(default=None, max_length=20)
    bonds: list[BondQuote] = Field(min_length=1, max_length=MAX_BATCH)

    @model_validator(mode="before")
    @classmethod
    def _share_terms(cls, data: Any) -> Any:
        """Copy the batch's shared terms into every bond that lacks them."""
        if not isinstance(data, dict) or not isinstance(data.get("bonds"), list):
            return data
        shared = {name: data[name] for name in _SHARED_TERMS if data.get(name) is not None}
        if not shared:
            return data
        bonds = [{**shared, **bond} if isinstance(bond, dict) else bond for bond in data["bonds"]]
        return {**data, "bonds": bonds}


class BondBatchResult(ResponseModel):
    """Figures for every bond of a batch, in input order."""

    results: list[BondMeasures]


class CurvePointIn(RequestModel):
    """A par yield at a tenor or at a maturity date."""

    tenor_years: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=TENOR_SCALE)
    maturity_date: date | None = None
    par_yield: Decimal = Field(
        gt=-100, le=100, decimal_places=YIELD_SCALE, description="Percent, e.g. 6.85"
    )

    @model_validator(mode="after")
    def _tenor_or_maturity(self) -> Self:
        if (self.tenor_years is None) == (self.maturity_date is None):
            raise PydanticCustomError(
                "tenor_or_maturity", "give exactly one of tenor_years and maturity_date"
            )
        return self


class CurveUpload(RequestModel):
    """A par-yield curve: its points, as-of date, par-bond coupon frequency and interpolation."""

    as_of: date
    interpolation: Interpolation = Interpolation.LOG_LINEAR_DISCOUNT
    frequency: Literal[1, 2, 4, 12] = 2
    points: list[CurvePointIn] = Field(min_length=1, max_length=100)


class CurveNode(ResponseModel):
    """An input point with the bootstrapped zero rate and discount factor at its time."""

    tenor_years: Number | None
    maturity_date: date | None
    par_yield: Number
    time_years: float = Field(description="ACT/365F years from the as-of date")
    zero_rate: float = Field(description="Continuously compounded, percent")
    discount_factor: float


class NelsonSiegelSvenssonFit(ResponseModel):
    """Svensson curve fitted to the par bonds (betas in percent, decay times in years)."""

    beta0: float
    beta1: float
    beta2: float
    beta3: float
    tau1: float
    tau2: float
    zero_rates: list[float] = Field(description="At the nodes' times, percent")


class CurveOut(ResponseModel):
    """A curve's points and its bootstrapped zero curve."""

    name: str
    as_of: date
    interpolation: Interpolation
    frequency: int
    updated_at: datetime
    nodes: list[CurveNode]
    nelson_siegel_svensson: NelsonSiegelSvenssonFit | None = None
