"""The market maker's loop: a client of Liquibond's public HTTP API, like any other program.

Each cycle (:meth:`MarketMaker.cycle`), for every instrument it makes a market in:

1. the fair value: the bond priced over a curve at a zero spread
   (``GET /instruments/{id}/analytics?curve=...&spread_bp=0``; the curve is ``--curve``, else
   the instrument's reference curve), else the last trade, else the middle of the book;
2. the inventory, from ``GET /portfolio/holdings`` (units once pending trades settle);
3. the quotes (:func:`liquibond.marketmaker.quoting.quote`), compared with its resting orders
   (``GET /orders?open=true``; its own are those whose ``client_order_id`` starts with its
   prefix, so a restarted maker picks up where it left off): a missing side is placed
   (``POST /orders`` with an ``Idempotency-Key``), a side whose target moved by a tick or
   whose size changed is replaced (``PATCH /orders/{id}``), a side that must stop is cancelled.

Errors: a 4xx problem is logged with its code and that instrument (or side) is left alone
for a while, doubling up to :data:`MAX_BACKOFF_SECONDS`; a 5xx, a 429 or a network error is
retried with a growing pause (a retried POST carries the same ``Idempotency-Key``), and a
cycle that still fails is logged and followed by a longer pause. On exit the loop cancels
its orders (``POST /orders/cancel-all`` per instrument), except after a single ``--once``
cycle, whose quotes are left resting.

Not here: automatic answers to RFQs (Liquibond has no RFQ API yet), a second factor at
login (use an API key with the ``write`` scope for accounts that have one), and quoting in
yield or on several levels.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import structlog

from liquibond.marketmaker.quoting import Lots, Policy, Quote, moved, quote

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


@dataclass(frozen=True)
class Config:
    """What the maker quotes and how. Sizes and limits are in units of the bond."""

    size: int
    max_inventory: int
    spread_bps: Decimal | None = Decimal(20)
    spread_ticks: int | None = None
    skew: Decimal = Decimal(1)
    isins: tuple[str, ...] = ()  # empty: every listed instrument
    curve: str | None = None  # default: each instrument's reference curve
    target_inventory: int | None = None  # default: the inventory first seen
    interval: float = 5.0
    prefix: str = "mm"
    retries: int = 3
    retry_pause: float = 0.5

    def policy(self) -> Policy:
        """The quoting policy (raises ValueError when inconsistent)."""
        return Policy(
            size=self.size,
            max_long=self.max_inventory,
            max_short=self.max_inventory,
            spread_bps=self.spread_bps if self.spread_ticks is None else None,
            spread_ticks=self.spread_ticks,
            skew=self.skew,
        )


@dataclass(frozen=True)
class Instrument:
    """A bond the maker quotes."""

    id: str
    isin: str
    lots: Lots
    reference_curve: str | None


@dataclass(frozen=True)
class Action:
    """What a cycle did on one side of one instrument (or to the instrument, side None)."""

    isin: str
    side: str | None
    kind: str  # placed, replaced, kept, cancelled, skipped, failed
    price: Decimal | None = None
    quantity: int | None = None
    detail: str = ""


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


class MarketMaker:
    """Keeps two-sided quotes in the configured instruments over an injected HTTP client
    (its ``base_url`` is the server's)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        config: Config,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._config = config
        self._policy = config.policy()
        self._sleep = sleep
        self._backoff = _Backoff(max(config.interval, 1.0), clock)
        self._token: str | None = None
        self._targets: dict[str, int] = {}
        self._quoted: dict[str, Instrument] = {}

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
                    await self.login()
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
        wanted = {isin.upper() for isin in self._config.isins}
        found = [
            Instrument(
                id=str(row["id"]),
                isin=str(row["isin"]),
                lots=Lots(Decimal(str(row["tick_size"])), row["min_lot"], row["lot_increment"]),
                reference_curve=row.get("reference_curve"),
            )
            for row in rows
            if not wanted or str(row["isin"]).upper() in wanted
        ]
        missing = wanted - {instrument.isin.upper() for instrument in found}
        if missing:
            log.warning("mm.instruments_not_listed", isins=sorted(missing))
        return sorted(found, key=lambda instrument: instrument.isin)

    async def fair_value(self, instrument: Instrument) -> tuple[Decimal, str] | None:
        """The clean fair value and where it came from: the curve, else the last trade, else
        the middle of the book; None when there is nothing to go by."""
        curve = self._config.curve or instrument.reference_curve
        if curve:
            try:
                analytics = await self._request(
                    "GET",
                    f"/instruments/{instrument.id}/analytics",
                    params={"curve": curve, "spread_bp": 0},
                )
                return Decimal(str(analytics["clean_price"])), f"curve:{curve}"
            except ApiError as error:
                if error.transient:
                    raise
                log.info("mm.no_curve_value", isin=instrument.isin, curve=curve, code=error.code)
        ticker = await self._request("GET", f"/instruments/{instrument.id}/ticker")
        if ticker.get("last_price") is not None:
            return Decimal(str(ticker["last_price"])), "last"
        bid, ask = ticker.get("best_bid"), ticker.get("best_ask")
        if bid and ask:
            return (Decimal(str(bid["price"])) + Decimal(str(ask["price"]))) / 2, "mid"
        return None

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

    async def _quote(self, instrument: Instrument, inventory: int, held: int) -> list[Action]:
        valued = await self.fair_value(instrument)
        if valued is None:
            log.info("mm.no_fair_value", isin=instrument.isin)
            return [Action(instrument.isin, None, "skipped", detail="no fair value")]
        fair, source = valued
        self._quoted[instrument.id] = instrument
        target = self._config.target_inventory
        if target is None:
            target = self._targets.setdefault(instrument.id, inventory)
        wanted = quote(fair, instrument.lots, self._policy, inventory, target=target, sellable=held)
        log.debug("mm.quotes", isin=instrument.isin, fair=str(fair), source=source, quotes=wanted)
        resting = await self.resting(instrument)
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

    # -- the loop --------------------------------------------------------------------------

    async def run(self, *, once: bool = False, stop: asyncio.Event | None = None) -> None:
        """Log in and cycle every `interval` seconds until `stop` is set (or once, raising
        :class:`ApiError` if that cycle failed); then cancel the quotes, unless it ran once."""
        stop = stop or asyncio.Event()
        await self.login()
        failures = 0
        try:
            while True:
                pause = self._config.interval
                try:
                    actions = await self.cycle()
                    failures = 0
                    done = [a for a in actions if a.kind not in ("kept", "skipped", "failed")]
                    log.info("mm.cycle", actions=len(actions), changed=len(done))
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
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                if stop.is_set():
                    break
        finally:
            if not once:
                await self._shutdown()

    async def _shutdown(self) -> None:
        try:
            cancelled = await self.cancel_all()
            log.info("mm.stopped", cancelled=cancelled)
        except ApiError as error:
            log.error("mm.cancel_all_failed", code=error.code, detail=error.detail)


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
