"""Credential primitives: Argon2id passwords, JWT access tokens, opaque secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from starlette.concurrency import run_in_threadpool

from liquibond.platform.errors import Unauthorized

ACCESS_TOKEN_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name
_REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "sid", "jti"]


class Passwords:
    """Argon2id hashing, off the event loop (it is deliberately slow)."""

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65_536, parallelism: int = 4):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Verified against when the account does not exist, so timing does not reveal it.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        """An Argon2id hash of `password`."""
        return await run_in_threadpool(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True if `password` matches; spends the same time when there is no hash."""
        try:
            return (
                await run_in_threadpool(self._hasher.verify, stored_hash or self._decoy, password)
                and stored_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a valid access token asserts."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime


class AccessTokens:
    """Short-lived HS256 JWTs with a strict algorithm allow-list and required claims."""

    def __init__(self, key: str, *, issuer: str, audience: str, ttl_seconds: int) -> None:
        self._key = key
        self._issuer = issuer
        self._audience = audience
        self._ttl = timedelta(seconds=ttl_seconds)

    @property
    def ttl_seconds(self) -> int:
        """Lifetime of a new access token."""
        return int(self._ttl.total_seconds())

    def issue(self, user_id: uuid.UUID, session_id: uuid.UUID, *, now: datetime) -> str:
        """A signed access token for `user_id` within login session `session_id`."""
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": now,
            "nbf": now,
            "exp": now + self._ttl,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._key, algorithm=ACCESS_TOKEN_ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        """The token's claims, or 401 if it is forged, expired, or lacks a required claim."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ACCESS_TOKEN_ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": _REQUIRED_CLAIMS},
                leeway=5,
            )
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized(
                code="auth.token_expired", detail="The access token expired."
            ) from exc
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise Unauthorized(
                code="auth.token_invalid", detail="The access token is invalid."
            ) from exc


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret (refresh tokens, API keys, recovery codes)."""
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret; enough since it cannot be guessed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, expected_digest: str) -> bool:
    """Constant-time comparison of a secret against a stored digest."""
    return hmac.compare_digest(digest(secret), expected_digest)
