"""The market maker's loop: a client of Liquibond's public HTTP API, like any other program.

Each cycle (:meth:`MarketMaker.cycle`), for every instrument it makes a market in:

1. the fair value (:meth:`MarketMaker.fair_value`): the bond priced over a curve at a zero
   spread (``GET /instruments/{id}/analytics?curve=...&spread_bp=0``; the curve is
   ``--curve``, else the instrument's reference curve); else at a yield configured for it
   (``--yield ISIN=PERCENT``, ``analytics?yield=...``); else the middle of the book without
   its own quotes (``GET /instruments/{id}/book``, less its resting orders: a maker that
   valued a bond by its own quotes would chase them); else the last trade. The demo's bonds
   have no curve, so there it is the middle of the book the demo's liquidity provider keeps;
2. the inventory, from ``GET /portfolio/holdings`` (units once pending trades settle);
3. the quotes (:func:`liquibond.marketmaker.quoting.quote`), compared with its resting orders
   (``GET /orders?open=true``; its own are those whose ``client_order_id`` starts with its
   prefix, so a restarted maker picks up where it left off): a missing side is placed
   (``POST /orders`` with an ``Idempotency-Key``), a side whose target moved by a tick or
   whose size changed is replaced (``PATCH /orders/{id}``), a side that must stop is cancelled.

RFQs (:meth:`MarketMaker.answer_rfqs` each cycle, and at once for every change the
WebSocket's ``rfq`` channel pushes, through an :class:`RfqFeed`): for each RFQ asked of the
dealer it runs as, in a bond it makes a market in and has a fair value for, it

* quotes (``POST /rfqs/{id}/quotes``, firm, valid ``--rfq-valid-seconds``, with a last look
  of ``--rfq-last-look-ms`` if given) an open RFQ it has not quoted, or whose quote lapsed,
  at :func:`~liquibond.marketmaker.quoting.answer_rfq`'s price, or declines it by not
  quoting;
* answers a requester's counter on its live quote: meets it when it lies within its spread,
  else quotes its own price again (and withdraws the quote if it now declines);
* takes its last look on a quote of its held (``POST /rfqs/{id}/last-look``): fill when the
  price is still within ``--rfq-last-look-tolerance-bps`` of the fair value, else reject.

Auctions (:meth:`MarketMaker.bid_auctions` each cycle, unless ``--no-auctions``): in every
auction taking bids (``GET /auctions?status=bidding``) of a bond it makes a market in and has
a fair value for, bid in price and not English, where it has no active bid
(``GET /auctions/{id}/bids?mine=true``), it places one competitive bid
(``POST /auctions/{id}/bids``) at :func:`~liquibond.marketmaker.quoting.auction_bid`'s price
and quantity (up to ``--auction-size`` units): the fair value less its spread, rounded down.

Errors: a 4xx problem is logged with its code and that instrument (or side, or RFQ) is left
alone for a while, doubling up to :data:`MAX_BACKOFF_SECONDS`; a 5xx, a 429 or a network
error is retried with a growing pause (a retried POST carries the same ``Idempotency-Key``),
and a cycle that still fails is logged and followed by a longer pause. On exit the loop
cancels its orders (``POST /orders/cancel-all`` per instrument) and withdraws its live RFQ
quotes, except after a single ``--once`` cycle, whose quotes are left standing.

Not here: a second factor at login (use an API key with the ``write`` scope for accounts
that have one), quoting in yield or on several levels, and bidding in auctions bid in yield
or English ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import structlog
from websockets.asyncio.client import connect

from liquibond.marketmaker.quoting import (
    Account,
    AuctionRules,
    Bond,
    Decline,
    Lots,
    Policy,
    Quote,
    RfqLimits,
    Side,
    answer_rfq,
    auction_bid,
    best_of_others,
    dealer_side,
    last_look_fills,
    market_mid,
    moved,
    quote,
)

log = structlog.get_logger(__name__)

API = "/api/v1"
MAX_BACKOFF_SECONDS = 300.0
BUY, SELL = "buy", "sell"


class ApiError(Exception):
    """A refused request: its HTTP status and the problem's stable code (`network` for a
    request that never got an answer)."""

    def __init__(self, status: int, code: str, detail: str = "") -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail

    @property
    def transient(self) -> bool:
        """Worth retrying as it is: the server's or the network's fault, or a rate limit."""
        return self.status == 0 or self.status == 429 or self.status >= 500


@dataclass(frozen=True)
class Credentials:
    """Who the maker trades as: an API key (``X-API-Key``), or an e-mail and password."""

    api_key: str | None = None
    email: str | None = None
    password: str | None = None

    def __post_init__(self) -> None:
        if (self.api_key is None) == (self.email is None or self.password is None):
            raise ValueError("give an API key, or an e-mail and a password")


#: The longest quote validity and last look the RFQ API takes.
MAX_RFQ_VALID_SECONDS = 3_600
MAX_RFQ_LAST_LOOK_MS = 60_000


@dataclass(frozen=True)
class Config:
    """What the maker quotes and how. Sizes and limits are in units of the bond, notionals in
    minor units of its currency."""

    size: int
    max_inventory: int
    spread_bps: Decimal | None = Decimal(20)
    spread_ticks: int | None = None
    skew: Decimal = Decimal(1)
    isins: tuple[str, ...] = ()  # empty: every listed instrument
    curve: str | None = None  # default: each instrument's reference curve
    yields: Mapping[str, Decimal] = field(default_factory=dict)  # ISIN → percent, no curve
    target_inventory: int | None = None  # default: the inventory first seen
    interval: float = 5.0
    prefix: str = "mm"
    retries: int = 3
    retry_pause: float = 0.5
    books: bool = True  # quote the order books
    rfq: bool = True  # answer the RFQs asked of me
    rfq_valid_seconds: int = 30
    rfq_last_look_ms: int | None = None
    rfq_last_look_tolerance_bps: Decimal = Decimal(0)
    rfq_max_quantity: int | None = None
    rfq_max_notional: int | None = None
    auctions: bool = True  # bid in the auctions taking bids
    auction_size: int | None = None  # units bid for at most; default: size

    def policy(self) -> Policy:
        """The quoting policy (raises ValueError when inconsistent)."""
        if self.auction_size is not None and self.auction_size <= 0:
            raise ValueError("the auction size must be positive")
        return Policy(
            size=self.size,
            max_long=self.max_inventory,
            max_short=self.max_inventory,
            spread_bps=self.spread_bps if self.spread_ticks is None else None,
            spread_ticks=self.spread_ticks,
            skew=self.skew,
        )

    def rfq_limits(self) -> RfqLimits:
        """The RFQ limits (raises ValueError when an RFQ option is out of range)."""
        if not 1 <= self.rfq_valid_seconds <= MAX_RFQ_VALID_SECONDS:
            raise ValueError(f"an RFQ quote is valid 1 to {MAX_RFQ_VALID_SECONDS} seconds")
        if self.rfq_last_look_ms is not None and not (
            1 <= self.rfq_last_look_ms <= MAX_RFQ_LAST_LOOK_MS
        ):
            raise ValueError(f"a last look lasts 1 to {MAX_RFQ_LAST_LOOK_MS} ms")
        if self.rfq_last_look_tolerance_bps < 0:
            raise ValueError("the last look's tolerance cannot be negative")
        if any(value <= 0 for value in self.yields.values()):
            raise ValueError("a configured yield must be positive")
        return RfqLimits(self.rfq_max_quantity, self.rfq_max_notional)


@dataclass(frozen=True)
class Instrument:
    """A bond the maker quotes."""

    id: str
    isin: str
    lots: Lots
    reference_curve: str | None
    bond: Bond
    currency: str

    @classmethod
    def from_api(cls, row: Mapping[str, Any]) -> Instrument:
        """The instrument as `GET /instruments` shows it."""
        lots = Lots(Decimal(str(row["tick_size"])), int(row["min_lot"]), int(row["lot_increment"]))
        return cls(
            id=str(row["id"]),
            isin=str(row["isin"]),
            lots=lots,
            reference_curve=row.get("reference_curve"),
            bond=Bond(
                lots,
                int(row["face_value"]),
                Decimal(str(row["coupon_rate"])),
                Decimal(str(row["maker_fee_bps"])),
            ),
            currency=str(row["currency"]),
        )


@dataclass(frozen=True)
class Action:
    """What a cycle did on one side of one instrument (or to the instrument, side None)."""

    isin: str
    side: str | None
    kind: str  # placed, replaced, kept, cancelled, skipped, failed
    price: Decimal | None = None
    quantity: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class RfqAction:
    """What the maker did about one RFQ: quoted, renewed (its quote had lapsed), met_counter,
    requoted (its own price, after a counter), declined, withdrawn, filled, rejected (on its
    last look) or failed."""

    rfq_id: str
    isin: str
    kind: str
    price: Decimal | None = None
    detail: str = ""


@dataclass(frozen=True)
class AuctionAction:
    """What the maker did about one auction taking bids: bid, kept (it has a bid there),
    skipped (it does not bid there, saying why) or failed."""

    auction_id: str
    isin: str
    kind: str
    price: Decimal | None = None
    quantity: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class _LiveQuote:
    """A quote of mine that may still trade: what its fill would do to my position."""

    quote_id: str
    instrument_id: str
    side: Side
    quantity: int


@dataclass
class _Backoff:
    """Keys left alone until a time, the pause doubling with each consecutive failure."""

    base: float
    clock: Callable[[], float]
    _until: dict[str, float] = field(default_factory=dict)
    _pause: dict[str, float] = field(default_factory=dict)

    def blocked(self, key: str) -> bool:
        return self.clock() < self._until.get(key, float("-inf"))

    def fail(self, key: str) -> float:
        pause = min(MAX_BACKOFF_SECONDS, self._pause.get(key, self.base / 2) * 2)
        self._pause[key] = pause
        self._until[key] = self.clock() + pause
        return pause

    def succeed(self, key: str) -> None:
        self._pause.pop(key, None)
        self._until.pop(key, None)


def _decimal_json(response: httpx.Response) -> Any:
    """The body, with every JSON number that has a fraction read as an exact Decimal."""
    return json.loads(response.content, parse_float=Decimal)


def _price_text(price: Decimal) -> str:
    return format(price.normalize(), "f")


def _levels(side: list[dict[str, Any]]) -> list[tuple[Decimal, int]]:
    return [(Decimal(str(level["price"])), int(level["quantity"])) for level in side]


def _by_price(orders: list[dict[str, Any]]) -> dict[Decimal, int]:
    """Open orders' remaining quantity at each price."""
    found: dict[Decimal, int] = {}
    for order in orders:
        price = Decimal(str(order["price"]))
        found[price] = found.get(price, 0) + int(order["leaves_quantity"])
    return found


def websocket_url(base_url: str) -> str:
    """The WebSocket endpoint of the server at `base_url` (http → ws, https → wss)."""
    base = base_url.rstrip("/")
    scheme, _, rest = base.partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{API}/ws"


class MarketMaker:
    """Keeps two-sided quotes in the configured instruments over an injected HTTP client
    (its ``base_url`` is the server's)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        config: Config,
        *,
        rfq_feed: RfqFeed | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._config = config
        self._policy = config.policy()
        self._rfq_limits = config.rfq_limits()
        self._wanted = {isin.upper() for isin in config.isins}
        self._feed = rfq_feed
        self._sleep = sleep
        self._backoff = _Backoff(max(config.interval, 1.0), clock)
        self._token: str | None = None
        self._signing_in = asyncio.Lock()
        self._given_to_feed: str | None = None
        self._targets: dict[str, int] = {}
        self._quoted: dict[str, Instrument] = {}
        self._known: dict[str, Instrument] = {}  # by id: every instrument seen
        # RFQs, by id: my latest quote, my live quotes, my last looks, declines logged, and
        # the newest state seen.
        self._last_quote: dict[str, str] = {}
        self._live: dict[str, _LiveQuote] = {}
        self._decided: dict[str, str] = {}
        self._declined: dict[str, str] = {}
        self._seen_seq: dict[str, int] = {}
        self._auction_skips: dict[str, str] = {}  # auction id → why it was skipped, logged

    # -- HTTP ------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if self._credentials.api_key is not None:
            return {"X-API-Key": self._credentials.api_key}
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def login(self) -> None:
        """Start a session (nothing to do with an API key)."""
        if self._credentials.api_key is not None:
            return
        body = {"email": self._credentials.email, "password": self._credentials.password}
        tokens = await self._request("POST", "/auth/login", json=body, authenticated=False)
        self._token = str(tokens["access_token"])

    async def _login_again(self, refused: str | None) -> None:
        """Log in again after the `refused` token was refused, unless a concurrent call
        already did."""
        async with self._signing_in:
            if self._token == refused:
                await self.login()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        authenticated: bool = True,
    ) -> Any:
        """One API call, retried on 5xx, 429 and network errors; a 401 with a password logs
        in again once. Raises :class:`ApiError` on a refusal or when retries ran out."""
        relogged = False
        attempt = 0
        while True:
            token = self._token
            headers = self._headers() if authenticated else {}
            if idempotency_key is not None:
                headers["Idempotency-Key"] = idempotency_key
            try:
                response = await self._http.request(
                    method, API + path, json=json, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                error = ApiError(0, "network", f"{type(exc).__name__}: {exc}")
            else:
                if response.is_success:
                    return _decimal_json(response) if response.content else None
                error = _problem(response)
                if (
                    error.status == 401
                    and authenticated
                    and not relogged
                    and self._credentials.api_key is None
                ):
                    relogged = True
                    await self._login_again(token)
                    continue
            if not error.transient or attempt >= self._config.retries:
                raise error
            pause = self._config.retry_pause * 2**attempt
            attempt += 1
            log.warning("mm.retry", method=method, path=path, code=error.code, pause=pause)
            await self._sleep(pause)

    async def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = await self._request(
                "GET",
                path,
                params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})},
            )
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    # -- what the market and the account look like ------------------------------------------

    async def instruments(self) -> list[Instrument]:
        """The listed instruments to quote: those of the configured ISINs, or every one."""
        rows = await self._pages("/instruments", {"status": "listed"})
        found = [Instrument.from_api(row) for row in rows if self._makes_market(str(row["isin"]))]
        self._known.update((instrument.id, instrument) for instrument in found)
        missing = self._wanted - {instrument.isin.upper() for instrument in found}
        if missing:
            log.warning("mm.instruments_not_listed", isins=sorted(missing))
        return sorted(found, key=lambda instrument: instrument.isin)

    def _makes_market(self, isin: str) -> bool:
        return not self._wanted or isin.upper() in self._wanted

    async def instrument(self, instrument_id: str) -> Instrument:
        """One instrument (read once, then remembered)."""
        if instrument_id not in self._known:
            row = await self._request("GET", f"/instruments/{instrument_id}")
            self._known[instrument_id] = Instrument.from_api(row)
        return self._known[instrument_id]

    async def fair_value(
        self, instrument: Instrument, mine: Mapping[str, list[dict[str, Any]]] | None = None
    ) -> tuple[Decimal, str] | None:
        """The clean fair value and where it came from: the curve; else the yield configured
        for the bond; else the middle of the book without `mine` (my resting orders, by
        side); else the last trade. None when there is nothing to go by."""
        curve = self._config.curve or instrument.reference_curve
        if curve:
            valued = await self._analytics(instrument, {"curve": curve, "spread_bp": 0})
            if valued is not None:
                return valued, f"curve:{curve}"
        configured = self._config.yields.get(instrument.isin.upper())
        if configured is not None:
            valued = await self._analytics(instrument, {"yield": _price_text(configured)})
            if valued is not None:
                return valued, f"yield:{configured}"
        book = await self._request("GET", f"/instruments/{instrument.id}/book")
        mine = mine or {}
        mid = market_mid(
            best_of_others(_levels(book["bids"]), _by_price(mine.get(BUY, []))),
            best_of_others(_levels(book["asks"]), _by_price(mine.get(SELL, []))),
        )
        if mid is not None:
            return mid, "mid"
        ticker = await self._request("GET", f"/instruments/{instrument.id}/ticker")
        if ticker.get("last_price") is not None:
            return Decimal(str(ticker["last_price"])), "last"
        return None

    async def _analytics(self, instrument: Instrument, params: dict[str, Any]) -> Decimal | None:
        """The clean price the analytics give (None, logged, when they cannot)."""
        try:
            analytics = await self._request(
                "GET", f"/instruments/{instrument.id}/analytics", params=params
            )
        except ApiError as error:
            if error.transient:
                raise
            log.info("mm.no_analytics_value", isin=instrument.isin, code=error.code, **params)
            return None
        return Decimal(str(analytics["clean_price"]))

    async def balances(self) -> dict[tuple[str, str], int]:
        """My balances by (asset, bucket), in minor units (units for a bond)."""
        rows = await self._request("GET", "/accounts")
        return {(str(row["asset"]), str(row["bucket"])): int(row["balance"]) for row in rows}

    async def holdings(self) -> dict[str, tuple[int, int]]:
        """Per instrument id: (inventory once pending trades settle, units held now)."""
        body = await self._request("GET", "/portfolio/holdings")
        return {
            str(item["instrument_id"]): (int(item["settled_units"]), int(item["units"]))
            for item in body["items"]
        }

    async def resting(self, instrument: Instrument) -> dict[str, list[dict[str, Any]]]:
        """My open orders in the instrument that this maker placed, by side, oldest first."""
        orders = await self._pages("/orders", {"open": "true", "instrument_id": instrument.id})
        mine: dict[str, list[dict[str, Any]]] = {BUY: [], SELL: []}
        for order in reversed(orders):  # the API lists newest first
            if str(order["client_order_id"]).startswith(f"{self._config.prefix}-"):
                mine[str(order["side"])].append(order)
        return mine

    # -- the cycle -------------------------------------------------------------------------

    async def cycle(self) -> list[Action]:
        """Bring every instrument's quotes to their targets once; what was done, in order."""
        instruments = await self.instruments()
        inventory = await self.holdings()
        actions: list[Action] = []
        for instrument in instruments:
            if self._backoff.blocked(instrument.id):
                actions.append(Action(instrument.isin, None, "skipped", detail="backing off"))
                continue
            try:
                actions.extend(await self._quote(instrument, *inventory.get(instrument.id, (0, 0))))
                self._backoff.succeed(instrument.id)
            except ApiError as error:
                if error.transient:
                    raise
                pause = self._backoff.fail(instrument.id)
                log.warning("mm.refused", isin=instrument.isin, code=error.code, pause=pause)
                actions.append(Action(instrument.isin, None, "failed", detail=error.code))
        return actions

    def _target(self, instrument: Instrument, inventory: int) -> int:
        target = self._config.target_inventory
        return self._targets.setdefault(instrument.id, inventory) if target is None else target

    async def _quote(self, instrument: Instrument, inventory: int, held: int) -> list[Action]:
        resting = await self.resting(instrument)
        valued = await self.fair_value(instrument, resting)
        if valued is None:
            log.info("mm.no_fair_value", isin=instrument.isin)
            return [Action(instrument.isin, None, "skipped", detail="no fair value")]
        fair, source = valued
        self._quoted[instrument.id] = instrument
        target = self._target(instrument, inventory)
        wanted = quote(fair, instrument.lots, self._policy, inventory, target=target, sellable=held)
        log.debug("mm.quotes", isin=instrument.isin, fair=str(fair), source=source, quotes=wanted)
        # Move the side that gets out of the way first, so the two never meet on the way.
        first_bid = (
            wanted.bid is not None
            and bool(resting[BUY])
            and wanted.bid.price < Decimal(str(resting[BUY][0]["price"]))
        )
        sides = [(BUY, wanted.bid), (SELL, wanted.ask)]
        if not first_bid:
            sides.reverse()
        actions: list[Action] = []
        for side, target_quote in sides:
            key = f"{instrument.id}:{side}"
            if self._backoff.blocked(key):
                actions.append(Action(instrument.isin, side, "skipped", detail="backing off"))
                continue
            try:
                actions.extend(await self._side(instrument, side, target_quote, resting[side]))
                self._backoff.succeed(key)
            except ApiError as error:
                if error.transient:
                    raise
                pause = self._backoff.fail(key)
                log.warning(
                    "mm.refused", isin=instrument.isin, side=side, code=error.code, pause=pause
                )
                actions.append(Action(instrument.isin, side, "failed", detail=error.code))
        return actions

    async def _side(
        self,
        instrument: Instrument,
        side: str,
        target: Quote | None,
        resting: list[dict[str, Any]],
    ) -> list[Action]:
        actions: list[Action] = []
        keep = resting[0] if resting and target is not None else None
        for order in resting:
            if order is not keep:
                await self._cancel(order)
                actions.append(Action(instrument.isin, side, "cancelled", detail=str(order["id"])))
        if target is None:
            return actions
        if keep is None:
            order = await self._place(instrument, side, target)
            actions.append(Action(instrument.isin, side, "placed", target.price, target.quantity))
            return actions
        price = Decimal(str(keep["price"]))
        leaves, filled = int(keep["leaves_quantity"]), int(keep["filled_quantity"])
        if not moved(price, target.price, instrument.lots.tick) and leaves == target.quantity:
            actions.append(Action(instrument.isin, side, "kept", price, leaves))
            return actions
        change: dict[str, Any] = {"price": _price_text(target.price)}
        if leaves != target.quantity:
            change["quantity"] = filled + target.quantity
        try:
            order = await self._request("PATCH", f"/orders/{keep['id']}", json=change)
        except ApiError as error:
            if error.transient:
                raise
            # e.g. it traded away in between, or the new total is not whole lots: start over.
            log.info("mm.replace_refused", isin=instrument.isin, side=side, code=error.code)
            await self._cancel(keep)
            order = await self._place(instrument, side, target)
            actions.append(Action(instrument.isin, side, "placed", target.price, target.quantity))
            return actions
        actions.append(
            Action(instrument.isin, side, "replaced", target.price, int(order["leaves_quantity"]))
        )
        return actions

    async def _place(self, instrument: Instrument, side: str, target: Quote) -> dict[str, Any]:
        client_order_id = f"{self._config.prefix}-{side}-{uuid.uuid4().hex[:20]}"
        body = {
            "instrument_id": instrument.id,
            "client_order_id": client_order_id,
            "side": side,
            "order_type": "limit",
            "time_in_force": "gtc",
            "price": _price_text(target.price),
            "quantity": target.quantity,
        }
        order: dict[str, Any] = await self._request(
            "POST", "/orders", json=body, idempotency_key=client_order_id
        )
        return order

    async def _cancel(self, order: dict[str, Any]) -> None:
        try:
            await self._request("DELETE", f"/orders/{order['id']}")
        except ApiError as error:
            if error.transient:
                raise
            log.info("mm.cancel_refused", order_id=str(order["id"]), code=error.code)

    async def cancel_all(self, instruments: Iterable[Instrument] | None = None) -> int:
        """Cancel my open orders in the instruments quoted so far (or those given); how many
        were cancelled."""
        cancelled = 0
        for instrument in list(instruments if instruments is not None else self._quoted.values()):
            body = {"instrument_id": instrument.id}
            result = await self._request("POST", "/orders/cancel-all", json=body)
            cancelled += len(result["cancelled"])
        return cancelled

    # -- RFQs ------------------------------------------------------------------------------

    async def answer_rfqs(self) -> list[RfqAction]:
        """Answer every RFQ asked of me that is open or holds my quote for my last look."""
        views: list[dict[str, Any]] = []
        for status in ("open", "last_look"):
            views += await self._pages("/rfqs", {"role": "dealer", "status": status})
        # What ended since is no longer listed: forget it (the feed may not have said).
        remembered = {*self._last_quote, *self._declined, *self._decided, *self._seen_seq}
        for ended in remembered - {str(view["id"]) for view in views}:
            self._forget(ended)
        actions: list[RfqAction] = []
        for view in views:
            actions.extend(await self.on_rfq(view))
        return actions

    async def on_rfq(self, view: Mapping[str, Any]) -> list[RfqAction]:
        """Do what one RFQ (as `GET /rfqs/{id}` shows it) asks of me now: quote it, answer a
        counter, take my last look, or nothing. A refusal is logged and that RFQ is left
        alone for a while; a transient error is raised."""
        rfq_id, isin, status = str(view["id"]), str(view["isin"]), str(view["status"])
        if view.get("role") != "dealer" or not self._makes_market(isin):
            return []
        seq = view.get("seq")  # the RFQ's changes so far (servers that say)
        if seq is not None:
            if int(seq) < self._seen_seq.get(rfq_id, 0):
                return []  # an older state than one already seen
            self._seen_seq[rfq_id] = int(seq)
        mine = list(view["quotes"])  # a dealer sees its own quotes, oldest first
        latest = mine[-1] if mine else None
        known = self._last_quote.get(rfq_id)
        if known is not None and known not in {str(q["id"]) for q in mine}:
            return []  # a view from before my last quote: a newer one follows
        if latest is None or latest["status"] not in ("live", "held"):
            self._live.pop(rfq_id, None)
        if status not in ("open", "last_look"):
            self._forget(rfq_id)
            return []
        key = f"rfq:{rfq_id}"
        if self._backoff.blocked(key):
            return []
        try:
            actions = await self._act_on_rfq(view, latest)
            self._backoff.succeed(key)
        except ApiError as error:
            if error.transient:
                raise
            pause = self._backoff.fail(key)
            log.warning("mm.rfq_refused", rfq_id=rfq_id, isin=isin, code=error.code, pause=pause)
            actions = [RfqAction(rfq_id, isin, "failed", detail=error.code)]
        return actions

    async def _act_on_rfq(
        self, view: Mapping[str, Any], latest: Mapping[str, Any] | None
    ) -> list[RfqAction]:
        if view["status"] == "last_look":
            if latest is None or latest["status"] != "held":
                return []  # another dealer's quote is held
            if self._decided.get(str(view["id"])) == str(latest["id"]):
                return []
            return [await self._last_look(view, latest)]
        if latest is None:
            return await self._answer(view, None, "quoted")
        if latest["status"] == "expired":
            return await self._answer(view, None, "renewed")
        if latest["status"] == "live" and latest.get("counter_price") is not None:
            return await self._answer(view, latest, "requoted")
        return []  # quoted and standing, or ended by a decision (withdrawn, rejected)

    async def _answer(
        self, view: Mapping[str, Any], countered: Mapping[str, Any] | None, kind: str
    ) -> list[RfqAction]:
        """Quote the RFQ (answering the counter on `countered`, my live quote, if given), or
        decline it, withdrawing `countered`."""
        rfq_id, isin = str(view["id"]), str(view["isin"])
        instrument = await self.instrument(str(view["instrument_id"]))
        resting = await self.resting(instrument) if self._config.books else None
        valued, account = await asyncio.gather(
            self.fair_value(instrument, resting), self._account(instrument, rfq_id)
        )
        counter = None if countered is None else Decimal(str(countered["counter_price"]))
        if valued is None:
            return await self._decline(view, countered, "no fair value")
        fair, source = valued
        answer = answer_rfq(
            fair,
            instrument.bond,
            self._policy,
            self._rfq_limits,
            account,
            Side(str(view["side"])),
            int(view["quantity"]),
            counter=counter,
        )
        if answer.price is None:
            return await self._decline(view, countered, str(answer.declined))
        body: dict[str, Any] = {
            "price": _price_text(answer.price),
            "firm": True,
            "valid_for_seconds": self._config.rfq_valid_seconds,
        }
        if self._config.rfq_last_look_ms is not None:
            body["last_look_ms"] = self._config.rfq_last_look_ms
        answered = await self._request("POST", f"/rfqs/{rfq_id}/quotes", json=body)
        given = answered["quotes"][-1]  # mine, oldest first: the one just given
        self._last_quote[rfq_id] = str(given["id"])
        self._live[rfq_id] = _LiveQuote(
            str(given["id"]), instrument.id, answer.side, int(view["quantity"])
        )
        self._declined.pop(rfq_id, None)
        if answer.counter_met:
            kind = "met_counter"
        log.info(
            "mm.rfq_quoted",
            rfq_id=rfq_id,
            isin=isin,
            kind=kind,
            side=answer.side.value,
            quantity=int(view["quantity"]),
            price=str(answer.price),
            counter=None if counter is None else str(counter),
            fair=str(fair),
            source=source,
        )
        return [RfqAction(rfq_id, isin, kind, answer.price)]

    async def _decline(
        self, view: Mapping[str, Any], countered: Mapping[str, Any] | None, reason: str
    ) -> list[RfqAction]:
        """Leave the RFQ unquoted (logged once per reason); withdraw my countered quote."""
        rfq_id, isin = str(view["id"]), str(view["isin"])
        if self._declined.get(rfq_id) != reason:
            log.info("mm.rfq_declined", rfq_id=rfq_id, isin=isin, reason=reason)
        self._declined[rfq_id] = reason
        actions = [RfqAction(rfq_id, isin, "declined", detail=reason)]
        if countered is not None:
            await self._withdraw(rfq_id, str(countered["id"]))
            actions.append(RfqAction(rfq_id, isin, "withdrawn", detail=reason))
        return actions

    async def _withdraw(self, rfq_id: str, quote_id: str) -> None:
        try:
            await self._request("DELETE", f"/rfqs/{rfq_id}/quotes/{quote_id}")
        except ApiError as error:
            if error.transient:
                raise
            log.info("mm.withdraw_refused", rfq_id=rfq_id, code=error.code)
        self._live.pop(rfq_id, None)

    async def _account(self, instrument: Instrument, rfq_id: str) -> Account:
        """My account in the instrument, and what my other live quotes in it may still do."""
        holdings, balances = await asyncio.gather(self.holdings(), self.balances())
        inventory, _ = holdings.get(instrument.id, (0, 0))
        others = [
            live
            for other, live in self._live.items()
            if other != rfq_id and live.instrument_id == instrument.id
        ]
        return Account(
            inventory=inventory,
            target=self._target(instrument, inventory),
            sellable=balances.get((instrument.isin, "available"), 0),
            cash=balances.get((instrument.currency, "available"), 0),
            quoted_buy=sum(live.quantity for live in others if live.side is Side.BUY),
            quoted_sell=sum(live.quantity for live in others if live.side is Side.SELL),
        )

    async def _last_look(self, view: Mapping[str, Any], held: Mapping[str, Any]) -> RfqAction:
        """Fill my held quote if its price is still within tolerance of the fair value now,
        else reject it."""
        rfq_id, isin = str(view["id"]), str(view["isin"])
        instrument = await self.instrument(str(view["instrument_id"]))
        resting = await self.resting(instrument) if self._config.books else None
        valued = await self.fair_value(instrument, resting)
        side = dealer_side(Side(str(view["side"])))
        price = Decimal(str(held["price"]))
        tolerance = self._config.rfq_last_look_tolerance_bps
        fill = valued is not None and last_look_fills(side, price, valued[0], tolerance)
        body: dict[str, Any] = {"decision": "fill" if fill else "reject"}
        if not fill:
            body["reason"] = "no fair value" if valued is None else f"fair value now {valued[0]}"
        await self._request("POST", f"/rfqs/{rfq_id}/last-look", json=body)
        self._decided[rfq_id] = str(held["id"])
        kind = "filled" if fill else "rejected"
        fair = None if valued is None else str(valued[0])
        log.info("mm.rfq_last_look", rfq_id=rfq_id, isin=isin, decision=kind, fair=fair)
        return RfqAction(rfq_id, isin, kind, price, detail=body.get("reason", ""))

    def _forget(self, rfq_id: str) -> None:
        memories: tuple[dict[str, Any], ...] = (
            self._last_quote, self._live, self._decided, self._declined, self._seen_seq,
        )  # fmt: skip
        for memory in memories:
            memory.pop(rfq_id, None)

    async def withdraw_all(self) -> int:
        """Withdraw my live RFQ quotes; how many were withdrawn."""
        live = list(self._live.items())
        for rfq_id, mine in live:
            await self._withdraw(rfq_id, mine.quote_id)
        return len(live)

    async def _on_pushed(self, views: list[dict[str, Any]]) -> None:
        """Answer RFQs the feed pushed; a failure waits for the next cycle's look."""
        for view in views:
            try:
                await self.on_rfq(view)
            except ApiError as error:
                log.warning("mm.rfq_failed", rfq_id=str(view.get("id")), code=error.code)
            except Exception:  # a malformed push must not end the loop
                log.exception("mm.rfq_failed", rfq_id=str(view.get("id")))

    async def _feed_token(self, fresh: bool) -> str:
        """What authenticates the feed: my API key, or an access token (a new one if
        `fresh`)."""
        if self._credentials.api_key is not None:
            return self._credentials.api_key
        if fresh or self._token is None:
            await self._login_again(self._given_to_feed if fresh else self._token)
        assert self._token is not None
        self._given_to_feed = self._token
        return self._token

    # -- auctions --------------------------------------------------------------------------

    async def bid_auctions(self) -> list[AuctionAction]:
        """Bid once in every auction taking bids that I bid in and have not bid in yet."""
        auctions = await self._pages("/auctions", {"status": "bidding"})
        listed = {str(auction["id"]) for auction in auctions}
        for ended in set(self._auction_skips) - listed:
            del self._auction_skips[ended]
        actions: list[AuctionAction] = []
        for auction in auctions:
            auction_id, isin = str(auction["id"]), str(auction["isin"])
            if not self._makes_market(isin):
                continue
            key = f"auction:{auction_id}"
            if self._backoff.blocked(key):
                actions.append(AuctionAction(auction_id, isin, "skipped", detail="backing off"))
                continue
            try:
                actions.append(await self._bid_in(auction))
                self._backoff.succeed(key)
            except ApiError as error:
                if error.transient:
                    raise
                pause = self._backoff.fail(key)
                log.warning(
                    "mm.auction_refused", auction_id=auction_id, isin=isin, code=error.code,
                    pause=pause,
                )  # fmt: skip
                actions.append(AuctionAction(auction_id, isin, "failed", detail=error.code))
        return actions

    async def _bid_in(self, auction: Mapping[str, Any]) -> AuctionAction:
        auction_id, isin = str(auction["id"]), str(auction["isin"])
        if auction["basis"] != "price":
            return self._skip(auction, "bid in yield")
        if auction["format"] == "english":
            return self._skip(auction, "english")
        mine = await self._pages(f"/auctions/{auction_id}/bids", {"mine": "true"})
        active = [bid for bid in mine if bid["status"] == "active"]
        if active:
            return AuctionAction(auction_id, isin, "kept", detail=str(active[0]["id"]))
        instrument = await self.instrument(str(auction["instrument_id"]))
        resting = await self.resting(instrument) if self._config.books else None
        valued = await self.fair_value(instrument, resting)
        if valued is None:
            return self._skip(auction, "no fair value")
        fair, source = valued
        floors = [auction.get("min_price"), auction.get("round_reference")]
        lowest = max((Decimal(str(f)) for f in floors if f is not None), default=None)
        high = auction.get("max_price")
        rules = AuctionRules(
            int(auction["min_bid"]),
            int(auction["bid_multiple"]),
            lowest,
            None if high is None else Decimal(str(high)),
        )
        account = await self._account(instrument, rfq_id="")
        size = self._config.auction_size or self._config.size
        bid = auction_bid(fair, instrument.bond, self._policy, rules, account, size)
        if isinstance(bid, Decline):
            return self._skip(auction, str(bid))
        body = {"quantity": bid.quantity, "price": _price_text(bid.price)}
        key = f"{self._config.prefix}-auction-{uuid.uuid4().hex[:20]}"
        await self._request("POST", f"/auctions/{auction_id}/bids", json=body, idempotency_key=key)
        self._auction_skips.pop(auction_id, None)
        log.info(
            "mm.auction_bid", auction_id=auction_id, isin=isin, quantity=bid.quantity,
            price=str(bid.price), fair=str(fair), source=source,
        )  # fmt: skip
        return AuctionAction(auction_id, isin, "bid", bid.price, bid.quantity)

    def _skip(self, auction: Mapping[str, Any], reason: str) -> AuctionAction:
        """Leave an auction without a bid (logged once per reason)."""
        auction_id, isin = str(auction["id"]), str(auction["isin"])
        if self._auction_skips.get(auction_id) != reason:
            log.info("mm.auction_skipped", auction_id=auction_id, isin=isin, reason=reason)
        self._auction_skips[auction_id] = reason
        return AuctionAction(auction_id, isin, "skipped", detail=reason)

    # -- the loop --------------------------------------------------------------------------

    async def run(self, *, once: bool = False, stop: asyncio.Event | None = None) -> None:
        """Log in and cycle every `interval` seconds until `stop` is set (or once, raising
        :class:`ApiError` if that cycle failed), answering the RFQs the feed pushes in
        between; then cancel the quotes, unless it ran once."""
        stop = stop or asyncio.Event()
        await self.login()
        pushed: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
        listening: asyncio.Task[None] | None = None
        if self._feed is not None and self._config.rfq and not once:
            listening = asyncio.create_task(
                self._feed.run(self._feed_token, pushed.put_nowait, stop), name="mm-rfq-feed"
            )
        failures = 0
        try:
            while True:
                pause = self._config.interval
                try:
                    await self._once()
                    failures = 0
                except ApiError as error:
                    if once:
                        raise
                    failures += 1
                    pause = min(MAX_BACKOFF_SECONDS, self._config.interval * 2**failures)
                    log.warning(
                        "mm.cycle_failed", code=error.code, detail=error.detail, pause=pause
                    )
                if once:
                    return
                await self._between_cycles(pause, stop, pushed)
                if stop.is_set():
                    break
        finally:
            if listening is not None:
                listening.cancel()
                await asyncio.gather(listening, return_exceptions=True)
            if not once:
                await self._shutdown()

    async def _once(self) -> None:
        """One cycle: the books, the RFQs, then the auctions."""
        if self._config.books:
            actions = await self.cycle()
            done = [a for a in actions if a.kind not in ("kept", "skipped", "failed")]
            log.info("mm.cycle", actions=len(actions), changed=len(done))
        if self._config.rfq:
            answered = [a for a in await self.answer_rfqs() if a.kind != "declined"]
            if answered:
                log.info("mm.rfqs", actions=len(answered))
        if self._config.auctions:
            bids = [a for a in await self.bid_auctions() if a.kind == "bid"]
            if bids:
                log.info("mm.auctions", bids=len(bids))

    async def _between_cycles(
        self, pause: float, stop: asyncio.Event, pushed: asyncio.Queue[list[dict[str, Any]]]
    ) -> None:
        """Wait `pause` seconds (less if `stop` is set), answering pushed RFQs meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + pause
        while not stop.is_set() and (remaining := deadline - loop.time()) > 0:
            getting = asyncio.ensure_future(pushed.get())
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait(
                {getting, stopping}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in (getting, stopping):
                if waiter not in done:
                    waiter.cancel()
            if getting in done and not stop.is_set():
                await self._on_pushed(getting.result())

    async def _shutdown(self) -> None:
        try:
            cancelled = await self.cancel_all()
            withdrawn = await self.withdraw_all()
            log.info("mm.stopped", cancelled=cancelled, withdrawn=withdrawn)
        except ApiError as error:
            log.error("mm.shutdown_failed", code=error.code, detail=error.detail)


class _AuthRefused(Exception):
    """The WebSocket refused the token (or it expired): connect again with a new one."""


class RfqFeed:
    """The `rfq` channel of the server's WebSocket (``/api/v1/ws``): every RFQ I take part in,
    pushed as it changes, after a snapshot of the open ones on each subscription."""

    def __init__(self, url: str, *, pause: float = 1.0, open_timeout: float = 10.0) -> None:
        self._url = url
        self._pause = pause
        self._open_timeout = open_timeout
        self._failures = 0

    async def run(
        self,
        token: Callable[[bool], Awaitable[str]],
        deliver: Callable[[list[dict[str, Any]]], None],
        stop: asyncio.Event,
    ) -> None:
        """Stay subscribed until `stop` is set, handing each snapshot and change to `deliver`;
        after a failure, connect again after a pause that doubles up to a minute. `token`
        gives what authenticates (a new one when asked, after a refusal)."""
        fresh = False
        while not stop.is_set():
            try:
                await self._listen(await token(fresh), deliver)
                fresh = False
                log.info("mm.feed_closed")
            except _AuthRefused as refused:
                fresh = True
                log.info("mm.feed_reauthenticating", code=str(refused))
            except Exception as exc:  # the feed outlives every failure; the cycles poll meanwhile
                log.warning("mm.feed_failed", error=f"{type(exc).__name__}: {exc}")
            self._failures += 1
            pause = min(60.0, self._pause * 2 ** min(self._failures - 1, 10))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)

    async def _listen(self, token: str, deliver: Callable[[list[dict[str, Any]]], None]) -> None:
        async with connect(self._url, open_timeout=self._open_timeout) as socket:
            await socket.send(json.dumps({"op": "auth", "token": token}))
            async for raw in socket:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "heartbeat":
                    await socket.send(json.dumps({"op": "pong"}))
                elif kind == "authenticated":
                    await socket.send(json.dumps({"op": "subscribe", "channels": ["rfq"]}))
                elif kind == "subscribed":
                    self._failures = 0
                    log.info("mm.feed_subscribed")
                elif kind == "rfqs":
                    deliver(list(message["data"]))
                elif kind == "rfq":
                    deliver([message["data"]])
                elif kind == "error":
                    code = str(message.get("code", ""))
                    if code.startswith("auth."):
                        raise _AuthRefused(code)
                    log.warning("mm.feed_error", code=code, detail=message.get("detail"))


def _problem(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return ApiError(
            response.status_code, str(body.get("code", "unknown")), str(body.get("detail", ""))
        )
    return ApiError(response.status_code, f"http_{response.status_code}", response.text[:200])
