"""Portfolio API shapes. Money is integers in minor units of `currency` (with its `scale`);
prices are clean per 100 of face; yields in percent; durations in years; DV01 in currency
units."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from liquibond.platform.schemas import ResponseModel
from liquibond.portfolio.valuation import MarkSource


class LotSource(StrEnum):
    """How a lot's units came in."""

    TRADE = "trade"
    AUCTION = "auction"  # allotted in a primary auction: cost is what the allocation paid
    TRANSFER = "transfer"  # not by a trade (issuance, a transfer): cost unknown


class StatementFormat(StrEnum):
    """Statement file formats."""

    CSV = "csv"
    PDF = "pdf"


class LotOut(ResponseModel):
    """Units still held from one acquisition (FIFO order)."""

    acquired_on: date
    source: LotSource
    trade_id: uuid.UUID | None
    auction_id: uuid.UUID | None
    units: int
    cost: int | None = Field(description="Clean cost of the units left; null: unknown")
    average_price: Decimal | None
    fee: int = Field(description="The buy fee still carried by these units")


class Valued(ResponseModel):
    """A position's figures at its mark (null without a mark, or where it cannot be valued)."""

    mark: Decimal | None = Field(description="Clean price per 100 the position is valued at")
    mark_source: MarkSource | None
    valuation_date: date | None = Field(
        description="The settlement date the figures are for: today + the settlement cycle"
    )
    market_value: int | None = Field(description="Clean value of every unit held")
    accrued_interest: int | None
    dirty_value: int | None
    unrealised_pnl: int | None = Field(
        description="Clean value of the units of known cost minus their cost (gross of fees)"
    )
    yield_percent: float | None
    modified_duration: float | None
    dv01: float | None


class HoldingSummary(Valued):
    """What I hold of one instrument, valued."""

    instrument_id: uuid.UUID
    isin: str
    name: str
    currency: str
    scale: int
    face_value: int = Field(description="Face value of one unit")
    units: int = Field(description="Units held now (the ledger's balance, in every bucket)")
    locked_units: int = Field(description="Units reserved for my open sell orders")
    settled_units: int = Field(description="Units held once every pending trade settled back")
    pending_buy_units: int = Field(description="Bought, settling on a future date")
    pending_sell_units: int = Field(description="Sold, settling on a future date")
    units_without_cost: int = Field(
        description="Units that did not come from a trade (issuance, transfers): no cost basis, "
        "left out of average cost and P&L"
    )
    cost: int = Field(description="Clean cost of the units of known cost (FIFO)")
    average_price: Decimal | None = Field(description="Average clean cost per 100 of face")
    realised_pnl: int
    fees: int = Field(description="Every fee paid on this instrument's trades")


class HoldingOut(HoldingSummary):
    """A holding with its FIFO tax lots, oldest first."""

    lots: list[LotOut]


class CashOut(ResponseModel):
    """Cash in one currency by bucket."""

    currency: str
    scale: int
    available: int
    locked: int = Field(description="Reserved for open buy orders")
    other: int = Field(description="In escrow or pending withdrawal")
    total: int


class TotalsOut(ResponseModel):
    """Portfolio totals in one currency; weighted figures by dirty value."""

    currency: str
    scale: int
    market_value: int
    accrued_interest: int
    dirty_value: int
    cost: int
    unrealised_pnl: int
    realised_pnl: int
    fees: int
    dv01: float
    yield_percent: float | None = Field(description="Weighted by dirty value")
    modified_duration: float | None = Field(description="Weighted by dirty value")
    unvalued_positions: int = Field(description="Positions without a mark, left out of values")
    cash: int
    total_value: int = Field(description="Dirty value of the holdings plus cash")


class PortfolioOut(ResponseModel):
    """My portfolio: totals per currency, cash by bucket, and a summary of each holding."""

    as_of: datetime
    totals: list[TotalsOut]
    cash: list[CashOut]
    holdings: list[HoldingSummary]


class HoldingsOut(ResponseModel):
    """Every instrument I hold, with its lots."""

    as_of: datetime
    items: list[HoldingOut]


class DisposalOut(ResponseModel):
    """One sale, redemption or transfer out, and what it realised (FIFO)."""

    on: date
    trade_id: uuid.UUID | None = Field(description="Null for a redemption or a transfer out")
    units: int
    matched_units: int = Field(description="Sold units of known cost: the realised ones")
    proceeds: int
    cost: int
    realised_pnl: int = Field(description="proceeds - cost (clean, gross of fees)")
    fees: int = Field(description="The sell fee and consumed buy fees of the matched units")
    realised_pnl_net: int


class PnlRow(ResponseModel):
    """P&L of one instrument I hold or held."""

    instrument_id: uuid.UUID
    isin: str
    name: str
    currency: str
    scale: int
    units: int
    cost: int
    realised_pnl: int = Field(description="FIFO, clean, gross of fees")
    realised_fees: int
    realised_pnl_net: int
    unrealised_pnl: int | None
    mark: Decimal | None
    mark_source: MarkSource | None
    fees: int = Field(description="Every fee paid on this instrument's trades")
    accrued_paid: int = Field(description="Accrued interest paid on my purchases")
    accrued_received: int = Field(description="Accrued interest received on my sales")
    coupons: int = Field(description="Coupons paid to me, gross")
    redemptions: int = Field(
        description="Redemptions (and calls) paid to me, gross: principal and final coupon"
    )
    tax_withheld: int = Field(description="Tax withheld from my coupons and redemptions")
    units_without_cost: int
    unmatched_units: int = Field(description="Units sold or moved out without a known cost")
    disposals: list[DisposalOut]


class PnlTotals(ResponseModel):
    """P&L totals in one currency."""

    currency: str
    scale: int
    realised_pnl: int
    realised_fees: int
    realised_pnl_net: int
    unrealised_pnl: int
    fees: int
    coupons: int
    redemptions: int
    tax_withheld: int


class PnlOut(ResponseModel):
    """P&L per instrument and in total."""

    as_of: datetime
    items: list[PnlRow]
    totals: list[PnlTotals]


class CashflowOut(ResponseModel):
    """An upcoming coupon or redemption of a holding, for my units now."""

    instrument_id: uuid.UUID
    isin: str
    name: str
    kind: str = Field(description="coupon or redemption")
    action_id: uuid.UUID | None = Field(description="The corporate action, once scheduled")
    record_date: date
    ex_date: date
    payment_date: date = Field(description="Business-day adjusted")
    units: int
    amount_per_unit: int
    expected_amount: int = Field(description="units x amount_per_unit, gross of tax")
    currency: str
    scale: int


class CashflowTotal(ResponseModel):
    """Expected receipts in one currency."""

    currency: str
    scale: int
    expected_amount: int


class CashflowsOut(ResponseModel):
    """Upcoming coupons and redemptions of my holdings, by payment date."""

    from_: date = Field(serialization_alias="from", description="Today")
    until: date
    items: list[CashflowOut]
    totals: list[CashflowTotal]
