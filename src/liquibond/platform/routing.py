"""Routes that run in a unit of work, with idempotent creating POSTs.

Every API route is a `TransactionalRoute`: the request gets one `UnitOfWork`, committed
after the endpoint returns and before the response is sent (so a failed commit is an error
response, not a lie), rolled back on any error. A POST carrying `Idempotency-Key` stores its
response in that same transaction; a retry replays it, a different body is a 422.

An endpoint marked :func:`hands_off_writes` only reads in its own transaction and hands
its write to another writer (a book's): its unit of work does not take SQLite's write lock
at BEGIN, so a thousand order checks run beside the book writer instead of queueing with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import LargeBinary, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.datastructures import UploadFile as StarletteUploadFile

from liquibond.platform.db import Base, Database, utcnow
from liquibond.platform.errors import BadRequest, Conflict, Problem, Unprocessable
from liquibond.platform.uow import UnitOfWork

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ANONYMOUS = "anonymous"


class IdempotencyRecord(Base):
    """The first response to a POST with a given key, replayed to its retries."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SubjectResolver(Protocol):
    """Names who is calling (a user id), or None when anonymous; provided by identity."""

    def __call__(self, request: Request) -> Awaitable[str | None]: ...


class _Claim:
    __slots__ = ("expired", "fingerprint", "key", "scope")

    def __init__(
        self, scope: str, key: str, fingerprint: str, expired: IdempotencyRecord | None
    ) -> None:
        self.scope, self.key, self.fingerprint = scope, key, fingerprint
        self.expired = expired  # a lapsed record of the same key, replaced by the new one


class _Replay(Exception):
    """Raised by the idempotency check to short-circuit with the stored response."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


def get_uow(request: Request) -> UnitOfWork:
    """The unit of work of the current request."""
    uow: UnitOfWork = request.state.uow
    return uow


def get_session(request: Request) -> AsyncSession:
    """The database session of the current request's unit of work."""
    return get_uow(request).session


Uow = Annotated[UnitOfWork, Depends(get_uow)]
Session = Annotated[AsyncSession, Depends(get_session)]


def _replay(record: IdempotencyRecord) -> Response:
    return Response(
        content=record.body,
        status_code=record.status_code,
        media_type=record.content_type,
        headers={"Idempotent-Replayed": "true"},
    )


async def _find(session: AsyncSession, scope: str, key: str) -> IdempotencyRecord | None:
    return await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
            IdempotencyRecord.expires_at > utcnow(),
        )
    )


async def idempotency_check(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            description="Retry-safe key: a retry with the same key and body returns the first "
            "response; the same key with another body is refused (422)."
        ),
    ] = None,
) -> None:
    """Replay a stored response for a known key, refuse a reused key, or claim a new one."""
    if idempotency_key is None:
        return
    if not 1 <= len(idempotency_key) <= 255 or not idempotency_key.isprintable():
        raise BadRequest(
            code="idempotency.invalid_key",
            detail="Idempotency-Key must be 1 to 255 printable characters.",
        )
    resolve: SubjectResolver = request.app.state.resolve_subject
    scope = await resolve(request) or _ANONYMOUS
    fingerprint = await _fingerprint(request)
    session = get_session(request)
    record = await session.get(IdempotencyRecord, (scope, idempotency_key))
    if record is not None and record.expires_at <= utcnow():
        # Replaced when the response is stored: a reading transaction must not write yet.
        request.state.idempotency_claim = _Claim(scope, idempotency_key, fingerprint, record)
        return
    if record is not None:
        if record.fingerprint != fingerprint:
            raise Unprocessable(
                code="idempotency.key_reused",
                detail="This Idempotency-Key was already used with a different request.",
            )
        raise _Replay(_replay(record))
    request.state.idempotency_claim = _Claim(scope, idempotency_key, fingerprint, None)


async def _fingerprint(request: Request) -> str:
    """What makes two requests "the same": method, path and content (forms by their fields,
    so a retry with a new multipart boundary is still the same request)."""
    digest = hashlib.sha256(f"{request.method}\n{request.url.path}\n".encode())
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        # FastAPI has parsed (and consumed) the body into a form; read the parsed parts.
        form = await request.form()
        for name, value in sorted(form.multi_items(), key=lambda item: item[0]):
            digest.update(f"{name}=".encode())
            if isinstance(value, StarletteUploadFile):
                digest.update(f"file:{value.filename}:".encode())
                digest.update(hashlib.sha256(await value.read()).digest())
                await value.seek(0)
            else:
                digest.update(value.encode())
            digest.update(b"\n")
    else:
        digest.update(await request.body())
    return digest.hexdigest()


_HANDS_OFF_WRITES = "__liquibond_hands_off_writes__"


_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def hands_off_writes(endpoint: _Endpoint) -> _Endpoint:
    """Mark an endpoint that only reads in its transaction, commits, and has another writer
    (a book's) persist what it asked for."""
    setattr(endpoint, _HANDS_OFF_WRITES, True)
    return endpoint


class TransactionalRoute(APIRoute):
    """An API route whose request runs in one unit of work (see module docstring)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self._reads_only = getattr(endpoint, _HANDS_OFF_WRITES, False)
        methods = set(kwargs.get("methods") or [])
        if "POST" in methods:
            kwargs["dependencies"] = [
                Depends(idempotency_check),
                *(kwargs.get("dependencies") or []),
            ]
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler in a unit of work."""
        handle = super().get_route_handler()

        async def handle_in_unit_of_work(request: Request) -> Response:
            database: Database = request.app.state.database
            write = request.method not in _SAFE_METHODS and not self._reads_only
            async with UnitOfWork(database, write=write) as uow:
                request.state.uow = uow
                request.state.idempotency_claim = None
                try:
                    response = await handle(request)
                except _Replay as replay:
                    return replay.response
                except Problem as problem:
                    if problem.keep_changes:
                        await uow.commit()
                    raise
                claim: _Claim | None = request.state.idempotency_claim
                if claim is not None and 200 <= response.status_code < 300:
                    await _store(uow.session, claim, response, request)
                try:
                    await uow.commit()
                except IntegrityError:
                    if claim is None:
                        raise
                    # A concurrent request with the same key won; answer as its retry would.
                    await uow.rollback()
                    record = await _find(uow.session, claim.scope, claim.key)
                    if record is None or record.fingerprint != claim.fingerprint:
                        raise Conflict(
                            code="idempotency.in_progress",
                            detail="A request with this Idempotency-Key is being processed.",
                        ) from None
                    return _replay(record)
                return response

        return handle_in_unit_of_work


async def _store(
    session: AsyncSession, claim: _Claim, response: Response, request: Request
) -> None:
    ttl: int = request.app.state.settings.idempotency_ttl_seconds
    if claim.expired is not None:
        await session.delete(claim.expired)
        await session.flush()
    session.add(
        IdempotencyRecord(
            scope=claim.scope,
            key=claim.key,
            fingerprint=claim.fingerprint,
            status_code=response.status_code,
            content_type=response.media_type or "application/json",
            body=bytes(response.body),
            expires_at=utcnow() + timedelta(seconds=ttl),
        )
    )


async def purge_expired_idempotency_keys(database: Database) -> int:
    """Delete keys past their retention; returns how many went."""
    async with UnitOfWork(database) as uow:
        result = await uow.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= utcnow())
        )
        await uow.commit()
        return int(getattr(result, "rowcount", 0) or 0)
