"""The WebSocket protocol's words: client operations, channel names, server messages, codes.

Pure: parsing and building JSON text, nothing else (the package docstring describes the
protocol as a client sees it).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, StrictStr, TypeAdapter, ValidationError

from liquibond.platform.schemas import RequestModel

RequestId = Annotated[StrictStr, Field(max_length=64)] | StrictInt


class Code(StrEnum):
    """Stable codes of the protocol's own errors (others reuse the REST problem codes)."""

    BAD_MESSAGE = "ws.bad_message"
    UNKNOWN_OP = "ws.unknown_op"
    MESSAGE_TOO_LARGE = "ws.message_too_large"
    RATE_LIMITED = "ws.rate_limited"
    TOO_MANY_SUBSCRIPTIONS = "ws.too_many_subscriptions"
    TOO_MANY_CONNECTIONS = "ws.too_many_connections"
    SLOW_CONSUMER = "ws.slow_consumer"
    HEARTBEAT_TIMEOUT = "ws.heartbeat_timeout"
    UNKNOWN_CHANNEL = "channel.unknown"
    INVALID_CHANNEL = "channel.invalid"
    UNAUTHENTICATED = "auth.unauthenticated"
    USER_MISMATCH = "auth.user_mismatch"
    TOKEN_EXPIRED = "auth.token_expired"  # noqa: S105 - an error code
    INTERNAL = "internal.error"


class CloseCode:
    """WebSocket close codes the server uses (RFC 6455 section 7.4.1)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    POLICY = 1008
    TOO_BIG = 1009
    INTERNAL = 1011
    TRY_AGAIN_LATER = 1013


class ProtocolError(Exception):
    """A client message or channel the server refuses; answered with an error message."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        channel: str | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.channel = channel
        self.errors = errors or []


# -- client operations -------------------------------------------------------------------------


class _Op(RequestModel):
    id: RequestId | None = Field(default=None, description="Echoed in the answer")


class Auth(_Op):
    """Authenticate the connection with an access token or an API key."""

    op: Literal["auth"]
    token: str = Field(min_length=1, max_length=4096)


class Subscribe(_Op):
    """Subscribe to channels (again, for a channel already subscribed: a fresh snapshot)."""

    op: Literal["subscribe"]
    channels: list[Annotated[str, Field(max_length=100)]] = Field(min_length=1, max_length=100)


class Unsubscribe(_Op):
    """Stop receiving channels."""

    op: Literal["unsubscribe"]
    channels: list[Annotated[str, Field(max_length=100)]] = Field(min_length=1, max_length=100)


class Ping(_Op):
    """Ask for a `pong` (and prove the client is alive)."""

    op: Literal["ping"]


class Pong(_Op):
    """Answer a server heartbeat."""

    op: Literal["pong"]


Operation = Auth | Subscribe | Unsubscribe | Ping | Pong
_OPERATIONS: TypeAdapter[Operation] = TypeAdapter(Annotated[Operation, Field(discriminator="op")])
_OPS = ("auth", "subscribe", "unsubscribe", "ping", "pong")


def parse_operation(text: str) -> Operation:
    """The client's operation, or a ProtocolError naming what is wrong with it."""
    try:
        raw = json.loads(text)
    except ValueError:
        raise ProtocolError(Code.BAD_MESSAGE, "Messages are JSON objects.") from None
    if not isinstance(raw, dict):
        raise ProtocolError(Code.BAD_MESSAGE, "Messages are JSON objects.")
    if raw.get("op") not in _OPS:
        raise ProtocolError(Code.UNKNOWN_OP, f"`op` must be one of {', '.join(_OPS)}.")
    try:
        return _OPERATIONS.validate_python(raw)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(part) for part in err["loc"][1:]) or "message",
                "message": err["msg"],
                "type": err["type"],
            }
            for err in exc.errors(include_url=False)
        ]
        raise ProtocolError(
            Code.BAD_MESSAGE, f"Invalid `{raw['op']}` message.", errors=errors
        ) from None


def request_id(text: str) -> RequestId | None:
    """The `id` of a message that could not be parsed, when there is a usable one."""
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    value = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return value if not isinstance(value, str) or len(value) <= 64 else None


# -- channels ----------------------------------------------------------------------------------


class Kind(StrEnum):
    """What a channel carries."""

    BOOK = "book"
    TRADES = "trades"
    TICKER = "ticker"
    ORDERS = "orders"
    FILLS = "fills"
    BALANCES = "balances"
    PORTFOLIO = "portfolio"
    AUCTION = "auction"
    RFQ = "rfq"

    @property
    def private(self) -> bool:
        """True for the channels of one user's own data."""
        return self not in _PUBLIC


_PUBLIC = frozenset({Kind.BOOK, Kind.TRADES, Kind.TICKER, Kind.AUCTION})


@dataclass(frozen=True, slots=True)
class Channel:
    """A parsed channel name: a public one of an instrument or of an auction, or a private
    one."""

    kind: Kind
    instrument_id: uuid.UUID | None = None
    auction_id: uuid.UUID | None = None

    @property
    def name(self) -> str:
        """The name clients use: `book:{instrument_id}`, `auction:{auction_id}`, `orders`..."""
        target = self.instrument_id or self.auction_id
        return self.kind.value if target is None else f"{self.kind}:{target}"

    def key(self, user_id: uuid.UUID | None) -> str:
        """The routing key: the name, or for a private channel the name and its user."""
        return f"{self.kind}:{user_id}" if self.kind.private else self.name


def parse_channel(name: str) -> Channel:
    """The channel a client named; ProtocolError if there is no such channel."""
    kind_name, sep, rest = name.partition(":")
    try:
        kind = Kind(kind_name)
    except ValueError:
        raise ProtocolError(
            Code.UNKNOWN_CHANNEL,
            "Channels are book:{instrument_id}, trades:{instrument_id}, "
            "ticker:{instrument_id}, auction:{auction_id}, orders, fills, balances, "
            "portfolio and rfq.",
            channel=name,
        ) from None
    if kind.private:
        if sep:
            raise ProtocolError(
                Code.INVALID_CHANNEL, f"`{kind}` takes no instrument.", channel=name
            )
        return Channel(kind)
    what = "auction_id" if kind is Kind.AUCTION else "instrument_id"
    try:
        target = uuid.UUID(rest)
    except ValueError:
        raise ProtocolError(
            Code.INVALID_CHANNEL, f"Use {kind}:{{{what}}} with a UUID.", channel=name
        ) from None
    if kind is Kind.AUCTION:
        return Channel(kind, auction_id=target)
    return Channel(kind, target)


# -- server messages ---------------------------------------------------------------------------


def dumps(message: dict[str, Any]) -> str:
    """Compact JSON text of one server message."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def error(
    code: str,
    detail: str,
    *,
    request: RequestId | None = None,
    channel: str | None = None,
    errors: list[dict[str, str]] | None = None,
    **extra: Any,
) -> str:
    """An error message: `code` is stable, `detail` is for people."""
    message: dict[str, Any] = {"type": "error", "code": code, "detail": detail, **extra}
    if request is not None:
        message["id"] = request
    if channel is not None:
        message["channel"] = channel
    if errors:
        message["errors"] = errors
    return dumps(message)


def reply(type_: str, request: RequestId | None, **fields: Any) -> str:
    """An answer to a client operation, carrying its `id` when it had one."""
    message: dict[str, Any] = {"type": type_, **fields}
    if request is not None:
        message["id"] = request
    return dumps(message)


def channel_message(type_: str, channel: str, data: Any, **extra: Any) -> str:
    """A message of a channel: `{"type", "channel", "data"}` (and `extra` fields)."""
    return dumps({"type": type_, "channel": channel, **extra, "data": data})
