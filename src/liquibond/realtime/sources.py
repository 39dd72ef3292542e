"""What the hub reads, from the database (read-only units of work) and the committed books."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog

from liquibond.auctions.service import AuctionService
from liquibond.config import Settings
from liquibond.identity.service import Credentials, IdentityService, Principal
from liquibond.instruments.service import InstrumentService
from liquibond.ledger.service import LedgerService
from liquibond.platform.db import Database, canonical_decimal
from liquibond.platform.uow import UnitOfWork
from liquibond.portfolio.service import PortfolioService
from liquibond.realtime.hub import BookSnapshot, Identity
from liquibond.rfq.lifecycle import LIVE_RFQ_STATUSES
from liquibond.rfq.service import RfqService
from liquibond.trading.engine import DepthLevel
from liquibond.trading.market_data import MarketData
from liquibond.trading.runner import BookHalted, BookWriter, Trading

log = structlog.get_logger(__name__)

#: How API keys start (access tokens are JWTs), as in `liquibond.identity.deps`.
_API_KEY_MARK = "lb_"


class DatabaseSources:
    """The hub's :class:`~liquibond.realtime.hub.Sources` over the app's database and books.

    `trading` is called when a book is needed: the trading runtime starts after the hub.
    """

    def __init__(
        self,
        database: Database,
        credentials: Credentials,
        trading: Callable[[], Trading],
        settings: Settings,
    ) -> None:
        self._database = database
        self._credentials = credentials
        self._trading = trading
        self._settings = settings
        #: Instruments known to be public (a listed instrument stays public).
        self._public: set[uuid.UUID] = set()

    async def authenticate(self, token: str) -> Identity:
        """The user behind an access token (until it expires) or an API key; 401 if none."""
        async with UnitOfWork(self._database, write=False) as uow:
            service = IdentityService(uow.session, self._credentials)
            if token.startswith(_API_KEY_MARK):
                principal = await service.authenticate_api_key(token)
                expires_at = None
            else:
                expires_at = self._credentials.tokens.verify(token).expires_at
                principal = await service.authenticate_access_token(token)
        if principal.api_key_id is not None:
            await self._touch_api_key(principal.api_key_id)
        return Identity(principal.user_id, expires_at)

    async def _touch_api_key(self, key_id: uuid.UUID) -> None:
        try:
            async with UnitOfWork(self._database) as uow:
                await IdentityService(uow.session, self._credentials).touch_api_key(key_id)
                await uow.commit()
        except Exception:
            log.warning("api_key.touch_failed", api_key_id=str(key_id), exc_info=True)

    async def check_instrument(self, instrument_id: uuid.UUID) -> None:
        """404 `instrument.not_found` unless the instrument is, or was, listed."""
        if instrument_id in self._public:
            return
        async with UnitOfWork(self._database, write=False) as uow:
            await InstrumentService(uow.session).get(None, instrument_id)
        self._public.add(instrument_id)

    async def book(self, instrument_id: uuid.UUID) -> BookSnapshot:
        """Every level of the committed book (empty, at sequence 0, before its first order);
        503 `trading.book_halted` if the book does not match its last commit."""
        writer = self._trading().writers().get(instrument_id)
        if writer is None:
            return BookSnapshot(seq=0, bids=[], asks=[])
        if writer.halted is not None:
            raise BookHalted(code="trading.book_halted", detail=writer.halted)
        seq, depth = await writer.depth(None)
        return BookSnapshot(
            seq=seq,
            bids=[_level(writer, level) for level in depth.bids],
            asks=[_level(writer, level) for level in depth.asks],
        )

    async def ticker(self, instrument_id: uuid.UUID) -> dict[str, Any]:
        """The REST ticker of the instrument, as JSON."""
        async with UnitOfWork(self._database, write=False) as uow:
            ticker = await MarketData(uow.session, self._trading()).ticker(instrument_id)
        return ticker.model_dump(mode="json")

    async def balances(
        self, user_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, list[dict[str, Any]]]:
        """Each user's balances by asset and bucket, in minor units with their scale."""
        found: dict[uuid.UUID, list[dict[str, Any]]] = {}
        async with UnitOfWork(self._database, write=False) as uow:
            ledger = LedgerService(uow.session)
            for user_id in user_ids:
                found[user_id] = [
                    {
                        "asset": balance.asset,
                        "bucket": balance.bucket.value,
                        "balance": balance.balance,
                        "scale": balance.scale,
                    }
                    for balance in await ledger.balances(user_id)
                ]
        return found

    async def portfolio(self, user_id: uuid.UUID) -> dict[str, Any]:
        """The user's portfolio (`GET /portfolio`) as JSON."""
        async with UnitOfWork(self._database, write=False) as uow:
            return await PortfolioService(uow.session).summary(user_id)

    async def check_auction(self, auction_id: uuid.UUID) -> None:
        """404 `auction.not_found` unless the auction is public (announced)."""
        async with UnitOfWork(self._database, write=False) as uow:
            await AuctionService(uow.session).get(None, auction_id)

    async def auction(self, auction_id: uuid.UUID) -> dict[str, Any]:
        """The auction as `GET /api/v1/auctions/{id}` shows it to anybody, as JSON."""
        async with UnitOfWork(self._database, write=False) as uow:
            view = await AuctionService(uow.session).view(None, auction_id)
        return view.model_dump(mode="json")

    async def open_rfqs(self, user_id: uuid.UUID) -> list[dict[str, Any]]:
        """The user's open RFQs, as `GET /api/v1/rfqs?status=open` shows them, as JSON."""
        principal = Principal(user_id=user_id, roles=frozenset())
        async with UnitOfWork(self._database, write=False) as uow:
            service = RfqService(uow.session, self._settings)
            rows = []
            for status in LIVE_RFQ_STATUSES:
                found, _ = await service.search(principal, limit=200, cursor=None, status=status)
                rows += found
            views = await service.views(principal, rows)
        return [view.model_dump(mode="json") for view in views]

    async def rfq(self, rfq_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
        """The RFQ as `GET /api/v1/rfqs/{id}` shows it to the user, as JSON."""
        principal = Principal(user_id=user_id, roles=frozenset())
        async with UnitOfWork(self._database, write=False) as uow:
            service = RfqService(uow.session, self._settings)
            [view] = await service.views(principal, [await service.get(principal, rfq_id)])
        return view.model_dump(mode="json")

    def price_ticks(self, instrument_id: uuid.UUID, price: str) -> int | None:
        """`price` in ticks of the instrument's book (None if no book runs here)."""
        writer = self._trading().writers().get(instrument_id)
        if writer is None:
            return None
        try:
            ticks = Decimal(price) / writer.market.tick_size
        except (InvalidOperation, ArithmeticError):
            return None
        return int(ticks) if ticks == ticks.to_integral_value() else None


def _level(writer: BookWriter, level: DepthLevel) -> dict[str, Any]:
    """A level as `book.changed.v1` and the REST book write it."""
    return {
        "price": str(canonical_decimal(writer.market.clean_price(level.price))),
        "price_ticks": level.price,
        "quantity": level.qty,
        "orders": level.count,
    }
