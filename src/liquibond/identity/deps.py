"""Request dependencies: who is calling, and may they?"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import structlog
from fastapi import BackgroundTasks, Depends, Request

from liquibond.identity.models import ApiKeyScope, Role
from liquibond.identity.service import Credentials, IdentityService, Principal
from liquibond.platform.db import Database
from liquibond.platform.errors import Forbidden, Unauthorized
from liquibond.platform.routing import get_session
from liquibond.platform.uow import UnitOfWork

log = structlog.get_logger(__name__)

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_API_KEY_MARK = "lb_"


def identity_service(request: Request) -> IdentityService:
    """The identity service bound to the request's unit of work."""
    credentials: Credentials = request.app.state.credentials
    return IdentityService(get_session(request), credentials)


Identity = Annotated[IdentityService, Depends(identity_service)]


async def _authenticate(request: Request) -> Principal | None:
    """The caller from `Authorization: Bearer` (JWT or API key) or `X-API-Key`; else None."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    api_key = request.headers.get("x-api-key")
    authorization = request.headers.get("authorization")
    principal: Principal | None = None
    if api_key or authorization:
        service = identity_service(request)
        if api_key:
            principal = await service.authenticate_api_key(api_key)
        else:
            assert authorization is not None
            scheme, _, credential = authorization.partition(" ")
            if scheme.lower() != "bearer" or not credential.strip():
                raise _unauthenticated("auth.token_invalid", "Use 'Authorization: Bearer <token>'.")
            credential = credential.strip()
            if credential.startswith(_API_KEY_MARK):
                principal = await service.authenticate_api_key(credential)
            else:
                principal = await service.authenticate_access_token(credential)
    request.state.principal = principal
    return principal


async def optional_principal(request: Request, background: BackgroundTasks) -> Principal | None:
    """The caller, or None when anonymous; records API-key use after the response."""
    principal = await _authenticate(request)
    if principal is not None and principal.api_key_id is not None:
        # Its own short transaction after the response: read requests stay read-only.
        background.add_task(
            _touch_api_key,
            request.app.state.database,
            request.app.state.credentials,
            principal.api_key_id,
        )
    return principal


async def _touch_api_key(database: Database, credentials: Credentials, key_id: uuid.UUID) -> None:
    try:
        async with UnitOfWork(database) as uow:
            await IdentityService(uow.session, credentials).touch_api_key(key_id)
            await uow.commit()
    except Exception:
        log.warning("api_key.touch_failed", api_key_id=str(key_id), exc_info=True)


async def resolve_subject(request: Request) -> str | None:
    """The caller's user id as text (scopes idempotency keys per user)."""
    principal = await _authenticate(request)
    return str(principal.user_id) if principal else None


async def current_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal:
    """The authenticated caller; 401 if anonymous, 403 if an API key lacks the scope."""
    if principal is None:
        raise _unauthenticated("auth.unauthenticated", "Authentication is required.")
    if (
        principal.scopes is not None
        and request.method not in _SAFE_METHODS
        and ApiKeyScope.WRITE not in principal.scopes
    ):
        raise Forbidden(code="auth.insufficient_scope", detail="This API key is read-only.")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def session_principal(principal: CurrentPrincipal) -> Principal:
    """A caller logged in with a session (credential management is not for API keys)."""
    if principal.session_id is None:
        raise Forbidden(code="auth.session_required", detail="This needs an interactive login.")
    return principal


SessionPrincipal = Annotated[Principal, Depends(session_principal)]


def require_role(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only callers holding one of `roles` (403 otherwise)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise Forbidden(
                code="auth.forbidden_role",
                detail=f"This requires the role {' or '.join(sorted(roles))}.",
            )
        return principal

    return check


def _unauthenticated(code: str, detail: str) -> Unauthorized:
    return Unauthorized(code=code, detail=detail, headers={"WWW-Authenticate": "Bearer"})
