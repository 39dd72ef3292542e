"""ISIN validation (ISO 6166): two-letter country, nine alphanumerics, a Luhn check digit."""

from __future__ import annotations

import re

_SHAPE = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")


def isin_check_digit(first_eleven: str) -> int:
    """The check digit for the first eleven characters of an ISIN."""
    # Letters become two digits (A=10 ... Z=35); then Luhn over the digit string.
    digits = "".join(str(int(char, 36)) for char in first_eleven)
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return (10 - total % 10) % 10


def is_valid_isin(candidate: str) -> bool:
    """True if `candidate` is a well-formed ISIN with the right check digit."""
    return bool(_SHAPE.match(candidate)) and isin_check_digit(candidate[:11]) == int(candidate[11])
