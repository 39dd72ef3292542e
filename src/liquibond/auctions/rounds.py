"""Multi-round sealed-bid auctions (pure): the offering sold over a set number of rounds.

Each round is an ordinary clearing (:func:`liquibond.auctions.clearing.clear`, with the
plan's rules) of a tranche: what is still unsold shared equally over the rounds left,
rounded up to the lot, so whatever a round does not sell rolls into the later ones. A
round's cut-off becomes the next round's reference: bids worse than it (a lower price, or
on a yield basis a higher yield) are refused, so the price only ratchets in the issuer's
favour. The first round's reference is the plan's ``reserve`` (None: no limit).
Non-competitive bids are never refused. The bidder cap applies to each round's tranche;
pass earlier rounds' awards in ``positions`` to make it span the rounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType

from liquibond.auctions.clearing import (
    AuctionResult,
    AuctionRules,
    Basis,
    Bid,
    BidderId,
    BidId,
    clear,
)


@dataclass(frozen=True, slots=True)
class MultiRoundPlan:
    """``rules.offering`` is the total over all ``rounds``; ``reserve`` the first reference."""

    rules: AuctionRules
    rounds: int
    reserve: Decimal | None = None

    def __post_init__(self) -> None:
        if self.rounds < 1:
            raise ValueError("a multi-round auction needs at least one round")


@dataclass(frozen=True, slots=True)
class Round:
    """Round ``number`` (from 1): ``remaining`` unsold before it, ``offering`` its tranche,
    ``reference`` the worst acceptable quote (None: no limit)."""

    number: int
    remaining: int
    offering: int
    reference: Decimal | None


@dataclass(frozen=True, slots=True)
class RoundResult:
    """A cleared round: its result, the bids refused against the reference, and the next
    round (None after the last round, or once everything is sold)."""

    round: Round
    result: AuctionResult
    refused: tuple[BidId, ...]
    next: Round | None


_NO_POSITIONS: Mapping[BidderId, int] = MappingProxyType({})


def first_round(plan: MultiRoundPlan) -> Round:
    """Round 1 of ``plan``."""
    return _round(plan, 1, plan.rules.offering, plan.reserve)


def clear_round(
    plan: MultiRoundPlan,
    current: Round,
    bids: Iterable[Bid],
    positions: Mapping[BidderId, int] = _NO_POSITIONS,
) -> RoundResult:
    """Clear ``current`` with ``bids`` and give the next round, whose reference is the cut-off."""
    reference = current.reference
    admitted: list[Bid] = []
    refused: list[BidId] = []
    for bid in bids:
        if bid.quote is None or reference is None or _admissible(bid.quote, reference, plan):
            admitted.append(bid)
        else:
            refused.append(bid.bid_id)
    result = clear(replace(plan.rules, offering=current.offering), admitted, positions)
    remaining = max(current.remaining - result.total_allotted, 0)
    if current.number == plan.rounds or remaining == 0:
        following = None
    else:
        cut_off = result.cut_off
        following = _round(
            plan, current.number + 1, remaining, reference if cut_off is None else cut_off
        )
    return RoundResult(current, result, tuple(sorted(refused)), following)


def _admissible(quote: Decimal, reference: Decimal, plan: MultiRoundPlan) -> bool:
    """Whether ``quote`` is at least as good for the issuer as ``reference``."""
    return quote >= reference if plan.rules.basis is Basis.PRICE else quote <= reference


def _round(plan: MultiRoundPlan, number: int, remaining: int, reference: Decimal | None) -> Round:
    """Round ``number`` with ``remaining`` unsold: its tranche is an equal share, lot-rounded up."""
    lot = plan.rules.lot
    rounds_left = plan.rounds - number + 1
    tranche = -(-remaining // (rounds_left * lot)) * lot
    return Round(number, remaining, tranche, reference)
