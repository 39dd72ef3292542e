"""What an auction bid reserves and what a winner pays, in minor units of the currency (pure).

**Paying.** A winner pays for its units at settlement what a trade settling that day would
cost: ``units x face x clean price / 100 + accrued interest``, computed exactly and rounded
once, half to even (:func:`liquibond.analytics.trade_cash`). The clean price is

- PRICE basis (a re-issue of a listed bond): the quote paid: the bid's own price, or the
  cut-off, or for non-competitive bids in a multiple-price auction the weighted average;
- YIELD basis (a new issue, settled on its issue date, so with no accrued interest): the
  coupon is the cut-off yield ``c``, and a quote paid ``y`` (never above ``c``) costs
  ``100 + P(y) - P(c)``, where ``P`` is the clean price of the bond with coupon ``c`` at a
  yield: par at the cut-off (as RBI issues a new security), a premium below it (what a
  multiple-price auction charges bids under the cut-off). Rounded half to even to 4
  decimals.

**Reserving.** A bid reserves the most it can cost, so settlement never needs more than was
reserved, and the surplus is released then:

- a competitive PRICE bid: at its price (uniform winners pay the cut-off, never more);
- a non-competitive PRICE bid: at the auction's maximum price (it pays the cut-off or the
  weighted average, neither above the best accepted bid, which is at most that);
- any YIELD bid in a uniform-price auction: at par (everybody pays the cut-off yield, and
  the cut-off yield is the coupon);
- a competitive YIELD bid in a multiple-price auction: at the price of its yield if the
  coupon came out at the auction's maximum yield (the price grows with the coupon), rounded
  up to 4 decimals;
- a non-competitive YIELD bid in a multiple-price auction (it pays at the weighted average
  yield): as a competitive bid at the auction's minimum yield.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

from liquibond.analytics import BondTerms, TradeCash, bond_price, trade_cash
from liquibond.analytics.errors import NonPositivePrice
from liquibond.auctions.clearing import Basis, Pricing

PAR = Decimal(100)
#: Decimals of a price derived from a yield.
YIELD_PRICE_PLACES = 4
_PRICE_STEP = Decimal(1).scaleb(-YIELD_PRICE_PLACES)
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class AuctionCash:
    """How one auction turns quotes into cash.

    ``bond`` are the instrument's terms (for a new issue, with its provisional coupon: the
    coupon only matters once it is the cut-off yield); ``min_quote`` and ``max_quote`` the
    auction's range of quotes (prices, or yields in percent), None where open.
    """

    basis: Basis
    pricing: Pricing
    bond: BondTerms
    settles_on: date
    scale: int
    min_quote: Decimal | None = None
    max_quote: Decimal | None = None

    def reservation(self, quantity: int, quote: Decimal | None) -> int:
        """What a bid of `quantity` at `quote` (None: non-competitive) reserves."""
        if self.basis is Basis.PRICE:
            price = quote if quote is not None else self.max_quote
            if price is None:
                raise ValueError("a non-competitive price bid needs the auction's maximum price")
            return self._cash(self.bond, quantity, price).total
        if self.pricing is Pricing.UNIFORM:
            return self._cash(self.bond, quantity, PAR).total
        worst_coupon, best_yield = self.max_quote, quote if quote is not None else self.min_quote
        if worst_coupon is None or best_yield is None:
            raise ValueError("a multiple-price yield auction needs its yield range")
        price = new_issue_price(
            self.bond, self.settles_on, best_yield, worst_coupon, rounding=ROUND_CEILING
        )
        return self._cash(coupon_terms(self.bond, worst_coupon), quantity, price).total

    def clean_price(self, quote_paid: Decimal, coupon: Decimal | None) -> Decimal:
        """The clean price per 100 paid for `quote_paid`; `coupon` is a new issue's cut-off."""
        if self.basis is Basis.PRICE:
            return quote_paid
        if coupon is None:
            raise ValueError("a yield quote is paid on the coupon set by the cut-off")
        return new_issue_price(self.bond, self.settles_on, quote_paid, coupon)

    def payment(self, quantity: int, price: Decimal, coupon: Decimal | None) -> TradeCash:
        """What `quantity` units cost at the clean `price` (a new issue: with its `coupon`)."""
        bond = self.bond if coupon is None else coupon_terms(self.bond, coupon)
        return self._cash(bond, quantity, price)

    def _cash(self, bond: BondTerms, quantity: int, price: Decimal) -> TradeCash:
        return trade_cash(bond, self.settles_on, quantity, price, self.scale)


def coupon_terms(bond: BondTerms, coupon_percent: Decimal) -> BondTerms:
    """The bond's terms with its coupon set to `coupon_percent`."""
    return replace(bond, coupon_rate=coupon_percent / _HUNDRED)


def new_issue_price(
    bond: BondTerms,
    settles_on: date,
    yield_percent: Decimal,
    coupon_percent: Decimal,
    *,
    rounding: str = ROUND_HALF_EVEN,
) -> Decimal:
    """The clean price per 100 a new issue with coupon `coupon_percent` (the cut-off yield)
    is sold at for `yield_percent`: par at the coupon, ``100 + P(y) - P(c)`` otherwise (see
    the module docstring), to 4 decimals by `rounding`."""
    if yield_percent == coupon_percent:
        return PAR
    terms = coupon_terms(bond, coupon_percent)
    at_yield = bond_price(terms, settles_on, float(yield_percent) / 100).clean
    at_coupon = bond_price(terms, settles_on, float(coupon_percent) / 100).clean
    if not (math.isfinite(at_yield) and math.isfinite(at_coupon)):
        raise NonPositivePrice("this yield gives no price", field="yield_percent")
    price = PAR + Decimal(repr(at_yield)) - Decimal(repr(at_coupon))
    price = price.quantize(_PRICE_STEP, rounding)
    if price <= 0:
        raise NonPositivePrice("this yield gives no positive price", field="yield_percent")
    return price
