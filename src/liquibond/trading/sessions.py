"""Trading hours: when an instrument's market is open, when it next opens, and when a DAY
order expires. Pure: every function takes the moment it is asked about.

An instrument either trades round the clock (no hours set), or from `open` to `close` in
Indian market time on the business days of its calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from liquibond.analytics import get_calendar
from liquibond.valuation.service import MARKET_TIME

#: How far ahead a next open is looked for (a calendar's longest run of holidays is shorter).
_HORIZON_DAYS = 31


@dataclass(frozen=True, slots=True)
class TradingHours:
    """An instrument's trading session; `open`/`close` None means round the clock."""

    open: time | None
    close: time | None
    calendar: str

    @property
    def round_the_clock(self) -> bool:
        """Whether the market never closes."""
        return self.open is None or self.close is None

    def is_open(self, moment: datetime) -> bool:
        """Whether the market is open at `moment` (an aware datetime)."""
        if self.open is None or self.close is None:
            return True
        local = moment.astimezone(MARKET_TIME)
        return self._trades_on(local.date()) and self.open <= local.time() < self.close

    def next_open(self, moment: datetime) -> datetime:
        """The first opening at or after `moment` (`moment` itself when open)."""
        if self.open is None or self.is_open(moment):
            return moment
        local = moment.astimezone(MARKET_TIME)
        day = local.date()
        if local.time() >= self.open:  # today's session is over (or this is not a trade day)
            day += timedelta(days=1)
        return self._at(self._trade_day_from(day), self.open)

    def day_expiry(self, moment: datetime) -> datetime:
        """When a DAY order sent at `moment` expires: the close of the session it trades in
        (the next one when sent outside hours), or market-time midnight round the clock."""
        if self.close is None:
            today = moment.astimezone(MARKET_TIME).date()
            return self._at(today + timedelta(days=1), time(0))
        opens = self.next_open(moment)
        return self._at(opens.astimezone(MARKET_TIME).date(), self.close)

    def _trades_on(self, day: date) -> bool:
        return get_calendar(self.calendar).is_business_day(day)

    def _trade_day_from(self, day: date) -> date:
        for offset in range(_HORIZON_DAYS):
            candidate = day + timedelta(days=offset)
            if self._trades_on(candidate):
                return candidate
        raise ValueError(f"no trading day within {_HORIZON_DAYS} days of {day}")

    @staticmethod
    def _at(day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=MARKET_TIME)
