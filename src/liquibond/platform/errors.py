"""RFC 9457 problem details: every error Liquibond returns has a stable `code`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, ClassVar

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One offending input: where it is (`body.email`, `query.limit`) and what is wrong."""

    field: str
    message: str
    type: str = "invalid"


@dataclass(eq=False)
class Problem(Exception):
    """An error answered as problem details. Subclasses fix the status; `code` is stable."""

    code: str
    detail: str
    errors: Sequence[FieldError] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: 0 means the class's `default_status`.
    status: int = 0

    default_status: ClassVar[int] = 400
    #: Commit the unit of work before answering (e.g. a revoked token family must stay revoked).
    keep_changes: ClassVar[bool] = False

    def __post_init__(self) -> None:
        super().__init__(self.detail)
        if not self.status:
            self.status = self.default_status

    @property
    def title(self) -> str:
        """The HTTP reason phrase of the status."""
        return HTTPStatus(self.status).phrase

    def to_body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json document for this error."""
        body: dict[str, Any] = {
            "type": f"https://liquibond.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [
                {"field": e.field, "message": e.message, "type": e.type} for e in self.errors
            ]
        body.update(self.extra)
        return body


class BadRequest(Problem):
    """400: the request cannot be read."""


class Unauthorized(Problem):
    """401: no valid credentials."""

    default_status = 401


class Forbidden(Problem):
    """403: authenticated, but not allowed."""

    default_status = 403


class NotFound(Problem):
    """404: absent, or not yours (the two are deliberately indistinguishable)."""

    default_status = 404


class Conflict(Problem):
    """409: the resource's state forbids this now."""

    default_status = 409


class PayloadTooLarge(Problem):
    """413: the body exceeds the configured limit."""

    default_status = 413


class Unprocessable(Problem):
    """422: well-formed but semantically invalid."""

    default_status = 422


class TooManyRequests(Problem):
    """429: rate limited; carries Retry-After."""

    default_status = 429


class ServiceUnavailable(Problem):
    """503: a dependency is down."""

    default_status = 503


def not_found(resource: str) -> NotFound:
    """The standard 404 for a resource that is missing or belongs to someone else."""
    return NotFound(code=f"{resource}.not_found", detail=f"No such {resource}.")
