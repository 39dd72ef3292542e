"""The rules of corporate actions (pure): key dates, amounts, tax and the event lifecycle.

**Record date.** Listed (non-government) debt: 15 calendar days before the due date (the
scheduled coupon date, the maturity or the call date), or the business day before that
when it is a holiday. Government securities and state loans: a one-day shut period, the
record date being the business day before the payment date. Business days are those of
the instrument's own (settlement) calendar; the due date is the unadjusted one, as SEBI's
"15 days prior to the due date" says, whereas the payment date moves off holidays (coupons
to the next business day, redemptions to the previous one).

**Who is paid.** The holders as settled at the close of the record date: a trade settling
on or before it is cum (the buyer is paid), one settling after it is ex (the seller is
paid, and the buyer's accrued interest is negative). The analytics agree:
:data:`liquibond.analytics.bond.INDIA_CORPORATE` trades ex-coupon from 14 calendar days
before the coupon date, which holds exactly the settlement (business) days after the
record date; a G-sec has no settlement day between its record date and coupon date, so
no ex-coupon period. With T+1 settlement, a trade done the day before the record date
settles on it, so the ex-date (the first trade date without the payment) is the record
date itself.

**Amounts.** A holding's payment is computed on the whole holding from the bond's terms
and rounded once, half to even (so it is not always units x the rounded per-unit amount).
Tax is withheld from the interest only, never from the principal repaid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

import numpy as np

from liquibond.analytics import (
    BondTerms,
    BusinessDayConvention,
    Calendar,
    CalendarCoverageError,
    as_days,
    get_calendar,
    payment_dates,
    scheduled_payments,
    to_date,
    to_minor_units,
    trade_cash,
)
from liquibond.analytics.bond import LISTED_RECORD_DAYS, one_bond


class ActionKind(StrEnum):
    """What an event pays."""

    COUPON = "coupon"
    REDEMPTION = "redemption"  # at maturity: principal and the final coupon
    CALL = "call"  # the issuer redeems early: principal at the call price and accrued interest


#: Kinds that repay the principal, retire the units and end the bond's life.
REDEEMING = frozenset({ActionKind.REDEMPTION, ActionKind.CALL})


class ActionStatus(StrEnum):
    """Where an event is in its life."""

    SCHEDULED = "scheduled"
    # A second register (a tokenized bond's, on chain) disagreed with the ledger's at the
    # record date: nobody is entitled until operations reconcile them and run it again.
    HELD = "held"
    ENTITLED = "entitled"  # the register was read: who gets what is fixed
    PAID = "paid"
    DEFAULTED = "defaulted"  # the issuer could not pay in full, so nobody was paid
    CANCELLED = "cancelled"


class Step(StrEnum):
    """What happens to an event."""

    ENTITLE = "entitle"
    HOLD = "hold"
    PAY = "pay"
    DEFAULT = "default"
    CANCEL = "cancel"


S = ActionStatus

TRANSITIONS: dict[tuple[ActionStatus, Step], ActionStatus] = {
    (S.SCHEDULED, Step.ENTITLE): S.ENTITLED,
    (S.SCHEDULED, Step.HOLD): S.HELD,
    (S.HELD, Step.HOLD): S.HELD,  # run again, and the registers still disagree
    (S.HELD, Step.ENTITLE): S.ENTITLED,
    (S.HELD, Step.CANCEL): S.CANCELLED,
    (S.ENTITLED, Step.PAY): S.PAID,
    (S.ENTITLED, Step.DEFAULT): S.DEFAULTED,
    (S.SCHEDULED, Step.CANCEL): S.CANCELLED,
    (S.ENTITLED, Step.CANCEL): S.CANCELLED,
}

#: Statuses with work still to do.
OPEN_STATUSES = frozenset({S.SCHEDULED, S.HELD, S.ENTITLED})
#: Statuses whose register is still to be read.
UNREAD = frozenset({S.SCHEDULED, S.HELD})


def next_status(current: ActionStatus, step: Step) -> ActionStatus | None:
    """The status after `step`, or None if the step is not allowed from `current`."""
    return TRANSITIONS.get((current, step))


@dataclass(frozen=True, slots=True)
class KeyDates:
    """When the register is read, when trading goes ex, and when the money moves."""

    record_date: date
    ex_date: date
    payment_date: date


def key_dates(due: date, payment: date, calendar: Calendar, *, government: bool) -> KeyDates:
    """The record date and ex-date of a payment due on `due` and paid on `payment`, on the
    instrument's `calendar` (see the module docstring)."""
    if government:
        record = calendar.advance(payment, -1)
    else:
        record = calendar.adjust(
            due - timedelta(days=LISTED_RECORD_DAYS), BusinessDayConvention.PRECEDING
        )
    return KeyDates(record_date=record, ex_date=record, payment_date=payment)


def entitles(record_date: date, today: date) -> bool:
    """Whether the register of `record_date` can be read: its day has closed."""
    return today > record_date


@dataclass(frozen=True, slots=True)
class Due:
    """One scheduled payment date of a bond: a coupon, or at maturity the redemption."""

    kind: ActionKind
    period_start: date
    due_date: date
    payment_date: date


def scheduled_dues(terms: BondTerms, start: date, end: date) -> list[Due]:
    """The bond's payments due in `[start, end]`, leaving out any whose payment date the
    calendar cannot tell yet (no holiday data for its year)."""
    bonds = one_bond(terms)
    schedule = bonds.schedule
    last = len(schedule.end) - 1
    first_day, last_day = as_days([start, end])
    dues = []
    for row in np.flatnonzero((schedule.end >= first_day) & (schedule.end <= last_day)):
        try:
            paid = payment_dates(bonds, np.array([row]))[0]
        except CalendarCoverageError:
            continue
        dues.append(
            Due(
                kind=ActionKind.REDEMPTION if row == last else ActionKind.COUPON,
                period_start=to_date(schedule.start[row]),
                due_date=to_date(schedule.end[row]),
                payment_date=to_date(paid),
            )
        )
    return dues


def accrual_start(terms: BondTerms, day: date) -> date:
    """Start of the coupon period accruing on `day` (on a coupon date, that date: its
    coupon is the period before's)."""
    schedule = one_bond(terms).schedule
    row = int(np.searchsorted(schedule.end, as_days([day])[0], side="right"))
    return to_date(schedule.start[row])


@dataclass(frozen=True, slots=True)
class Amounts:
    """What a holding is paid, in minor units: interest (taxed) and principal (not)."""

    interest: int
    principal: int

    @property
    def gross(self) -> int:
        """Interest plus principal."""
        return self.interest + self.principal


def due_amounts(terms: BondTerms, due: date, units: int, scale: int) -> Amounts:
    """What `units` of the bond are paid for the scheduled date `due` (a coupon, or at
    maturity the final coupon and the redemption)."""
    payments = scheduled_payments(terms, units, scale, due, due)
    return Amounts(
        interest=sum(p.amount for p in payments if p.kind == "coupon"),
        principal=sum(p.amount for p in payments if p.kind == "redemption"),
    )


def call_amounts(
    terms: BondTerms, paid_on: date, price: Decimal, units: int, scale: int
) -> Amounts:
    """What `units` of the bond are paid when called on `paid_on` at `price` per 100 of
    face: the principal at that price and the interest accrued up to the payment (a call
    pays the running coupon whatever any ex-coupon period says)."""
    cash = trade_cash(replace(terms, ex_coupon_days=0), paid_on, units, price, scale)
    return Amounts(interest=cash.accrued, principal=cash.principal)


@dataclass(frozen=True, slots=True)
class Payable:
    """A holder's entitlement: the gross amounts, the tax withheld and the net paid."""

    units: int
    interest: int
    principal: int
    tax: int

    @property
    def gross(self) -> int:
        """Interest plus principal, before tax."""
        return self.interest + self.principal

    @property
    def net(self) -> int:
        """What the holder receives."""
        return self.gross - self.tax


def payable(units: int, amounts: Amounts, tax_percent: Decimal) -> Payable:
    """The entitlement of `units` paid `amounts`, with tax at `tax_percent` of the interest
    rounded once, half to even, to the minor unit."""
    tax = to_minor_units(Fraction(amounts.interest) * Fraction(tax_percent) / 100, 0)
    return Payable(units, amounts.interest, amounts.principal, tax)


def is_business_day(calendar_code: str, day: date) -> bool:
    """Whether `day` is a business day of the calendar (False where it has no data)."""
    try:
        return get_calendar(calendar_code).is_business_day(day)
    except CalendarCoverageError:
        return False
