"""Array helpers: civil dates as int64 day numbers (days since 1970-01-01), grouped sums."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

Days = npt.NDArray[np.int64]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

EPOCH = date(1970, 1, 1)
NO_DATE = np.int64(-(2**62))  # marks an absent optional date in day-number arrays


def day_number(value: date) -> int:
    """Day number of a calendar date."""
    return (value - EPOCH).days


def to_date(day: int | np.integer) -> date:
    """Calendar date of a day number."""
    return EPOCH + timedelta(days=int(day))


def as_days(values: object) -> Days:
    """Day numbers of dates given as ``date``, ``datetime64`` or int day numbers (any shape)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    return np.asarray(arr, dtype="datetime64[D]").astype(np.int64)


def _from_civil(year: Ints, month: Ints, day: Ints) -> Days:
    """Day numbers of civil dates (H. Hinnant's ``days_from_civil``, integer arithmetic only)."""
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    result: Days = era * 146097 + day_of_era - 719468
    return result


def civil(days: Days) -> tuple[Ints, Ints, Ints]:
    """Year, month (1-12) and day of month (1-31) of each day (H. Hinnant's ``civil_from_days``)."""
    z = days + 719468
    era = z // 146097
    day_of_era = z - era * 146097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted + 2) // 5 + 1
    month = np.where(shifted < 10, shifted + 3, shifted - 9)
    return year_of_era + era * 400 + (month <= 2), month, day


_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def days_in_month(year: Ints, month: Ints) -> Ints:
    """Length of each month."""
    result: Ints = _MONTH_DAYS[month - 1] + ((month == 2) & is_leap(year))
    return result


def is_leap(years: Ints) -> Bools:
    """Gregorian leap-year test."""
    result: Bools = (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))
    return result


def year_start(years: Ints) -> Days:
    """Day number of 1 January of each year."""
    return _from_civil(years, np.ones_like(years), np.ones_like(years))


def month_day(months: Ints, day: Ints, month_end: Bools) -> Days:
    """Day ``day`` of each month ``12 * year + month - 1``, clipped to the month's length.

    Where ``month_end`` is set, the month's last day instead.
    """
    year, month = months // 12, months % 12 + 1
    length = days_in_month(year, month)
    return _from_civil(year, month, np.where(month_end, length, np.minimum(day, length)))


def add_months(days: Days, months: Ints, end_of_month: Bools) -> Days:
    """Shift by whole months, clipping to the month's end.

    Where ``end_of_month`` is set, a month-end date stays month-end (the bond-market rule).
    """
    year, month, day = civil(days)
    month_end = end_of_month & (day == days_in_month(year, month))
    return month_day(12 * year + month - 1 + months, day, month_end)


def group_sum(owner: Ints, values: Floats, size: int) -> Floats:
    """Sum of ``values`` per owner index ``0 .. size-1``, in input order."""
    return np.bincount(owner, values, size).astype(np.float64, copy=False)


def segment_sum(values: Floats, starts: Ints) -> Floats:
    """Sums of the consecutive non-empty segments of ``values`` beginning at ``starts``."""
    sums: Floats = np.add.reduceat(values, starts)
    return sums
