"""Identity HTTP API: /auth, /me and /admin user management. Thin: services do the work."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from liquibond.identity.deps import CurrentPrincipal, Identity, SessionPrincipal, require_role
from liquibond.identity.models import Role
from liquibond.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AuditEntryOut,
    LoginRequest,
    RecoveryCodes,
    RefreshRequest,
    RegisterRequest,
    RolesUpdate,
    TokenPair,
    TotpConfirmRequest,
    TotpDisableRequest,
    TotpEnrolment,
    UserOut,
)
from liquibond.identity.service import Principal
from liquibond.platform.audit import list_audit
from liquibond.platform.ratelimit import Rate, RateLimiter, enforce
from liquibond.platform.routing import Session, TransactionalRoute
from liquibond.platform.schemas import (
    Page,
    PageCursor,
    PageLimit,
    as_int,
    cursor_value,
    encode_cursor,
)

auth = APIRouter(prefix="/api/v1/auth", tags=["auth"], route_class=TransactionalRoute)
me = APIRouter(prefix="/api/v1/me", tags=["me"], route_class=TransactionalRoute)
admin = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=TransactionalRoute)

AdminPrincipal = Annotated[Principal, Depends(require_role(Role.ADMIN))]
OverseerPrincipal = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.COMPLIANCE))]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _limit_attempts(request: Request, action: str, account: str) -> None:
    limiter: RateLimiter = request.app.state.rate_limiter
    per_minute: int = request.app.state.settings.auth_attempts_per_minute
    rate = Rate(capacity=per_minute, per_seconds=60)
    await enforce(
        limiter, rate, f"{action}:ip:{_client_ip(request)}", f"{action}:account:{account}"
    )


@auth.post("/register", status_code=status.HTTP_201_CREATED)
async def register(body: RegisterRequest, request: Request, identity: Identity) -> UserOut:
    """Open an investor account."""
    await _limit_attempts(request, "register", body.email)
    user = await identity.register(body)
    return await identity.describe(user.id)


@auth.post("/login")
async def login(body: LoginRequest, request: Request, identity: Identity) -> TokenPair:
    """Log in; accounts with TOTP must also send `totp_code` (or a `recovery_code`)."""
    await _limit_attempts(request, "login", body.email)
    return await identity.login(
        body, ip=_client_ip(request), user_agent=request.headers.get("user-agent")
    )


@auth.post("/refresh")
async def refresh(body: RefreshRequest, identity: Identity) -> TokenPair:
    """Rotate a refresh token; presenting a used one revokes the whole session."""
    return await identity.refresh(body.refresh_token)


@auth.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: SessionPrincipal, identity: Identity) -> Response:
    """End the current session: its refresh and access tokens stop working."""
    await identity.logout(principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.get("")
async def who_am_i(principal: CurrentPrincipal, identity: Identity) -> UserOut:
    """The caller's account."""
    return await identity.describe(principal.user_id)


@me.post("/mfa/totp", status_code=status.HTTP_201_CREATED)
async def enrol_totp(principal: SessionPrincipal, identity: Identity) -> TotpEnrolment:
    """Start TOTP enrolment: load the secret into an authenticator, then confirm a code."""
    return await identity.enrol_totp(principal.user_id)


@me.post("/mfa/totp/confirm")
async def confirm_totp(
    body: TotpConfirmRequest, principal: SessionPrincipal, identity: Identity
) -> RecoveryCodes:
    """Switch TOTP on; answers the single-use recovery codes, shown this once."""
    return RecoveryCodes(recovery_codes=await identity.confirm_totp(principal.user_id, body.code))


@me.post("/mfa/totp/disable", status_code=status.HTTP_204_NO_CONTENT)
async def disable_totp(
    body: TotpDisableRequest, principal: SessionPrincipal, identity: Identity
) -> Response:
    """Switch TOTP off, proven by a current code or a recovery code."""
    await identity.disable_totp(principal.user_id, body.code, body.recovery_code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.post("/api-keys", status_code=status.HTTP_201_CREATED)
async def create_api_key(
    body: ApiKeyCreate, principal: SessionPrincipal, identity: Identity
) -> ApiKeyCreated:
    """Create an API key for a program; the `key` is shown only in this response."""
    key, secret = await identity.create_api_key(principal.user_id, body)
    return ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(key).model_dump(), "key": secret}
    )


@me.get("/api-keys")
async def list_api_keys(principal: CurrentPrincipal, identity: Identity) -> list[ApiKeyOut]:
    """The caller's API keys (never their secrets)."""
    return [
        ApiKeyOut.model_validate(key) for key in await identity.list_api_keys(principal.user_id)
    ]


@me.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(
    key_id: uuid.UUID, principal: SessionPrincipal, identity: Identity
) -> Response:
    """Revoke one of the caller's API keys."""
    await identity.revoke_api_key(principal.user_id, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@admin.get("/users")
async def list_users(
    _overseer: OverseerPrincipal,
    identity: Identity,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    role: Annotated[Role | None, Query()] = None,
    email_prefix: Annotated[str | None, Query(max_length=254)] = None,
    user_ids: Annotated[
        list[uuid.UUID] | None,
        Query(alias="id", max_length=200, description="Only these users (who is behind an id)"),
    ] = None,
) -> Page[UserOut]:
    """Every user, filterable by role, e-mail prefix and id (admins and compliance)."""
    users, next_cursor = await identity.list_users(
        limit=limit, cursor=cursor, role=role, email_prefix=email_prefix, user_ids=user_ids
    )
    return Page[UserOut](items=users, next_cursor=next_cursor)


@admin.post("/users/{user_id}/roles")
async def set_roles(
    user_id: uuid.UUID, body: RolesUpdate, admin_principal: AdminPrincipal, identity: Identity
) -> UserOut:
    """Set the complete list of a user's roles."""
    return await identity.set_roles(admin_principal, user_id, body.roles)


@admin.get("/audit")
async def audit_log(
    _overseer: OverseerPrincipal,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    actor_id: Annotated[uuid.UUID | None, Query()] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[AuditEntryOut]:
    """The audit log, newest first (admin and compliance)."""
    entries = await list_audit(
        session,
        limit=limit + 1,
        before_seq=cursor_value(cursor, "before", as_int),
        action=action,
        actor_id=actor_id,
        target=target,
    )
    page = entries[:limit]
    next_cursor = encode_cursor({"before": page[-1].seq}) if len(entries) > limit else None
    return Page[AuditEntryOut](
        items=[AuditEntryOut.model_validate(e) for e in page], next_cursor=next_cursor
    )


routers = [auth, me, admin]
