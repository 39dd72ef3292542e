"""Exceptions of the analytics core: one base class, one stable ``code`` per failure."""

from __future__ import annotations

from typing import ClassVar


class AnalyticsError(ValueError):
    """Base of every analytics failure; ``code`` is stable, ``field`` names the offending input."""

    code: ClassVar[str] = "analytics.invalid_input"

    def __init__(self, message: str, *, field: str | None = None, index: int | None = None) -> None:
        super().__init__(message if index is None else f"{message} (item {index})")
        self.field = field
        self.index = index


class UnknownConvention(AnalyticsError):
    """A day count, business-day or other convention code that is not registered."""

    code = "analytics.unknown_convention"


class UnknownCalendar(AnalyticsError):
    """A holiday calendar code that has no data files."""

    code = "analytics.unknown_calendar"


class CalendarCoverageError(AnalyticsError):
    """A date outside the years for which a calendar has holiday data."""

    code = "analytics.calendar_out_of_range"


class UnsupportedFrequency(AnalyticsError):
    """A coupon frequency other than 1, 2, 4 or 12 payments a year."""

    code = "analytics.unsupported_frequency"


class InvalidTerms(AnalyticsError):
    """Bond terms that cannot describe a bond (maturity before issue, negative coupon, ...)."""

    code = "analytics.invalid_terms"


class InvalidSchedule(AnalyticsError):
    """A coupon schedule that cannot be built (first coupon off the grid, stub too long)."""

    code = "analytics.invalid_schedule"


class SettlementAfterMaturity(AnalyticsError):
    """Settlement on or after the maturity date."""

    code = "analytics.settlement_after_maturity"


class SettlementBeforeIssue(AnalyticsError):
    """Settlement before the issue (interest accrual start) date."""

    code = "analytics.settlement_before_issue"


class NonPositivePrice(AnalyticsError):
    """A zero or negative price where a positive one is required."""

    code = "analytics.non_positive_price"


class NoConvergence(AnalyticsError):
    """A root search (yield, spread, curve node) that did not converge."""

    code = "analytics.no_convergence"


class InvalidCurve(AnalyticsError):
    """Curve inputs that cannot define a curve (unsorted tenors, non-positive times, ...)."""

    code = "analytics.invalid_curve"
