"""Auction API shapes. Quantities are units of the bond; prices clean per 100 of face value;
yields in percent; amounts integers in minor units of the auction's currency."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import AwareDatetime, Field, PlainSerializer, model_validator
from pydantic_core import PydanticCustomError

from liquibond.auctions.clearing import Basis, Pricing, Rounding
from liquibond.auctions.lifecycle import AuctionStatus
from liquibond.auctions.models import QUOTE_SCALE, SHARE_SCALE, AuctionFormat, BidStatus, Visibility
from liquibond.platform.db import canonical_decimal
from liquibond.platform.schemas import RequestModel, ResponseModel


def _text(value: Decimal) -> str:
    return str(canonical_decimal(value))


def _hundredths(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


#: A Decimal written as its shortest exact text ("101.25", "100").
Exact = Annotated[Decimal, PlainSerializer(_text, return_type=str, when_used="json")]
#: A published figure of 2 decimals, written with both ("88.00", "1.23").
Hundredths = Annotated[Decimal, PlainSerializer(_hundredths, return_type=str, when_used="json")]

Units = Annotated[int, Field(gt=0, le=10**15)]
Price = Annotated[Decimal, Field(gt=0, lt=10_000, decimal_places=QUOTE_SCALE)]
#: Bid yields are quoted to 4 decimals (basis points to two places), as RBI auctions take them.
YieldPercent = Annotated[Decimal, Field(gt=0, lt=100, decimal_places=4)]
Share = Annotated[Decimal, Field(ge=0, le=1, decimal_places=SHARE_SCALE)]
Position = Annotated[int, Field(ge=0, le=10**15)]


def _invalid(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message)


class AuctionCreate(RequestModel):
    """A primary auction of one instrument, drafted by its issuer (or an admin).

    A re-issue of a listed bond is bid in PRICE; a new issue (an instrument submitted for
    approval, whose issue date is the settlement date) in YIELD, and its cut-off yield
    becomes the coupon. ENGLISH and MULTI_ROUND auctions are bid in price.
    """

    instrument_id: uuid.UUID
    format: AuctionFormat
    basis: Basis = Basis.PRICE
    pricing: Pricing | None = Field(
        default=None,
        description="What winners pay in each round of a multi_round auction (default uniform)",
    )
    visibility: Visibility | None = Field(
        default=None,
        description="sealed: bids invisible to others until the close (the default); open: "
        "everyone sees them, without names (an english auction is always open)",
    )
    offering: Units = Field(description="Units offered (a multiple of the lot)")
    lot: Units | None = Field(
        default=None, description="Awards are multiples of it (default: the bond's lot increment)"
    )
    min_bid: Units | None = Field(
        default=None, description="Smallest bid (default: the bond's minimum lot)"
    )
    bid_multiple: Units | None = Field(
        default=None, description="Bids are multiples of it (default: the bond's lot increment)"
    )
    rounding: Rounding = Field(
        default=Rounding.LARGEST_REMAINDER,
        description="How pro-rated awards become lots: up (US Treasury), down (RBI) or "
        "largest_remainder",
    )
    non_competitive_share: Share = Field(
        default=Decimal(0), description="Share of the offering reserved for non-competitive bids"
    )
    non_competitive_max: Units | None = Field(
        default=None, description="Each investor's non-competitive maximum (units)"
    )
    bidder_cap_share: Share | None = Field(
        default=None,
        description="A bidder's competitive bids count up to this share of the offering, less "
        "the position the bidder reports",
    )
    min_price: Price | None = Field(
        default=None, description="PRICE: the lowest price accepted (english: the opening price)"
    )
    max_price: Price | None = Field(
        default=None,
        description="PRICE: the highest price accepted; needed for non-competitive bids, which "
        "reserve cash at it",
    )
    min_yield: YieldPercent | None = Field(
        default=None,
        description="YIELD: the lowest yield accepted; needed for non-competitive bids in a "
        "multiple-price auction",
    )
    max_yield: YieldPercent | None = Field(
        default=None,
        description="YIELD: the highest yield accepted (the highest the coupon can be); needed "
        "in a multiple-price auction",
    )
    min_increment: Price | None = Field(
        default=None, description="english: the least raise over the best bid"
    )
    soft_close_seconds: Annotated[int, Field(ge=0, le=3600)] | None = Field(
        default=None,
        description="english: a bid this close to the end moves the end this much later",
    )
    rounds: Annotated[int, Field(ge=2, le=10)] | None = Field(
        default=None, description="multi_round: how many rounds (each as long as the first)"
    )
    announce_at: AwareDatetime = Field(description="When it becomes public")
    opens_at: AwareDatetime = Field(description="When bidding opens")
    closes_at: AwareDatetime = Field(description="When bidding closes (multi_round: round 1)")
    settles_on: date = Field(description="When cash and units move (a new issue's issue date)")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        kind = self.format
        english, rounds = kind is AuctionFormat.ENGLISH, kind is AuctionFormat.MULTI_ROUND
        if not self.announce_at <= self.opens_at < self.closes_at:
            raise _invalid("times", "announce_at <= opens_at < closes_at")
        if self.basis is Basis.PRICE and (self.min_yield or self.max_yield):
            raise _invalid("basis", "a PRICE auction takes min_price and max_price, not yields")
        if self.basis is Basis.YIELD and (self.min_price or self.max_price):
            raise _invalid("basis", "a YIELD auction takes min_yield and max_yield, not prices")
        if self.basis is Basis.YIELD and (english or rounds):
            raise _invalid("basis", f"a {kind} auction is bid in price")
        if (self.pricing is not None) and not rounds:
            raise _invalid("pricing", "pricing is chosen for multi_round auctions only")
        if rounds != (self.rounds is not None):
            raise _invalid("rounds", "rounds goes with multi_round auctions only")
        if english:
            if self.visibility is Visibility.SEALED:
                raise _invalid("visibility", "an english auction is open")
            if self.min_price is None or self.min_increment is None:
                raise _invalid("english", "an english auction needs min_price and min_increment")
            if self.non_competitive_share or self.bidder_cap_share is not None:
                raise _invalid("english", "an english auction has no non-competitive part or cap")
        elif self.min_increment is not None or self.soft_close_seconds is not None:
            raise _invalid("english", "min_increment and soft_close_seconds are for english")
        if self.non_competitive_max is not None and not self.non_competitive_share:
            raise _invalid("non_competitive", "non_competitive_max needs a non-competitive share")
        if self.bidder_cap_share is not None and self.bidder_cap_share == 0:
            raise _invalid("bidder_cap_share", "a bidder cap is above 0")
        low, high = self.quote_range
        if low is not None and high is not None and low > high:
            raise _invalid("range", "the minimum quote is above the maximum")
        multiple = kind is AuctionFormat.MULTIPLE
        if self.basis is Basis.PRICE and self.non_competitive_share and self.max_price is None:
            raise _invalid("max_price", "non-competitive bids need max_price (they reserve at it)")
        if self.basis is Basis.YIELD and multiple:
            if self.max_yield is None:
                raise _invalid("max_yield", "a multiple-price yield auction needs max_yield")
            if self.non_competitive_share and self.min_yield is None:
                raise _invalid("min_yield", "its non-competitive bids need min_yield")
        return self

    @property
    def quote_range(self) -> tuple[Decimal | None, Decimal | None]:
        """The lowest and highest quote accepted, per the basis."""
        if self.basis is Basis.PRICE:
            return self.min_price, self.max_price
        return self.min_yield, self.max_yield

    @property
    def effective_pricing(self) -> Pricing:
        """What winners pay."""
        if self.format is AuctionFormat.MULTIPLE:
            return Pricing.MULTIPLE
        if self.format is AuctionFormat.MULTI_ROUND:
            return self.pricing or Pricing.UNIFORM
        return Pricing.UNIFORM  # uniform, and english: the winner pays its bid

    @property
    def effective_visibility(self) -> Visibility:
        """Who sees the bids."""
        if self.format is AuctionFormat.ENGLISH:
            return Visibility.OPEN
        return self.visibility or Visibility.SEALED


class BidCreate(RequestModel):
    """A bid: competitive with a `price` (PRICE auctions) or a `yield_percent` (YIELD
    auctions), or non-competitive with neither. Its cash is reserved at once."""

    quantity: Units = Field(description="Units bid for (english: the whole offering)")
    price: Price | None = Field(default=None, description="Clean price per 100")
    yield_percent: YieldPercent | None = Field(default=None, description="Yield in percent")
    position: Position | None = Field(
        default=None, description="Units of the bond you hold (net long), for the bidder cap"
    )

    @model_validator(mode="after")
    def _one_quote(self) -> Self:
        if self.price is not None and self.yield_percent is not None:
            raise _invalid("price_and_yield", "give price or yield_percent, not both")
        return self

    @property
    def quote(self) -> Decimal | None:
        """The price or yield bid; None for a non-competitive bid."""
        return self.price if self.price is not None else self.yield_percent


class BidAmend(RequestModel):
    """A change to one of my bids while bidding: its quantity, its quote (a competitive bid
    stays competitive), or the position I report. Its reservation follows."""

    quantity: Units | None = None
    price: Price | None = None
    yield_percent: YieldPercent | None = None
    position: Position | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.price is not None and self.yield_percent is not None:
            raise _invalid("price_and_yield", "give price or yield_percent, not both")
        if not self.model_fields_set:
            raise _invalid("empty", "change quantity, price, yield_percent or position")
        return self

    @property
    def quote(self) -> Decimal | None:
        """The new price or yield, if any."""
        return self.price if self.price is not None else self.yield_percent


class RoundOut(ResponseModel):
    """A cleared round's results (an auction of one round has one)."""

    number: int
    offering: int
    reference: Exact | None = Field(description="The worst quote its bids could make")
    cut_off: Exact | None
    weighted_average: Exact | None
    partial_allotment: Hundredths | None = Field(description="Percent at the cut-off, rounded up")
    bid_to_cover: Hundredths
    total_bid: int
    total_allotted: int
    competitive_allotted: int
    non_competitive_allotted: int
    undersubscribed: bool


class ResultsOut(ResponseModel):
    """What a cleared auction published (quotes per its basis: prices, or yields)."""

    auction_id: uuid.UUID
    status: AuctionStatus
    basis: Basis
    pricing: Pricing
    offering: int
    cut_off: Exact | None = Field(
        description="The worst accepted quote (over every round); null: nothing was allotted"
    )
    weighted_average: Exact | None = Field(description="Of the accepted competitive quotes")
    partial_allotment: Hundredths | None = Field(description="Percent at the cut-off, rounded up")
    bid_to_cover: Hundredths
    total_bid: int
    total_allotted: int
    competitive_allotted: int
    non_competitive_allotted: int
    undersubscribed: bool
    coupon_rate: Exact | None = Field(description="A new issue's coupon: the cut-off yield")
    amount_raised: int = Field(description="What the winners pay the issuer")
    rounds: list[RoundOut]
    cleared_at: datetime
    settled_at: datetime | None


class BondOffered(ResponseModel):
    """The terms of the bond an auction sells, public with the auction (a new issue's bond
    is not listed yet; its coupon is the cut-off yield, null until the auction clears)."""

    name: str
    face_value: int = Field(description="Minor units of the currency per unit")
    coupon_rate: Exact | None = Field(description="Percent a year")
    coupon_frequency: int
    day_count: str
    issue_date: date
    maturity_date: date
    first_coupon_date: date | None
    tick_size: Exact
    credit_rating: str


class EnglishState(ResponseModel):
    """An English auction's live state, public."""

    best_price: Exact | None = Field(description="The best bid (never who made it)")
    minimum_bid: Exact = Field(description="The least the next bid may offer")
    bids: int = Field(description="Bids accepted so far")


class AuctionOut(ResponseModel):
    """An auction: its rules, schedule and status, the live state of an English auction,
    and once cleared its results. Public once announced."""

    id: uuid.UUID
    instrument_id: uuid.UUID
    isin: str
    issuer_id: uuid.UUID
    currency: str
    format: AuctionFormat
    basis: Basis
    pricing: Pricing
    visibility: Visibility
    status: AuctionStatus
    status_reason: str | None
    seq: int = Field(description="Counts the changes to what everybody sees")
    offering: int
    lot: int
    min_bid: int
    bid_multiple: int
    rounding: Rounding
    non_competitive_share: Exact
    non_competitive_max: int | None
    bidder_cap_share: Exact | None
    min_price: Exact | None
    max_price: Exact | None
    min_yield: Exact | None
    max_yield: Exact | None
    min_increment: Exact | None
    soft_close_seconds: int | None
    rounds: int
    current_round: int
    round_offering: int | None = Field(description="multi_round: the current round's tranche")
    round_reference: Exact | None = Field(
        description="multi_round: the worst quote the current round accepts"
    )
    announce_at: datetime
    opens_at: datetime
    closes_at: datetime = Field(description="When bidding ends (an english soft close moves it)")
    scheduled_close_at: datetime
    settles_on: date
    bids: int | None = Field(description="Bids in the auction; null while they are sealed")
    bond: BondOffered
    english: EnglishState | None
    results: ResultsOut | None
    created_at: datetime
    updated_at: datetime | None


class BidOut(ResponseModel):
    """A bid. Another bidder's (where the auction shows it) comes without its bidder, its
    reported position or its reservation."""

    id: uuid.UUID
    auction_id: uuid.UUID
    number: int
    round: int
    mine: bool
    user_id: uuid.UUID | None
    competitive: bool
    price: Exact | None
    yield_percent: Exact | None
    quantity: int
    position: int | None
    status: BidStatus
    reserved: int | None = Field(description="Cash it holds now (minor units); yours only")
    created_at: datetime
    updated_at: datetime | None


class AllocationOut(ResponseModel):
    """What one bid was allotted and pays."""

    bid_id: uuid.UUID
    bid_number: int
    user_id: uuid.UUID
    round: int
    requested: int
    recognised: int = Field(description="Counted after the bidder cap or non-competitive max")
    quantity: int = Field(description="Units allotted")
    price: Exact | None = Field(description="Clean price per 100 paid")
    yield_percent: Exact | None = Field(description="YIELD auctions: the yield paid")
    principal: int
    accrued: int
    amount: int = Field(description="What settlement pays the issuer")
    reserved: int
    refund: int = Field(description="What settlement releases")
    entry_id: uuid.UUID | None
    settled_at: datetime | None
