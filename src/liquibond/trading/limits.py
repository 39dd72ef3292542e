"""Position and exposure limits: pure rules over what a user holds and bids for.

Exposure is measured in face value (minor units of the currency): the units a user holds
(available or locked) plus the units its open buy orders would add, times the face value of
one unit. A sell only lowers exposure, so only buys are checked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

RATING_BUCKETS = ("SOV", "AAA", "AA", "A", "BBB", "SUB_IG", "UNRATED")
_GRADE = re.compile(r"\b(SOV(?:EREIGN)?|AAA|AA|A|BBB|BB|B|C{1,3}|D)(?:\b|[+-])")


def rating_bucket(rating: str) -> str:
    """The limit bucket of a credit rating as an agency writes it (`CRISIL AA+`, `BBB-`,
    `SOV`): its grade without modifiers; anything below BBB is `SUB_IG`."""
    match = _GRADE.search(rating.upper().replace("(", " ").replace(")", " "))
    if match is None:
        return "UNRATED"
    grade = match.group(1)
    if grade.startswith("SOV"):
        return "SOV"
    return grade if grade in RATING_BUCKETS else "SUB_IG"


@dataclass(frozen=True, slots=True)
class Holding:
    """One bond a user holds or bids for, with what the limits need to know about it."""

    instrument_id: uuid.UUID
    issuer_id: uuid.UUID
    rating_bucket: str
    face_value: int
    issue_size_units: int
    units: int  # held (available + locked) plus open buy orders

    @property
    def exposure(self) -> int:
        """Face value held and bid for, in minor units."""
        return self.units * self.face_value


@dataclass(frozen=True, slots=True)
class Limits:
    """The venue's per-user limits."""

    max_position_percent: Decimal
    max_issuer_exposure: int | None
    rating_limits: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Breach:
    """A limit a buy would exceed."""

    code: str
    detail: str
    limit: int
    after: int


def check_buy(limits: Limits, holdings: Iterable[Holding], buy: Holding) -> Breach | None:
    """The first limit that buying `buy.units` more of `buy`'s bond would breach, if any."""
    same_issuer = same_bucket = buy.exposure
    position = buy.units
    for held in holdings:
        if held.instrument_id == buy.instrument_id:
            position += held.units
        if held.issuer_id == buy.issuer_id:
            same_issuer += held.exposure
        if held.rating_bucket == buy.rating_bucket:
            same_bucket += held.exposure
    max_units = int(buy.issue_size_units * limits.max_position_percent / 100)
    if position > max_units:
        return Breach(
            "order.position_limit_exceeded",
            f"You may hold and bid for at most {limits.max_position_percent}% of this issue "
            f"({max_units} units).",
            max_units,
            position,
        )
    if limits.max_issuer_exposure is not None and same_issuer > limits.max_issuer_exposure:
        return Breach(
            "order.issuer_limit_exceeded",
            "Your exposure to this issuer would exceed its limit.",
            limits.max_issuer_exposure,
            same_issuer,
        )
    bucket_limit = limits.rating_limits.get(buy.rating_bucket)
    if bucket_limit is not None and same_bucket > bucket_limit:
        return Breach(
            "order.rating_limit_exceeded",
            f"Your exposure to {buy.rating_bucket}-rated bonds would exceed its limit.",
            bucket_limit,
            same_bucket,
        )
    return None
