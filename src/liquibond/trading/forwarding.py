"""Order entry for a book another engine process writes: the command goes to the process
holding the book's lease over Redis, and its answer comes back the same way.

The holder is whoever the book's `trading_leases` row names while it is unexpired (no row, or
an expired one: nobody, and the request is answered 503 `trading.book_elsewhere`). A command
is one JSON message::

    {"id": request id, "deadline": epoch seconds, "instrument_id": ...,
     "command": "submit" | "replace" | "cancel" | "cancel_all", "args": [...]}

`RPUSH`ed to the holder's list `liquibond:trading:commands:{holder}`, which the holder's
:meth:`Forwarder.serve` `BLPOP`s. The holder runs each command through its own writer (the
market read fresh, as the order API does) and `RPUSH`es `{"result": ...}` or `{"problem":
...}` to `liquibond:trading:replies:{id}`, which the sender `BLPOP`s. A problem keeps its
status, code, detail, errors, extra and headers: the client gets exactly what the holder
would have answered it.

Deadlines: a command is run only if the holder pops it before its deadline (now + 10 s by
default; engine processes' clocks are assumed to agree to well within the grace period).
The sender waits until the deadline plus a grace period for the reply, then answers 503
`trading.book_elsewhere`: the command may still have been run (it was popped in time, its
reply came late), so a client retries with the same `client_order_id`, which the writer
refuses with 409 if the first one landed. Both keys expire soon after the deadline, so a dead
holder leaves nothing behind for long.

Forwarded are the order API's commands (place, replace, cancel, cancel all). An off-book
trade (it carries its venue's callback) and the book's depth and state (they live in the
holder's memory) are not: they stay 503 `trading.book_elsewhere`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import time
import types
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, NoReturn, TypeVar, Union, cast, get_args, get_origin, get_type_hints

import structlog
from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from liquibond.platform.db import Database, utcnow
from liquibond.platform.errors import Problem
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.engine import Book
from liquibond.trading.lease import TradingLease
from liquibond.trading.runner import (
    BookHandle,
    OffBookTrade,
    OrderRecord,
    Trading,
    elsewhere,
    unavailable,
)
from liquibond.trading.service import Market, OrderService, OrderTicket, ReplaceTicket

log = structlog.get_logger(__name__)

COMMANDS = "liquibond:trading:commands:{holder}"
REPLIES = "liquibond:trading:replies:{request_id}"

#: The methods of a book that another process's writer runs for this one.
FORWARDED = frozenset({"submit", "replace", "cancel", "cancel_all"})

T = TypeVar("T")


# -- the codec --------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """`value` as JSON: a dataclass as an object of its fields, a pydantic model as its JSON
    dump, UUIDs, decimals, dates and times as text, an enum as its value."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return encode(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    return value


def decode(kind: type[T], data: Any) -> T:
    """The `kind` whose :func:`encode` is `data`, rebuilt from `kind`'s type hints."""
    result: T = _decode(kind, data)
    return result


def _decode(kind: Any, data: Any) -> Any:
    if kind is Any:
        return data
    origin, args = get_origin(kind), get_args(kind)
    if origin is Union or origin is types.UnionType:
        if data is None and type(None) in args:
            return None
        options = [arg for arg in args if arg is not type(None)]
        if len(options) != 1:
            raise TypeError(f"cannot decode the union {kind!r}")
        return _decode(options[0], data)
    if origin is not None:
        if isinstance(data, list):  # list[...], tuple[..., ...], Sequence[...]
            items = [_decode(args[0], item) for item in data]
            return tuple(items) if origin is tuple else items
        return {key: _decode(args[1], item) for key, item in data.items()}  # dict, Mapping
    if issubclass(kind, BaseModel):
        return kind.model_validate(data)
    if dataclasses.is_dataclass(kind):
        hints = get_type_hints(kind)
        return cast(Any, kind)(
            **{
                f.name: _decode(hints[f.name], data[f.name])
                for f in dataclasses.fields(kind)
                if f.init
            }
        )
    if kind is datetime or kind is date:
        return kind.fromisoformat(data)
    if issubclass(kind, Enum | uuid.UUID | Decimal):
        return kind(data)
    if kind in (str, int, float, bool) and isinstance(data, kind):
        return data
    raise TypeError(f"cannot decode {data!r} as {kind!r}")


# -- the transport ----------------------------------------------------------------------------


class Forwarder:
    """Sends order-entry commands to the process holding a book's lease, and serves those
    sent to this process (module docstring)."""

    def __init__(
        self,
        redis: Redis,
        database: Database,
        *,
        deadline_seconds: float = 10.0,
        grace_seconds: float = 2.0,
        poll_seconds: float = 1.0,
    ) -> None:
        """`deadline_seconds`: how long a command may wait for the holder to take it;
        `poll_seconds`: the longest one blocking read (under the client's socket timeout,
        which a longer one would trip)."""
        self._redis = redis
        self._database = database
        self.deadline_seconds = deadline_seconds
        self.grace_seconds = grace_seconds
        self._poll_seconds = poll_seconds

    def book(self, market: Market) -> RemoteBook:
        """The book of `market`, as written by whichever process holds it."""
        return RemoteBook(self, market)

    async def send(self, market: Market, command: str, *args: Any) -> Any:
        """Have the book's holder run `command` with `args`: its result as JSON, or its problem
        raised. 503 `trading.book_elsewhere` if there is no holder or it does not answer."""
        holder = await self._holder(market.instrument_id)
        if holder is None:
            raise elsewhere(market.isin)
        request_id = uuid.uuid4().hex
        message = {
            "id": request_id,
            "deadline": time.time() + self.deadline_seconds,
            "instrument_id": str(market.instrument_id),
            "command": command,
            "args": encode(list(args)),
        }
        queue = COMMANDS.format(holder=holder)
        wait = self.deadline_seconds + self.grace_seconds
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(queue, json.dumps(message))
                pipe.pexpire(queue, math.ceil(wait * 1000))
                await pipe.execute()
            reply = await self._pop(REPLIES.format(request_id=request_id), wait)
        except RedisError:
            log.warning("trading.forward_failed", instrument=market.isin, exc_info=True)
            raise elsewhere(market.isin) from None
        if reply is None:
            log.warning("trading.forward_unanswered", instrument=market.isin, holder=holder)
            raise elsewhere(market.isin)
        outcome = json.loads(reply)
        if "problem" in outcome:
            raise decode(Problem, outcome["problem"])
        return outcome["result"]

    async def _holder(self, instrument_id: uuid.UUID) -> str | None:
        """The process holding the book's lease; None if nobody does."""
        async with UnitOfWork(self._database, write=False) as uow:
            row = (
                await uow.session.execute(
                    select(TradingLease.holder, TradingLease.expires_at).where(
                        TradingLease.instrument_id == instrument_id
                    )
                )
            ).one_or_none()
        # This process's clock, not the database's: a wrong guess costs one 503 at most (the
        # holder's writer checks its fence before it commits anything).
        if row is None:
            return None
        holder, expires_at = row
        return holder if expires_at > utcnow() else None

    async def serve(self, trading: Trading) -> None:
        """Run the commands sent to `trading`'s books until cancelled; then wait (up to a
        deadline) for the answers of those already taken."""
        queue = COMMANDS.format(holder=trading.holder)
        answering: set[asyncio.Task[None]] = set()
        try:
            while True:
                try:
                    popped = await self._pop(queue, self._poll_seconds)
                except RedisError:
                    log.warning("trading.command_server_failed", exc_info=True)
                    await asyncio.sleep(self._poll_seconds)
                    continue
                if popped is not None:
                    # Concurrently: the writer commits the commands of many senders together.
                    task = asyncio.create_task(self._answer(trading, popped))
                    answering.add(task)
                    task.add_done_callback(answering.discard)
        finally:
            if answering:
                await asyncio.wait(answering, timeout=self.deadline_seconds)
                for task in answering:
                    task.cancel()

    async def _pop(self, key: str, seconds: float) -> bytes | str | None:
        """The head of the list `key`, waiting up to `seconds` for one, in blocking reads of
        at most `poll_seconds`; None if none came."""
        until = time.monotonic() + seconds
        while (remaining := until - time.monotonic()) > 0:
            # Never 0, which would block for ever.
            block = max(0.01, min(remaining, self._poll_seconds))
            popped = await self._redis.blpop([key], timeout=block)
            if popped is not None:
                head: bytes | str = popped[1]
                return head
        return None

    async def _answer(self, trading: Trading, raw: bytes | str) -> None:
        """Run one command (unless past its deadline) and send back its outcome."""
        try:
            message = json.loads(raw)
            request_id, command = message["id"], message["command"]
            late = time.time() > message["deadline"]
        except (ValueError, TypeError, KeyError):
            log.error("trading.command_malformed", message=raw)
            return
        if late or command not in FORWARDED:
            log.warning("trading.command_dropped", command=command, id=request_id)
            return
        try:
            outcome = {"result": encode(await self._run(trading, message))}
        except Problem as problem:
            outcome = {"problem": encode(problem)}
        except Exception:
            log.exception("trading.command_failed", command=command, id=request_id)
            outcome = {"problem": encode(unavailable("The book's writer could not run this."))}
        reply = REPLIES.format(request_id=request_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(reply, json.dumps(outcome))
                pipe.pexpire(reply, math.ceil(self.grace_seconds * 1000))
                await pipe.execute()
        except RedisError:
            log.warning("trading.reply_failed", id=request_id, exc_info=True)

    async def _run(self, trading: Trading, message: dict[str, Any]) -> Any:
        """The outcome of the command on this process's writer of the book."""
        async with UnitOfWork(self._database, write=False) as uow:
            market = await OrderService(uow.session).market(uuid.UUID(message["instrument_id"]))
        writer = await trading.local_writer(market)
        command = message["command"]
        hints = get_type_hints(getattr(BookHandle, command))
        parameters = [name for name in hints if name != "return"]
        args = [
            _decode(hints[name], arg) for name, arg in zip(parameters, message["args"], strict=True)
        ]
        return await getattr(writer, command)(*args)


class RemoteBook:
    """A book another process writes: its order entry, forwarded there (module docstring)."""

    def __init__(self, forwarder: Forwarder, market: Market) -> None:
        self.market = market
        self._forwarder = forwarder

    @property
    def book(self) -> Book:
        """Not here: the book lives in its holder's memory."""
        raise elsewhere(self.market.isin)

    async def submit(self, ticket: OrderTicket) -> OrderRecord:
        """Place an order through the book's holder."""
        return decode(OrderRecord, await self._forwarder.send(self.market, "submit", ticket))

    async def replace(self, ticket: ReplaceTicket) -> OrderRecord:
        """Replace an order through the book's holder."""
        return decode(OrderRecord, await self._forwarder.send(self.market, "replace", ticket))

    async def cancel(self, user_id: uuid.UUID, order_id: uuid.UUID) -> OrderRecord:
        """Cancel an order through the book's holder."""
        return decode(
            OrderRecord, await self._forwarder.send(self.market, "cancel", user_id, order_id)
        )

    async def cancel_all(self, user_id: uuid.UUID | None) -> list[OrderRecord]:
        """Cancel the user's (or everyone's) orders through the book's holder."""
        return decode(
            list[OrderRecord], await self._forwarder.send(self.market, "cancel_all", user_id)
        )

    async def off_book(self, trade: OffBookTrade) -> NoReturn:
        """Not forwarded: the trade carries its venue's callback."""
        raise elsewhere(self.market.isin)

    async def depth(self, levels: int | None = None) -> NoReturn:
        """Not forwarded: the book lives in its holder's memory."""
        raise elsewhere(self.market.isin)
