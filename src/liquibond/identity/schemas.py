"""Identity API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from liquibond.identity.models import ApiKeyScope, Role
from liquibond.platform.schemas import RequestModel, ResponseModel

_EMAIL_MAX = 254


def _normalise_email(value: str) -> str:
    local, sep, domain = value.strip().rpartition("@")
    if not sep or not local or "." not in domain or " " in value.strip() or len(value) > _EMAIL_MAX:
        raise ValueError("not a valid e-mail address")
    return f"{local}@{domain}".lower()


Email = Annotated[str, Field(max_length=_EMAIL_MAX), AfterValidator(_normalise_email)]
Password = Annotated[str, Field(min_length=12, max_length=128)]
TotpCode = Annotated[str, Field(pattern=r"^\d{6}$")]


class RegisterRequest(RequestModel):
    """A new account."""

    email: Email
    password: Password
    display_name: str = Field(min_length=1, max_length=100)


class LoginRequest(RequestModel):
    """Credentials, plus a second factor when the account has one."""

    email: Email
    password: str = Field(min_length=1, max_length=128)
    totp_code: TotpCode | None = None
    recovery_code: str | None = Field(default=None, min_length=8, max_length=64)


class RefreshRequest(RequestModel):
    """A refresh token to exchange (it is consumed)."""

    refresh_token: str = Field(min_length=16, max_length=128)


class TokenPair(ResponseModel):
    """Tokens of a login session."""

    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - a scheme name
    expires_in: int


class UserOut(ResponseModel):
    """A user as the user (or an admin) sees it."""

    id: uuid.UUID
    email: str
    display_name: str
    roles: list[Role]
    is_active: bool
    mfa_enabled: bool
    created_at: datetime


class TotpEnrolment(ResponseModel):
    """A new, unconfirmed TOTP secret to load into an authenticator app."""

    secret: str
    provisioning_uri: str


class TotpConfirmRequest(RequestModel):
    """A current code from the authenticator, proving the secret was loaded."""

    code: TotpCode


class TotpDisableRequest(RequestModel):
    """A current code (or a recovery code) to switch the second factor off."""

    code: TotpCode | None = None
    recovery_code: str | None = Field(default=None, min_length=8, max_length=64)


class RecoveryCodes(ResponseModel):
    """Single-use fallback codes, shown once."""

    recovery_codes: list[str]


class ApiKeyCreate(RequestModel):
    """A new API key for a program."""

    name: str = Field(min_length=1, max_length=100)
    scopes: list[ApiKeyScope] = Field(min_length=1, max_length=len(ApiKeyScope))
    expires_at: datetime | None = None

    @field_validator("scopes")
    @classmethod
    def _unique(cls, scopes: list[ApiKeyScope]) -> list[ApiKeyScope]:
        return sorted(set(scopes))


class ApiKeyOut(ResponseModel):
    """An API key's metadata (never the secret)."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[ApiKeyScope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    """A freshly created key: the only time the secret is shown."""

    key: str


class RolesUpdate(RequestModel):
    """The complete set of roles a user should hold."""

    roles: list[Role] = Field(max_length=len(Role))


class AuditEntryOut(ResponseModel):
    """One audit-log row."""

    seq: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    action: str
    target: str | None
    payload: dict[str, Any]
    request_id: str | None
    hash: str
