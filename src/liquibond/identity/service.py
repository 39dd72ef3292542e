"""Identity use cases: accounts, logins, token rotation, second factor, API keys, roles."""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.config import Settings
from liquibond.identity.credentials import (
    AccessTokens,
    Passwords,
    digest,
    new_secret,
    same_digest,
)
from liquibond.identity.models import (
    ApiKey,
    ApiKeyScope,
    LoginSession,
    RecoveryCode,
    RefreshToken,
    Role,
    User,
    UserRole,
)
from liquibond.identity.schemas import (
    ApiKeyCreate,
    LoginRequest,
    RegisterRequest,
    TokenPair,
    TotpEnrolment,
    UserOut,
)
from liquibond.platform.audit import record_audit
from liquibond.platform.crypto import FieldCipher
from liquibond.platform.db import utcnow
from liquibond.platform.errors import (
    Conflict,
    Forbidden,
    Unauthorized,
    Unprocessable,
    not_found,
)
from liquibond.platform.outbox import record_event
from liquibond.platform.ownership import owned
from liquibond.platform.schemas import as_uuid, cursor_value, encode_cursor

RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "Liquibond"
_API_KEY_PREFIX = "lb_"


class RecordedUnauthorized(Unauthorized):
    """A 401 whose side effects (audit row, revoked family) must be committed."""

    keep_changes = True


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling and with what authority."""

    user_id: uuid.UUID
    roles: frozenset[Role]
    session_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    scopes: frozenset[ApiKeyScope] | None = None

    def has_role(self, *roles: Role) -> bool:
        """True if the principal holds any of `roles`."""
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True, slots=True)
class Credentials:
    """The collaborators identity needs, built once per app."""

    passwords: Passwords
    tokens: AccessTokens
    cipher: FieldCipher
    refresh_ttl: timedelta

    @classmethod
    def from_settings(
        cls, settings: Settings, *, passwords: Passwords | None = None
    ) -> Credentials:
        """Credentials configured from settings (Argon2 parameters may be overridden for tests)."""
        return cls(
            passwords=passwords or Passwords(),
            tokens=AccessTokens(
                settings.jwt_key,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                ttl_seconds=settings.access_token_ttl_seconds,
            ),
            cipher=FieldCipher(settings.field_encryption_key),
            refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
        )


@dataclass(frozen=True, slots=True)
class UserCard:
    """Who a user is, as other domains show it (a register, a review queue)."""

    email: str
    display_name: str


async def user_cards(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, UserCard]:
    """The e-mail and display name of each of these users."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.email, User.display_name).where(User.id.in_(list(user_ids)))
    )
    return {user_id: UserCard(email, name) for user_id, email, name in rows}


async def active_holders(session: AsyncSession, role: Role) -> dict[uuid.UUID, UserCard]:
    """The active users holding `role`, each with its card."""
    rows = await session.execute(
        select(User.id, User.email, User.display_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role.value, User.is_active.is_(True))
        .order_by(User.display_name, User.id)
    )
    return {user_id: UserCard(email, name) for user_id, email, name in rows}


class IdentityService:
    """Identity use cases over one unit of work's session; never commits."""

    def __init__(self, session: AsyncSession, credentials: Credentials) -> None:
        self._session = session
        self._credentials = credentials

    # -- accounts ---------------------------------------------------------------------------

    async def register(
        self, request: RegisterRequest, *, roles: Sequence[Role] = (Role.INVESTOR,)
    ) -> User:
        """Create an account; the e-mail must be new."""
        if request.password.casefold() == request.email.casefold():
            raise Unprocessable(
                code="auth.weak_password", detail="The password must not be the e-mail."
            )
        if await self.find_user_id(request.email) is not None:
            raise Conflict(code="auth.email_taken", detail="An account with this e-mail exists.")
        user = User(
            email=request.email,
            display_name=request.display_name,
            password_hash=await self._credentials.passwords.hash(request.password),
        )
        self._session.add(user)
        await self._session.flush()
        self._session.add_all(UserRole(user_id=user.id, role=role) for role in set(roles))
        await record_audit(
            self._session,
            actor_id=user.id,
            action="user.registered",
            target=f"user:{user.id}",
            payload={"roles": sorted(roles)},
        )
        record_event(
            self._session, "user.registered.v1", {"user_id": str(user.id), "roles": sorted(roles)}
        )
        await self._session.flush()
        return user

    async def find_user_id(self, email: str) -> uuid.UUID | None:
        """The id of the account with this e-mail, if any."""
        return await self._session.scalar(select(User.id).where(User.email == email))

    async def describe(self, user_id: uuid.UUID) -> UserOut:
        """The user as shown by `GET /me` and the admin list."""
        user = await self._session.get(User, user_id)
        if user is None:
            raise not_found("user")
        return UserOut(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            roles=sorted(await self.roles_of(user.id)),
            is_active=user.is_active,
            mfa_enabled=user.totp_enabled,
            created_at=user.created_at,
        )

    async def roles_of(self, user_id: uuid.UUID) -> frozenset[Role]:
        """The roles a user holds."""
        rows = await self._session.scalars(select(UserRole.role).where(UserRole.user_id == user_id))
        return frozenset(Role(role) for role in rows)

    # -- login sessions ----------------------------------------------------------------------

    async def login(
        self, request: LoginRequest, *, ip: str | None, user_agent: str | None
    ) -> TokenPair:
        """Check credentials (and the second factor if enrolled) and open a login session."""
        user = await self._session.scalar(select(User).where(User.email == request.email))
        valid = await self._credentials.passwords.verify(
            user.password_hash if user else None, request.password
        )
        if user is None or not valid or not user.is_active:
            await record_audit(
                self._session,
                actor_id=user.id if user else None,
                action="auth.login_failed",
                target=f"user:{user.id}" if user else None,
                payload={"ip": ip, "reason": "credentials"},
            )
            raise RecordedUnauthorized(
                code="auth.invalid_credentials", detail="The e-mail or password is wrong."
            )
        if user.totp_enabled:
            await self._check_second_factor(user, request.totp_code, request.recovery_code, ip=ip)
        login_session = LoginSession(user_id=user.id, ip=ip, user_agent=(user_agent or "")[:255])
        self._session.add(login_session)
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=user.id,
            action="auth.login_succeeded",
            target=f"session:{login_session.id}",
            payload={"ip": ip},
        )
        return await self._issue_tokens(user.id, login_session.id)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a refresh token for a new pair; a reused one revokes its whole family."""
        now = utcnow()
        token = await self._session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token))
        )
        if token is None or token.expires_at <= now:
            raise Unauthorized(code="auth.refresh_invalid", detail="The refresh token is invalid.")
        login_session = await self._session.get_one(LoginSession, token.session_id)
        if login_session.revoked_at is not None:
            raise Unauthorized(code="auth.refresh_invalid", detail="The refresh token is invalid.")
        # Conditional update: of two concurrent uses, exactly one wins.
        consumed = await self._session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
        if getattr(consumed, "rowcount", 0) != 1:
            await self._revoke_session(login_session, reason="refresh_reused")
            await record_audit(
                self._session,
                actor_id=login_session.user_id,
                action="auth.refresh_reused",
                target=f"session:{login_session.id}",
            )
            raise RecordedUnauthorized(
                code="auth.refresh_reused",
                detail="This refresh token was already used; the session has been revoked.",
            )
        user = await self._session.get_one(User, login_session.user_id)
        if not user.is_active:
            raise Unauthorized(code="auth.refresh_invalid", detail="The refresh token is invalid.")
        return await self._issue_tokens(user.id, login_session.id)

    async def logout(self, principal: Principal) -> None:
        """Revoke the caller's login session: its refresh and access tokens stop working."""
        if principal.session_id is None:
            raise Forbidden(code="auth.session_required", detail="Log out with a session token.")
        login_session = await self._session.get_one(LoginSession, principal.session_id)
        await self._revoke_session(login_session, reason="logout")
        await record_audit(
            self._session,
            actor_id=principal.user_id,
            action="auth.logout",
            target=f"session:{login_session.id}",
        )

    async def authenticate_access_token(self, token: str) -> Principal:
        """The principal behind a valid access token of a live session."""
        claims = self._credentials.tokens.verify(token)
        # One round trip on every authenticated request: the session's state and the roles.
        rows = (
            await self._session.execute(
                select(User.is_active, LoginSession.revoked_at, UserRole.role)
                .join(LoginSession, LoginSession.user_id == User.id)
                .outerjoin(UserRole, UserRole.user_id == User.id)
                .where(User.id == claims.user_id, LoginSession.id == claims.session_id)
            )
        ).all()
        if not rows or not rows[0].is_active or rows[0].revoked_at is not None:
            raise Unauthorized(code="auth.session_revoked", detail="The session has ended.")
        roles = frozenset(Role(row.role) for row in rows if row.role is not None)
        return Principal(claims.user_id, roles, session_id=claims.session_id)

    async def _issue_tokens(self, user_id: uuid.UUID, session_id: uuid.UUID) -> TokenPair:
        now = utcnow()
        refresh_token = new_secret()
        self._session.add(
            RefreshToken(
                session_id=session_id,
                token_hash=digest(refresh_token),
                expires_at=now + self._credentials.refresh_ttl,
            )
        )
        await self._session.flush()
        tokens = self._credentials.tokens
        return TokenPair(
            access_token=tokens.issue(user_id, session_id, now=now),
            refresh_token=refresh_token,
            expires_in=tokens.ttl_seconds,
        )

    async def _revoke_session(self, login_session: LoginSession, *, reason: str) -> None:
        if login_session.revoked_at is None:
            login_session.revoked_at = utcnow()
            login_session.revoked_reason = reason
        await self._session.flush()

    # -- second factor -----------------------------------------------------------------------

    async def enrol_totp(self, user_id: uuid.UUID) -> TotpEnrolment:
        """Start (or restart) TOTP enrolment; not active until confirmed with a code."""
        user = await self._session.get_one(User, user_id)
        if user.totp_enabled:
            raise Conflict(code="mfa.already_enabled", detail="Two-factor login is already on.")
        secret = pyotp.random_base32()
        user.totp_secret = self._credentials.cipher.encrypt(secret.encode(), _totp_context(user.id))
        user.totp_last_step = None
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
        return TotpEnrolment(secret=secret, provisioning_uri=uri)

    async def confirm_totp(self, user_id: uuid.UUID, code: str) -> list[str]:
        """Turn TOTP on after a valid code; returns fresh single-use recovery codes."""
        user = await self._session.get_one(User, user_id)
        if user.totp_enabled:
            raise Conflict(code="mfa.already_enabled", detail="Two-factor login is already on.")
        if user.totp_secret is None:
            raise Conflict(code="mfa.not_enrolled", detail="Start enrolment first.")
        if not self._accept_totp(user, code):
            raise Unprocessable(code="mfa.invalid_code", detail="The code is wrong or expired.")
        user.totp_enabled = True
        await self._session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        codes = [
            f"{new_secret(6)[:5]}-{new_secret(6)[:5]}".lower() for _ in range(RECOVERY_CODE_COUNT)
        ]
        self._session.add_all(RecoveryCode(user_id=user.id, code_hash=digest(c)) for c in codes)
        await record_audit(
            self._session, actor_id=user.id, action="mfa.enabled", target=f"user:{user.id}"
        )
        return codes

    async def disable_totp(
        self, user_id: uuid.UUID, code: str | None, recovery_code: str | None
    ) -> None:
        """Turn TOTP off, proven by a current code or a recovery code."""
        user = await self._session.get_one(User, user_id)
        if not user.totp_enabled:
            raise Conflict(code="mfa.not_enabled", detail="Two-factor login is off.")
        await self._check_second_factor(user, code, recovery_code, ip=None)
        user.totp_enabled, user.totp_secret, user.totp_last_step = False, None, None
        await self._session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        await record_audit(
            self._session, actor_id=user.id, action="mfa.disabled", target=f"user:{user.id}"
        )

    async def _check_second_factor(
        self, user: User, code: str | None, recovery_code: str | None, *, ip: str | None
    ) -> None:
        if code is None and recovery_code is None:
            raise Unauthorized(
                code="auth.mfa_required", detail="Enter the code from your authenticator app."
            )
        if code is not None and self._accept_totp(user, code):
            return
        if recovery_code is not None and await self._use_recovery_code(user.id, recovery_code):
            return
        await record_audit(
            self._session,
            actor_id=user.id,
            action="auth.login_failed",
            target=f"user:{user.id}",
            payload={"ip": ip, "reason": "second_factor"},
        )
        raise RecordedUnauthorized(
            code="auth.mfa_invalid", detail="The second-factor code is wrong."
        )

    def _accept_totp(self, user: User, code: str) -> bool:
        """Accept a code from the current or an adjacent 30 s step, never the same step twice."""
        assert user.totp_secret is not None
        secret = self._credentials.cipher.decrypt(user.totp_secret, _totp_context(user.id)).decode()
        totp = pyotp.TOTP(secret)
        current = int(time.time()) // totp.interval
        for step in (current - 1, current, current + 1):
            if hmac.compare_digest(totp.generate_otp(step), code) and step > (
                user.totp_last_step or -1
            ):
                user.totp_last_step = step
                return True
        return False

    async def _use_recovery_code(self, user_id: uuid.UUID, recovery_code: str) -> bool:
        candidates = await self._session.scalars(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        )
        for candidate in candidates:
            if same_digest(recovery_code.strip().lower(), candidate.code_hash):
                candidate.used_at = utcnow()
                return True
        return False

    # -- API keys ----------------------------------------------------------------------------

    async def create_api_key(self, user_id: uuid.UUID, request: ApiKeyCreate) -> tuple[ApiKey, str]:
        """A new key; the returned secret is never stored or shown again."""
        if request.expires_at is not None and request.expires_at <= utcnow():
            raise Unprocessable(code="api_key.expiry_in_past", detail="expires_at is in the past.")
        prefix = new_secret(6).replace("-", "x").replace("_", "y")[:8]
        secret = f"{_API_KEY_PREFIX}{prefix}_{new_secret()}"
        key = ApiKey(
            user_id=user_id,
            name=request.name,
            prefix=prefix,
            key_hash=digest(secret),
            scopes=[str(s) for s in request.scopes],
            expires_at=request.expires_at,
        )
        self._session.add(key)
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=user_id,
            action="api_key.created",
            target=f"api_key:{key.id}",
            payload={"scopes": key.scopes},
        )
        return key, secret

    async def list_api_keys(self, user_id: uuid.UUID) -> list[ApiKey]:
        """The caller's keys, newest first."""
        rows = await self._session.scalars(
            select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc())
        )
        return list(rows)

    async def revoke_api_key(self, user_id: uuid.UUID, key_id: uuid.UUID) -> None:
        """Revoke one of the caller's keys; someone else's is a 404."""
        key = await owned(self._session, ApiKey, key_id, user_id, "api_key")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            await record_audit(
                self._session,
                actor_id=user_id,
                action="api_key.revoked",
                target=f"api_key:{key.id}",
            )

    async def authenticate_api_key(self, presented: str) -> Principal:
        """The principal behind a live API key (its use is recorded with `touch_api_key`)."""
        prefix = presented.removeprefix(_API_KEY_PREFIX).partition("_")[0]
        key = await self._session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        now = utcnow()
        if (
            key is None
            or not same_digest(presented, key.key_hash)
            or key.revoked_at is not None
            or (key.expires_at is not None and key.expires_at <= now)
        ):
            raise Unauthorized(code="auth.api_key_invalid", detail="The API key is invalid.")
        user = await self._session.get_one(User, key.user_id)
        if not user.is_active:
            raise Unauthorized(code="auth.api_key_invalid", detail="The API key is invalid.")
        return Principal(
            user.id,
            await self.roles_of(user.id),
            api_key_id=key.id,
            scopes=frozenset(ApiKeyScope(s) for s in key.scopes),
        )

    async def touch_api_key(self, key_id: uuid.UUID) -> None:
        """Record that a key was used, at minute granularity so busy programs rarely write."""
        now = utcnow()
        await self._session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .where(
                (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - timedelta(minutes=1))
            )
            .values(last_used_at=now)
        )

    # -- administration ----------------------------------------------------------------------

    async def list_users(
        self,
        *,
        limit: int,
        cursor: str | None,
        role: Role | None,
        email_prefix: str | None,
        user_ids: Collection[uuid.UUID] | None = None,
    ) -> tuple[list[UserOut], str | None]:
        """Users in creation order, filtered, one page at a time."""
        query = select(User.id).order_by(User.id).limit(limit + 1)
        after = cursor_value(cursor, "after", as_uuid)
        if after is not None:
            query = query.where(User.id > after)
        if role is not None:
            query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
        if email_prefix:
            query = query.where(User.email.startswith(email_prefix.lower(), autoescape=True))
        if user_ids:
            query = query.where(User.id.in_(list(user_ids)))
        ids = list(await self._session.scalars(query))
        page, more = ids[:limit], len(ids) > limit
        users = [await self.describe(user_id) for user_id in page]
        return users, encode_cursor({"after": str(page[-1])}) if more else None

    async def set_roles(
        self, actor: Principal, user_id: uuid.UUID, roles: Sequence[Role]
    ) -> UserOut:
        """Replace a user's roles; an admin cannot remove their own admin role."""
        if await self._session.get(User, user_id) is None:
            raise not_found("user")
        wanted = frozenset(roles)
        if user_id == actor.user_id and Role.ADMIN not in wanted:
            raise Conflict(
                code="admin.cannot_demote_self", detail="You cannot remove your own admin role."
            )
        before = await self.roles_of(user_id)
        await self._session.execute(delete(UserRole).where(UserRole.user_id == user_id))
        self._session.add_all(UserRole(user_id=user_id, role=role) for role in wanted)
        await record_audit(
            self._session,
            actor_id=actor.user_id,
            action="user.roles_changed",
            target=f"user:{user_id}",
            payload={"before": sorted(before), "after": sorted(wanted)},
        )
        record_event(
            self._session,
            "user.roles_changed.v1",
            {"user_id": str(user_id), "roles": sorted(wanted)},
        )
        await self._session.flush()
        return await self.describe(user_id)


def _totp_context(user_id: uuid.UUID) -> str:
    return f"user.totp_secret:{user_id}"
