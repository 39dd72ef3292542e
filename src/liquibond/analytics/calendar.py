"""Business-day calendars from versioned holiday files shipped in the package.

Each market has one JSON file per year under ``calendars/<market>/<year>.json`` with the
market, year, version, status (``official`` or ``provisional``), source and holidays. A
calendar only answers for the years it has files for: a date outside them raises
:class:`CalendarCoverageError` instead of silently treating unknown days as business days.
``WEEKENDS`` is the calendar with Saturdays and Sundays only, valid for every year.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np

from liquibond.analytics._dates import Bools, Days, Ints, as_days, civil, to_date
from liquibond.analytics.errors import CalendarCoverageError, UnknownCalendar, UnknownConvention

__all__ = [
    "BUSINESS_DAY_CONVENTIONS",
    "BusinessDayConvention",
    "Calendar",
    "HolidayFile",
    "calendar_codes",
    "get_calendar",
    "settlement_date",
]

WEEKENDS = "WEEKENDS"


class BusinessDayConvention(Enum):
    """How a date falling on a non-business day is moved."""

    UNADJUSTED = "unadjusted"
    FOLLOWING = "following"
    MODIFIED_FOLLOWING = "modified_following"
    PRECEDING = "preceding"
    MODIFIED_PRECEDING = "modified_preceding"

    @classmethod
    def of(cls, code: str) -> BusinessDayConvention:
        """The convention with the given code (e.g. ``"modified_following"``)."""
        try:
            return cls(code)
        except ValueError:
            raise UnknownConvention(
                f"unknown business day convention {code!r}", field="business_day_convention"
            ) from None


BUSINESS_DAY_CONVENTIONS: tuple[BusinessDayConvention, ...] = tuple(BusinessDayConvention)

_Roll = Literal["following", "modifiedfollowing", "preceding", "modifiedpreceding"]
_NUMPY_ROLL: dict[BusinessDayConvention, _Roll] = {
    BusinessDayConvention.FOLLOWING: "following",
    BusinessDayConvention.MODIFIED_FOLLOWING: "modifiedfollowing",
    BusinessDayConvention.PRECEDING: "preceding",
    BusinessDayConvention.MODIFIED_PRECEDING: "modifiedpreceding",
}


@dataclass(frozen=True, slots=True)
class HolidayFile:
    """Provenance of one year of holiday data."""

    market: str
    year: int
    version: str
    status: str
    source: str


@dataclass(frozen=True, eq=False)
class Calendar:
    """Business days of one market: weekdays that are not listed holidays."""

    code: str
    holidays: tuple[date, ...]
    first_year: int | None
    last_year: int | None
    files: tuple[HolidayFile, ...]
    _busdays: np.busdaycalendar = field(init=False, repr=False)

    def __post_init__(self) -> None:
        holidays = np.array(self.holidays, dtype="datetime64[D]")
        object.__setattr__(
            self, "_busdays", np.busdaycalendar(weekmask="1111100", holidays=holidays)
        )

    @property
    def provisional_years(self) -> tuple[int, ...]:
        """Years whose holiday data is provisional (not yet checked against the official list)."""
        return tuple(f.year for f in self.files if f.status != "official")

    def is_business_day(self, day: date) -> bool:
        """Whether ``day`` is a business day."""
        return bool(self.business_days(as_days([day]))[0])

    def adjust(self, day: date, convention: BusinessDayConvention) -> date:
        """``day`` moved to a business day by ``convention``."""
        return to_date(self.adjust_days(as_days([day]), convention)[0])

    def advance(self, day: date, business_days: int) -> date:
        """The date ``business_days`` business days after (or, if negative, before) ``day``."""
        return to_date(self.advance_days(as_days([day]), np.array([business_days]))[0])

    def business_days(self, days: Days) -> Bools:
        """Whether each day is a business day."""
        self._check(days)
        result: Bools = np.is_busday(days.astype("datetime64[D]"), busdaycal=self._busdays)
        return result

    def adjust_days(self, days: Days, convention: BusinessDayConvention) -> Days:
        """Each day moved to a business day by ``convention``."""
        if convention is BusinessDayConvention.UNADJUSTED:
            return days
        moved = np.busday_offset(
            days.astype("datetime64[D]"), 0, roll=_NUMPY_ROLL[convention], busdaycal=self._busdays
        )
        return self._checked(days, moved)

    def advance_days(self, days: Days, business_days: Ints) -> Days:
        """Each day moved by a number of business days (negative: backwards).

        A start on a holiday counts like the business day next to it in the direction of
        travel; zero business days means the following business day.
        """
        start = days.astype("datetime64[D]")
        forward = np.busday_offset(start, business_days, roll="backward", busdaycal=self._busdays)
        backward = np.busday_offset(start, business_days, roll="forward", busdaycal=self._busdays)
        rolled = np.busday_offset(start, 0, roll="following", busdaycal=self._busdays)
        moved = np.where(business_days > 0, forward, np.where(business_days < 0, backward, rolled))
        return self._checked(days, moved)

    def _checked(self, days: Days, moved: object) -> Days:
        result = np.asarray(moved, dtype="datetime64[D]").astype(np.int64)
        self._check(days)
        self._check(result)
        return result

    def _check(self, days: Days) -> None:
        if self.first_year is None or self.last_year is None or days.size == 0:
            return
        years, _, _ = civil(days)
        outside = (years < self.first_year) | (years > self.last_year)
        if outside.any():
            bad = to_date(days[np.argmax(outside)])
            covered = f"{self.first_year}-{self.last_year}"
            raise CalendarCoverageError(
                f"calendar {self.code} has holiday data for {covered} only, not {bad}",
                field="calendar",
            )


def _market_files(market: str) -> list[tuple[int, dict[str, object]]]:
    folder = resources.files("liquibond.analytics").joinpath("calendars").joinpath(market.lower())
    if not folder.is_dir():
        raise UnknownCalendar(
            f"unknown calendar {market!r}; known: {', '.join(calendar_codes())}", field="calendar"
        )
    documents = []
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            document = json.loads(entry.read_text(encoding="utf-8"))
            documents.append((int(document["year"]), document))
    return sorted(documents)


@cache
def get_calendar(code: str) -> Calendar:
    """The calendar registered under ``code`` (``RBI``, ``NSE`` or ``WEEKENDS``)."""
    if code == WEEKENDS:
        return Calendar(WEEKENDS, (), None, None, ())
    if code != code.upper() or not code.isalnum():
        raise UnknownCalendar(f"unknown calendar {code!r}", field="calendar")
    documents = _market_files(code)
    years = [year for year, _ in documents]
    if not years or years != list(range(years[0], years[-1] + 1)):
        raise UnknownCalendar(
            f"calendar {code} has no contiguous holiday data: years {years}", field="calendar"
        )
    holidays: list[date] = []
    files = []
    for year, document in documents:
        if document["market"] != code:
            raise UnknownCalendar(
                f"holiday file for {code} {year} names market {document['market']!r}"
            )
        entries = document["holidays"]
        assert isinstance(entries, list)
        for entry in entries:
            day = date.fromisoformat(entry["date"])
            if day.year != year or not entry["name"]:
                raise UnknownCalendar(f"bad holiday entry {entry!r} in {code} {year}")
            holidays.append(day)
        files.append(
            HolidayFile(
                code,
                year,
                str(document["version"]),
                str(document["status"]),
                str(document["source"]),
            )
        )
    return Calendar(code, tuple(sorted(holidays)), years[0], years[-1], tuple(files))


def calendar_codes() -> tuple[str, ...]:
    """Codes of every calendar shipped in the package."""
    folder = resources.files("liquibond.analytics").joinpath("calendars")
    markets = sorted(
        entry.name.upper() for entry in folder.iterdir() if entry.is_dir() and entry.name.isalnum()
    )
    return (WEEKENDS, *markets)


def settlement_date(trade_date: date, cycle: int, calendar: Calendar | str) -> date:
    """Settlement date of a trade: ``cycle`` business days after the trade date (T+cycle)."""
    resolved = get_calendar(calendar) if isinstance(calendar, str) else calendar
    return resolved.advance(trade_date, cycle)
