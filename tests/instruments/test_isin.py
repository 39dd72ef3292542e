"""ISIN check digits against real ISINs (ISO 6166)."""

from __future__ import annotations

import pytest

from liquibond.instruments.isin import is_valid_isin, isin_check_digit

REAL = [
    "IN0020220102",  # 7.26% GS 2032, Government of India (RBI)
    "INE002A08534",  # Reliance Industries debenture (NSDL)
    "INE062A08264",  # State Bank of India bond
    "US0378331005",  # Apple Inc.
    "GB0002634946",  # BAE Systems
    "US912828Z781",  # a US Treasury note
]


@pytest.mark.parametrize("isin", REAL)
def test_real_isins_are_valid(isin: str) -> None:
    assert is_valid_isin(isin)


@pytest.mark.parametrize(
    "broken",
    [
        "IN0020220103",  # wrong check digit
        "INE002A08535",  # wrong check digit
        "INE002A0853",  # too short
        "INE002A085345",  # too long
        "in0020220102",  # lower case
        "1N0020220102",  # country not letters
        "INE002A0853X",  # check digit not a digit
    ],
)
def test_broken_isins_are_invalid(broken: str) -> None:
    assert not is_valid_isin(broken)


def test_every_single_digit_change_is_caught() -> None:
    isin = "IN0020220102"
    for position in range(2, 11):
        for digit in "0123456789":
            if isin[position].isdigit() and digit != isin[position]:
                changed = isin[:position] + digit + isin[position + 1 :]
                assert not is_valid_isin(changed), changed
    assert isin_check_digit("US037833100") == 5
