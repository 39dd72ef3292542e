"""Portfolio use cases: holdings valued at their marks, P&L, the cash-flow calendar,
statements and contract notes. Reads only; every figure is of the caller's own account.

Where the numbers come from:

* Units held are the ledger's balances (the only writer of balances). Their history is the
  ledger's postings on the bond's asset, one movement per journal entry; an entry that is a
  trade (matched through the trade's journal entry) brings its price, clean amount, accrued
  interest and fee; units retired on redemption leave at the redemption price (a sale to
  the issuer at par, for P&L); any other entry (an issuer's minted issue, a transfer) moves
  units without a price. FIFO lots and realised P&L follow from that history
  (:mod:`liquibond.portfolio.lots`): units that did not come from a trade have no cost basis,
  so they are left out of average cost and P&L and counted as `units_without_cost`.
* A trade moves units and cash at once but settles on its settlement date: until then its
  units are pending (`pending_buy_units`, `pending_sell_units`); `settled_units` is what the
  holding is once they settle back out.
* The mark is the last trade's price, else the fair value on the instrument's reference
  curve, else there is none and the holding is not valued (:mod:`.valuation`). Figures are
  for settlement of a trade done today (today + the settlement cycle), as a sale would be.
* Coupons, redemptions and tax withheld come from the corporate actions service.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.analytics import AnalyticsError
from liquibond.auctions.service import Allotment, allotments
from liquibond.corporate_actions.service import CorporateActionService, Payout
from liquibond.instruments.models import Instrument
from liquibond.instruments.service import InstrumentService
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import Balance, LedgerService, StatementLine
from liquibond.platform.db import utcnow
from liquibond.platform.errors import FieldError, Problem, Unprocessable
from liquibond.portfolio import documents
from liquibond.portfolio.lots import Movement, Position, fifo
from liquibond.portfolio.schemas import (
    CashflowOut,
    CashflowsOut,
    CashflowTotal,
    CashOut,
    DisposalOut,
    HoldingOut,
    HoldingsOut,
    HoldingSummary,
    LotOut,
    LotSource,
    PnlOut,
    PnlRow,
    PnlTotals,
    PortfolioOut,
    TotalsOut,
)
from liquibond.portfolio.valuation import (
    Figures,
    Mark,
    average_price,
    choose_mark,
    clean_value,
    value_position,
    weighted_average,
    yield_at,
)
from liquibond.trading import history
from liquibond.trading.history import Fill
from liquibond.trading.models import OrderSide
from liquibond.trading.service import Market, market_of
from liquibond.valuation.service import MARKET_TIME, fair_clean_price, trade_date

#: Longest period one statement covers, in days (a year, leap day included).
MAX_STATEMENT_DAYS = 366
#: How far ahead the cash-flow calendar looks at most, and by default.
MAX_CASHFLOW_DAYS = 3_660
DEFAULT_CASHFLOW_DAYS = 365
_PAGE = 500  # ledger postings read per query
_TRADE_KIND = "trade"
#: The kind of a redemption's payout, and of the ledger entry by which corporate actions
#: retire the redeemed units.
REDEMPTION_KIND = "redemption"
#: The redemption price (per 100 of face) of a bond the analytics cannot value.
REDEEMED_AT = Decimal(100)


def market_date(moment: datetime) -> date:
    """The Indian market date of a moment."""
    return moment.astimezone(MARKET_TIME).date()


def _start_of(day: date) -> datetime:
    """The moment a market date begins."""
    return datetime.combine(day, time(), MARKET_TIME)


def statement_period(start: date, end: date) -> None:
    """422 unless `start` ≤ `end` ≤ today and the period is at most a year long."""
    if start > end:
        raise Unprocessable(
            code="statement.invalid_range",
            detail="`from` must not be after `to`.",
            errors=[FieldError("query.from", "after `to`", "invalid_range")],
        )
    if end > trade_date():
        raise Unprocessable(
            code="statement.future_period",
            detail="A statement covers days that have begun: `to` must not be after today.",
            errors=[FieldError("query.to", "after today", "future_period")],
        )
    if (end - start).days + 1 > MAX_STATEMENT_DAYS:
        raise Unprocessable(
            code="statement.range_too_long",
            detail=f"One statement covers at most {MAX_STATEMENT_DAYS} days.",
            errors=[FieldError("query.from", "period too long", "range_too_long")],
            extra={"max_days": MAX_STATEMENT_DAYS},
        )


def cashflow_horizon(until: date | None) -> tuple[date, date]:
    """Today and the last payment date the calendar shows (a year ahead by default); 422 if
    `until` is before today or more than ten years ahead."""
    today = trade_date()
    if until is None:
        return today, today + timedelta(days=DEFAULT_CASHFLOW_DAYS)
    if until < today:
        raise Unprocessable(
            code="cashflows.invalid_until",
            detail="`until` must not be before today.",
            errors=[FieldError("query.until", "before today", "invalid_until")],
        )
    if (until - today).days > MAX_CASHFLOW_DAYS:
        raise Unprocessable(
            code="cashflows.range_too_long",
            detail=f"The calendar looks at most {MAX_CASHFLOW_DAYS} days ahead.",
            errors=[FieldError("query.until", "too far ahead", "range_too_long")],
            extra={"max_days": MAX_CASHFLOW_DAYS},
        )
    return today, until


def holder_of(user_id: uuid.UUID, name: str, email: str) -> documents.Holder:
    """The client as documents show them: name, id and a masked e-mail."""
    return documents.Holder(name=name, client_id=str(user_id), email=documents.mask_email(email))


def note_number(fill: Fill, isin: str) -> str:
    """A contract note's number: unique per trade and side, the same every time."""
    side = "B" if fill.side is OrderSide.BUY else "S"
    return f"CN-{fill.trade_date:%Y%m%d}-{isin}-{fill.trade_seq:06d}-{side}"


@dataclass(frozen=True, slots=True)
class _History:
    """One instrument in my account: its balances now, its fills and its unit movements."""

    instrument: Instrument
    scale: int
    buckets: dict[Bucket, int]
    fills: tuple[Fill, ...]
    movements: tuple[Movement, ...]
    market: Market | None  # None: the analytics cannot value it (a zero-coupon bond)

    @property
    def units(self) -> int:
        return sum(self.buckets.values())

    @property
    def face(self) -> Decimal:
        """Face value of one unit in currency units."""
        return Decimal(self.instrument.face_value).scaleb(-self.scale)


@dataclass(frozen=True, slots=True)
class _Valued:
    """A history's FIFO position and its valuation."""

    history: _History
    position: Position
    mark: Mark | None
    settles: date | None
    figures: Figures | None

    @property
    def unrealised(self) -> int | None:
        if self.mark is None:
            return None
        units = self.position.units_with_cost
        value = clean_value(units, self.history.face, self.mark.price, self.history.scale)
        return value - self.position.cost


#: A lot's reference: a trade's id, or this prefix and an auction's id.
_AUCTION = "auction:"


def _trade_movement(fill: Fill) -> Movement:
    units = fill.quantity if fill.side is OrderSide.BUY else -fill.quantity
    return Movement(fill.trade_date, units, fill.clean_amount, fill.fee, str(fill.trade_id))


def _entries(lines: Iterable[StatementLine]) -> list[tuple[StatementLine, int]]:
    """Each journal entry's first line and its net amount across my buckets (a reservation
    nets to zero), in order."""
    net: dict[uuid.UUID, int] = {}
    first: dict[uuid.UUID, StatementLine] = {}
    for line in lines:
        net[line.entry_id] = net.get(line.entry_id, 0) + line.amount
        first.setdefault(line.entry_id, line)
    return [(first[entry_id], amount) for entry_id, amount in net.items()]


def _movements(
    lines: Iterable[StatementLine],
    fills: dict[uuid.UUID, list[Fill]],
    allotted: dict[uuid.UUID, Allotment],
    redeemed: Callable[[int], int],
) -> list[Movement]:
    """One movement per journal entry that changed my units (a trade: per fill), in order.
    Units allotted in an auction cost what the allocation paid (clean); units retired on
    redemption are disposed of at the redemption price (`redeemed(units)` is their clean
    proceeds); other entries move units without a price."""
    movements: list[Movement] = []
    for line, units in _entries(lines):
        on = market_date(line.created_at)
        if line.entry_id in fills:
            movements.extend(_trade_movement(fill) for fill in fills[line.entry_id])
        elif line.entry_id in allotted and units > 0:
            allotment = allotted[line.entry_id]
            movements.append(
                Movement(on, units, allotment.principal, 0, f"{_AUCTION}{allotment.auction_id}")
            )
        elif units < 0 and line.kind == REDEMPTION_KIND:
            movements.append(Movement(on, units, redeemed(-units), 0, None))
        elif units:
            movements.append(Movement(on, units, None))
    return movements


class PortfolioService:
    """My holdings, P&L, cash flows and documents; reads only, never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._ledger = LedgerService(session)
        self._scales: dict[str, int] = {}

    # -- holdings and valuation ----------------------------------------------------------------

    async def portfolio(self, user_id: uuid.UUID) -> PortfolioOut:
        """Totals per currency, cash by bucket and every holding, valued."""
        balances = await self._ledger.balances(user_id)
        valued = await self._valued(user_id, balances)
        cash = _cash(balances, {v.history.instrument.isin for v in valued})
        held = [v for v in valued if v.history.units]
        return PortfolioOut(
            as_of=utcnow(),
            totals=_totals(held, valued, cash),
            cash=cash,
            holdings=[HoldingSummary(**_summary(v)) for v in held],
        )

    async def holdings(self, user_id: uuid.UUID) -> HoldingsOut:
        """Every instrument I hold, valued, with its FIFO lots."""
        valued = await self._valued(user_id, await self._ledger.balances(user_id))
        return HoldingsOut(
            as_of=utcnow(),
            items=[HoldingOut(**_summary(v), lots=_lots(v)) for v in valued if v.history.units],
        )

    async def pnl(self, user_id: uuid.UUID) -> PnlOut:
        """Realised and unrealised P&L, fees, interest and coupons of every instrument I hold
        or held."""
        valued = await self._valued(user_id, await self._ledger.balances(user_id))
        payouts = await self._payouts(user_id, [v.history for v in valued])
        rows = [_pnl_row(v, payouts.get(v.history.instrument.id, [])) for v in valued]
        return PnlOut(as_of=utcnow(), items=rows, totals=_pnl_totals(rows))

    async def summary(self, user_id: uuid.UUID) -> dict[str, Any]:
        """The portfolio as JSON-ready data (the real-time `portfolio` channel)."""
        return (await self.portfolio(user_id)).model_dump(mode="json", by_alias=True)

    # -- cash flows ----------------------------------------------------------------------------

    async def cashflows(self, user_id: uuid.UUID, until: date | None) -> CashflowsOut:
        """Coupons and redemptions my holdings will pay by `until`, for the units held now."""
        today, last = cashflow_horizon(until)
        actions = CorporateActionService(self._session)
        items: list[CashflowOut] = []
        for held in await self._histories(user_id, await self._ledger.balances(user_id)):
            units = held.units
            if units <= 0:
                continue
            instrument = held.instrument
            for payment in await actions.upcoming(instrument.id, last):
                items.append(
                    CashflowOut(
                        instrument_id=instrument.id,
                        isin=instrument.isin,
                        name=instrument.name,
                        kind=payment.kind,
                        action_id=payment.action_id,
                        record_date=payment.record_date,
                        ex_date=payment.ex_date,
                        payment_date=payment.payment_date,
                        units=units,
                        amount_per_unit=payment.amount_per_unit,
                        expected_amount=units * payment.amount_per_unit,
                        currency=payment.currency,
                        scale=held.scale,
                    )
                )
        items.sort(key=lambda item: (item.payment_date, item.isin, item.kind))
        totals: dict[str, int] = defaultdict(int)
        for item in items:
            totals[item.currency] += item.expected_amount
        return CashflowsOut(
            from_=today,
            until=last,
            items=items,
            totals=[
                CashflowTotal(
                    currency=currency, scale=await self._scale(currency), expected_amount=amount
                )
                for currency, amount in sorted(totals.items())
            ],
        )

    # -- documents -----------------------------------------------------------------------------

    async def contract_note(
        self, user_id: uuid.UUID, holder: documents.Holder, trade_id: uuid.UUID
    ) -> documents.ContractNote:
        """The contract note of my side of one of my trades (404 for anyone else's)."""
        fill = await history.fill(self._session, user_id, trade_id)
        [instrument] = await InstrumentService(self._session).find(ids=[fill.instrument_id])
        scale = await self._scale(fill.currency)
        market = await self._market(instrument)
        return documents.ContractNote(
            number=note_number(fill, instrument.isin),
            issued_at=utcnow().astimezone(MARKET_TIME),
            holder=holder,
            trade_id=str(fill.trade_id),
            side=fill.side.value,
            liquidity=fill.liquidity,
            isin=instrument.isin,
            name=instrument.name,
            coupon_rate=instrument.coupon_rate,
            maturity_date=instrument.maturity_date,
            face_value=instrument.face_value,
            quantity=fill.quantity,
            price=fill.price,
            yield_percent=(
                None if market is None else yield_at(market.terms, fill.settlement_date, fill.price)
            ),
            trade_date=fill.trade_date,
            traded_at=fill.created_at.astimezone(MARKET_TIME),
            settlement_date=fill.settlement_date,
            currency=fill.currency,
            scale=scale,
            clean=fill.clean_amount,
            accrued=fill.accrued_interest,
            fee=fill.fee,
        )

    async def statement(
        self, user_id: uuid.UUID, holder: documents.Holder, start: date, end: date
    ) -> documents.Statement:
        """My statement of the market dates `start` to `end`: positions at both ends, trades,
        coupons and redemptions, and cash."""
        statement_period(start, end)
        balances = await self._ledger.balances(user_id)
        histories = await self._histories(user_id, balances)
        trades = sorted(
            (
                (fill, held.instrument.isin, held.scale)
                for held in histories
                for fill in held.fills
                if start <= fill.trade_date <= end
            ),
            key=lambda item: (item[0].created_at, item[0].trade_seq),
        )
        payouts = await CorporateActionService(self._session).payouts(
            user_id, start, end + timedelta(days=1)
        )
        cash, summaries = await self._cash_history(user_id, balances, histories, start, end)
        return documents.Statement(
            number=f"ST-{user_id.hex[-10:].upper()}-{start:%Y%m%d}-{end:%Y%m%d}",
            issued_at=utcnow().astimezone(MARKET_TIME),
            holder=holder,
            start=start,
            end=end,
            positions=[line for held in histories if (line := _position_line(held, start, end))],
            trades=[_trade_line(fill, isin, scale) for fill, isin, scale in trades],
            payouts=[
                documents.PayoutLine(
                    payment_date=p.payment_date,
                    record_date=p.record_date,
                    isin=p.isin,
                    kind=p.kind,
                    units=p.units,
                    gross=p.gross,
                    tax=p.tax,
                    net=p.net,
                    currency=p.currency,
                    scale=await self._scale(p.currency),
                )
                for p in sorted(payouts, key=lambda p: (p.payment_date, p.isin, p.kind))
            ],
            cash=cash,
            summaries=summaries,
        )

    # -- reading -------------------------------------------------------------------------------

    async def _scale(self, asset: str) -> int:
        if asset not in self._scales:
            self._scales[asset] = (await self._ledger.asset(asset)).scale
        return self._scales[asset]

    async def _postings(
        self, user_id: uuid.UUID, asset: str, since: datetime | None = None
    ) -> list[StatementLine]:
        """My postings on one asset (from `since` on), oldest first."""
        lines: list[StatementLine] = []
        cursor: str | None = None
        while True:
            page, cursor = await self._ledger.statement(
                user_id, limit=_PAGE, cursor=cursor, asset=asset
            )
            for line in page:
                if since is not None and line.created_at < since:
                    return lines[::-1]
                lines.append(line)
            if cursor is None:
                return lines[::-1]

    async def _market(self, instrument: Instrument) -> Market | None:
        """The instrument's trading view, or None if the analytics cannot value it."""
        try:
            return await market_of(self._session, instrument)
        except Problem:
            return None

    async def _histories(self, user_id: uuid.UUID, balances: Sequence[Balance]) -> list[_History]:
        """Every instrument I have an account of (held, or held once), with its history."""
        instruments = await InstrumentService(self._session).find(
            isins={balance.asset for balance in balances}
        )
        if not instruments:
            return []
        by_entry: dict[uuid.UUID, list[Fill]] = defaultdict(list)
        by_instrument: dict[uuid.UUID, list[Fill]] = defaultdict(list)
        # Postings first, then fills: a fill committed in between is simply not seen yet.
        lines = {i.id: await self._postings(user_id, i.isin) for i in instruments}
        for fill in await history.fills(self._session, user_id, [i.id for i in instruments]):
            by_entry[fill.journal_entry_id].append(fill)
            by_instrument[fill.instrument_id].append(fill)
        allotted = {a.entry_id: a for a in await allotments(self._session, user_id)}
        histories = []
        for instrument in sorted(instruments, key=lambda i: i.isin):
            scale = await self._scale(instrument.currency)
            market = await self._market(instrument)
            face = Decimal(instrument.face_value).scaleb(-scale)
            price = REDEEMED_AT if market is None else market.terms.redemption
            histories.append(
                _History(
                    instrument=instrument,
                    scale=scale,
                    buckets={b.bucket: b.balance for b in balances if b.asset == instrument.isin},
                    fills=tuple(by_instrument[instrument.id]),
                    movements=tuple(
                        _movements(
                            lines[instrument.id],
                            by_entry,
                            allotted,
                            partial(clean_value, face=face, price=price, scale=scale),
                        )
                    ),
                    market=market,
                )
            )
        return histories

    async def _valued(self, user_id: uuid.UUID, balances: Sequence[Balance]) -> list[_Valued]:
        """Each instrument's FIFO position, valued at its mark."""
        histories = await self._histories(user_id, balances)
        last = await history.last_prices(self._session, [h.instrument.id for h in histories])
        today = trade_date()
        valued = []
        for held in histories:
            position = fifo(held.movements)
            settles: date | None = None
            mark: Mark | None = None
            figures: Figures | None = None
            if held.market is not None and held.units > 0:
                try:
                    settles = held.market.settlement_date(today)
                except AnalyticsError:
                    settles = None
                curve = held.instrument.reference_curve
                fair = None
                if held.instrument.id not in last and curve and settles is not None:
                    fair = await fair_clean_price(
                        self._session, held.instrument, held.scale, curve, settles
                    )
                mark = choose_mark(last.get(held.instrument.id), fair)
                if mark is not None and settles is not None:
                    figures = value_position(
                        held.market.terms, settles, held.units, mark.price, held.scale
                    )
            valued.append(_Valued(held, position, mark, settles, figures))
        return valued

    async def _payouts(
        self, user_id: uuid.UUID, histories: Sequence[_History]
    ) -> dict[uuid.UUID, list[Payout]]:
        """Coupons and redemptions paid to me up to today, by instrument."""
        if not histories:
            return {}
        start = min(held.instrument.issue_date for held in histories)
        end = trade_date() + timedelta(days=1)  # the end is exclusive
        found: dict[uuid.UUID, list[Payout]] = defaultdict(list)
        for payout in await CorporateActionService(self._session).payouts(user_id, start, end):
            found[payout.instrument_id].append(payout)
        return found

    async def _cash_history(
        self,
        user_id: uuid.UUID,
        balances: Sequence[Balance],
        histories: Sequence[_History],
        start: date,
        end: date,
    ) -> tuple[list[documents.CashLine], list[documents.CashSummary]]:
        """Cash movements of the period other than trades, and each currency's summary."""
        bonds = {held.instrument.isin for held in histories}
        totals: dict[str, int] = defaultdict(int)
        for balance in balances:
            if balance.asset not in bonds:
                totals[balance.asset] += balance.balance
        fees: dict[str, int] = defaultdict(int)
        for held in histories:
            for fill in held.fills:
                if start <= fill.trade_date <= end:
                    fees[fill.currency] += fill.fee
        lines: list[documents.CashLine] = []
        summaries: list[documents.CashSummary] = []
        for asset in sorted(totals):
            scale = await self._scale(asset)
            since = await self._postings(user_id, asset, since=_start_of(start))
            opening = totals[asset] - sum(line.amount for line in since)
            by_kind: dict[str, int] = defaultdict(int)
            for line, amount in _entries(
                line for line in since if market_date(line.created_at) <= end
            ):
                if not amount:
                    continue
                kind = "trades" if line.kind == _TRADE_KIND else line.kind
                by_kind[kind] += amount
                if line.kind != _TRADE_KIND:
                    lines.append(
                        documents.CashLine(
                            on=market_date(line.created_at),
                            kind=line.kind,
                            description=line.description,
                            amount=amount,
                            currency=asset,
                            scale=scale,
                        )
                    )
            closing = opening + sum(by_kind.values())
            if opening or closing or by_kind:
                summaries.append(
                    documents.CashSummary(
                        currency=asset,
                        scale=scale,
                        opening=opening,
                        movements=tuple(sorted(by_kind.items())),
                        closing=closing,
                        fees=fees.get(asset, 0),
                    )
                )
        return lines, summaries


# -- shaping -----------------------------------------------------------------------------------


def _cash(balances: Sequence[Balance], bonds: set[str]) -> list[CashOut]:
    """Cash (every asset that is not a bond of mine) by bucket."""
    by_asset: dict[str, dict[Bucket, int]] = defaultdict(dict)
    scales: dict[str, int] = {}
    for balance in balances:
        if balance.asset in bonds:
            continue
        by_asset[balance.asset][balance.bucket] = balance.balance
        scales[balance.asset] = balance.scale
    out = []
    for asset, buckets in sorted(by_asset.items()):
        available = buckets.get(Bucket.AVAILABLE, 0)
        locked = buckets.get(Bucket.LOCKED, 0)
        total = sum(buckets.values())
        out.append(
            CashOut(
                currency=asset,
                scale=scales[asset],
                available=available,
                locked=locked,
                other=total - available - locked,
                total=total,
            )
        )
    return out


def _summary(valued: _Valued) -> dict[str, object]:
    """The fields of a holding summary."""
    held, position, figures = valued.history, valued.position, valued.figures
    instrument = held.instrument
    today = trade_date()
    pending_buy = sum(
        f.quantity for f in held.fills if f.side is OrderSide.BUY and f.settlement_date > today
    )
    pending_sell = sum(
        f.quantity for f in held.fills if f.side is OrderSide.SELL and f.settlement_date > today
    )
    return {
        "instrument_id": instrument.id,
        "isin": instrument.isin,
        "name": instrument.name,
        "currency": instrument.currency,
        "scale": held.scale,
        "face_value": instrument.face_value,
        "units": held.units,
        "locked_units": held.buckets.get(Bucket.LOCKED, 0),
        "settled_units": held.units - pending_buy + pending_sell,
        "pending_buy_units": pending_buy,
        "pending_sell_units": pending_sell,
        "units_without_cost": position.units_without_cost,
        "cost": position.cost,
        "average_price": average_price(
            position.cost, position.units_with_cost, held.face, held.scale
        ),
        "realised_pnl": position.realised_pnl,
        "fees": position.fees_paid,
        "mark": None if valued.mark is None else valued.mark.price,
        "mark_source": None if valued.mark is None else valued.mark.source,
        "valuation_date": valued.settles,
        "market_value": None if figures is None else figures.clean,
        "accrued_interest": None if figures is None else figures.accrued,
        "dirty_value": None if figures is None else figures.dirty,
        "unrealised_pnl": valued.unrealised,
        "yield_percent": None if figures is None else figures.yield_percent,
        "modified_duration": None if figures is None else figures.modified_duration,
        "dv01": None if figures is None else figures.dv01,
    }


def _lots(valued: _Valued) -> list[LotOut]:
    held = valued.history

    def source(reference: str | None) -> LotSource:
        if reference is None:
            return LotSource.TRANSFER
        return LotSource.AUCTION if reference.startswith(_AUCTION) else LotSource.TRADE

    return [
        LotOut(
            acquired_on=lot.acquired_on,
            source=source(lot.reference),
            trade_id=uuid.UUID(lot.reference) if source(lot.reference) is LotSource.TRADE else None,
            auction_id=(
                uuid.UUID(lot.reference.removeprefix(_AUCTION))
                if lot.reference and source(lot.reference) is LotSource.AUCTION
                else None
            ),
            units=lot.units,
            cost=lot.cost,
            average_price=(
                None
                if lot.cost is None
                else average_price(lot.cost, lot.units, held.face, held.scale)
            ),
            fee=lot.fee,
        )
        for lot in valued.position.lots
    ]


def _totals(
    held: Sequence[_Valued], valued: Sequence[_Valued], cash: Sequence[CashOut]
) -> list[TotalsOut]:
    """Totals per currency: of the holdings' values, of P&L over every position, and cash."""
    currencies = sorted(
        {v.history.instrument.currency for v in valued} | {c.currency for c in cash}
    )
    cash_of = {c.currency: c for c in cash}
    out = []
    for currency in currencies:
        mine = [v for v in held if v.history.instrument.currency == currency]
        every = [v for v in valued if v.history.instrument.currency == currency]
        figures = [(v, v.figures) for v in mine if v.figures is not None]
        dirty = sum(f.dirty for _, f in figures)
        cash_total = cash_of[currency].total if currency in cash_of else 0
        out.append(
            TotalsOut(
                currency=currency,
                scale=cash_of[currency].scale if currency in cash_of else every[0].history.scale,
                market_value=sum(f.clean for _, f in figures),
                accrued_interest=sum(f.accrued for _, f in figures),
                dirty_value=dirty,
                cost=sum(v.position.cost for v in mine),
                unrealised_pnl=sum(v.unrealised or 0 for v in mine),
                realised_pnl=sum(v.position.realised_pnl for v in every),
                fees=sum(v.position.fees_paid for v in every),
                dv01=sum(f.dv01 or 0.0 for _, f in figures),
                yield_percent=weighted_average((f.dirty, f.yield_percent) for _, f in figures),
                modified_duration=weighted_average(
                    (f.dirty, f.modified_duration) for _, f in figures
                ),
                unvalued_positions=len(mine) - len(figures),
                cash=cash_total,
                total_value=dirty + cash_total,
            )
        )
    return out


def _pnl_row(valued: _Valued, payouts: Sequence[Payout]) -> PnlRow:
    held, position = valued.history, valued.position
    instrument = held.instrument
    return PnlRow(
        instrument_id=instrument.id,
        isin=instrument.isin,
        name=instrument.name,
        currency=instrument.currency,
        scale=held.scale,
        units=held.units,
        cost=position.cost,
        realised_pnl=position.realised_pnl,
        realised_fees=position.realised_fees,
        realised_pnl_net=position.realised_pnl - position.realised_fees,
        unrealised_pnl=valued.unrealised,
        mark=None if valued.mark is None else valued.mark.price,
        mark_source=None if valued.mark is None else valued.mark.source,
        fees=position.fees_paid,
        accrued_paid=sum(f.accrued_interest for f in held.fills if f.side is OrderSide.BUY),
        accrued_received=sum(f.accrued_interest for f in held.fills if f.side is OrderSide.SELL),
        coupons=sum(p.gross for p in payouts if p.kind != REDEMPTION_KIND),
        redemptions=sum(p.gross for p in payouts if p.kind == REDEMPTION_KIND),
        tax_withheld=sum(p.tax for p in payouts),
        units_without_cost=position.units_without_cost,
        unmatched_units=sum(d.units - d.matched_units for d in position.disposals),
        disposals=[
            DisposalOut(
                on=d.on,
                trade_id=None if d.reference is None else uuid.UUID(d.reference),
                units=d.units,
                matched_units=d.matched_units,
                proceeds=d.proceeds,
                cost=d.cost,
                realised_pnl=d.pnl,
                fees=d.fees,
                realised_pnl_net=d.net_pnl,
            )
            for d in position.disposals
        ],
    )


def _pnl_totals(rows: Sequence[PnlRow]) -> list[PnlTotals]:
    out = []
    for currency in sorted({row.currency for row in rows}):
        mine = [row for row in rows if row.currency == currency]
        out.append(
            PnlTotals(
                currency=currency,
                scale=mine[0].scale,
                realised_pnl=sum(r.realised_pnl for r in mine),
                realised_fees=sum(r.realised_fees for r in mine),
                realised_pnl_net=sum(r.realised_pnl_net for r in mine),
                unrealised_pnl=sum(r.unrealised_pnl or 0 for r in mine),
                fees=sum(r.fees for r in mine),
                coupons=sum(r.coupons for r in mine),
                redemptions=sum(r.redemptions for r in mine),
                tax_withheld=sum(r.tax_withheld for r in mine),
            )
        )
    return out


def _position_line(held: _History, start: date, end: date) -> documents.PositionLine | None:
    """Units at the start and the end of the period (None if it held none and moved none)."""
    opening = fifo(m for m in held.movements if m.on < start)
    closing = fifo(m for m in held.movements if m.on <= end)
    moved = any(start <= m.on <= end for m in held.movements)
    if not (opening.units or closing.units or moved):
        return None
    instrument = held.instrument
    return documents.PositionLine(
        isin=instrument.isin,
        name=instrument.name,
        face_value=instrument.face_value,
        currency=instrument.currency,
        scale=held.scale,
        opening_units=opening.units,
        closing_units=closing.units,
        closing_cost=closing.cost,
        closing_units_without_cost=closing.units_without_cost,
    )


def _trade_line(fill: Fill, isin: str, scale: int) -> documents.TradeLine:
    buy = fill.side is OrderSide.BUY
    return documents.TradeLine(
        trade_date=fill.trade_date,
        settlement_date=fill.settlement_date,
        note_number=note_number(fill, isin),
        isin=isin,
        side=fill.side.value,
        quantity=fill.quantity,
        price=fill.price,
        clean=fill.clean_amount,
        accrued=fill.accrued_interest,
        fee=fill.fee,
        cash=-(fill.dirty_amount + fill.fee) if buy else fill.dirty_amount - fill.fee,
        currency=fill.currency,
        scale=scale,
    )
