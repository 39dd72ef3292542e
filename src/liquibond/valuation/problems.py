"""Analytics failures as 422 problems: the core's stable code, at the offending API field."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from liquibond.analytics import AnalyticsError
from liquibond.platform.errors import FieldError, Unprocessable

Locate = Callable[[AnalyticsError], str]
"""Names the API field (``query.price``, ``body.bonds.17.settlement_date``) an error is about."""

#: The core's names for inputs, as the API calls them.
API_NAMES = {
    "settlement": "settlement_date",
    "clean_price": "price",
    "maturity": "maturity_date",
    "first_coupon": "first_coupon_date",
}


def field_path(prefix: str, error: AnalyticsError, names: Mapping[str, str] = API_NAMES) -> str:
    """``<prefix>.<the API's name of the error's field>``, or the prefix if it names none."""
    if error.field is None:
        return prefix
    return f"{prefix}.{names.get(error.field, error.field)}"


def at(field: str) -> Locate:
    """Every error is about ``field``."""
    return lambda _: field


def message(error: AnalyticsError) -> str:
    """The core's message without its array position (the API names the field instead)."""
    text = str(error)
    return text if error.index is None else text.removesuffix(f" (item {error.index})")


def unprocessable(code: str, detail: str, field: str) -> Unprocessable:
    """A 422 problem about one field."""
    return Unprocessable(code=code, detail=detail, errors=[FieldError(field, detail)])


@contextmanager
def reported(locate: Locate) -> Iterator[None]:
    """Answer an analytics failure inside the block as a 422 problem with the core's code."""
    try:
        yield
    except AnalyticsError as error:
        raise unprocessable(error.code, message(error), locate(error)) from error
