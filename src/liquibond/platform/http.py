"""The HTTP edge: problem-details handlers, body-size limit and security headers."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from liquibond.platform.errors import PROBLEM_MEDIA_TYPE, FieldError, Problem

log = structlog.get_logger(__name__)

_HTTP_CODES = {
    400: "request.bad_request",
    401: "auth.unauthenticated",
    403: "auth.forbidden",
    404: "http.not_found",
    405: "http.method_not_allowed",
    413: "request.body_too_large",
    415: "request.unsupported_media_type",
}


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    """Render a problem as application/problem+json."""
    instance = request.url.path if request is not None else None
    return JSONResponse(
        problem.to_body(instance),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(problem.headers),
    )


def _generic(
    status: int, code: str, detail: str, errors: list[FieldError] | None = None
) -> Problem:
    return Problem(code=code, detail=detail, errors=errors or [], status=status)


def _field(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc, request)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in raw):
        problem = _generic(400, "request.malformed_json", "The request body is not valid JSON.")
        return problem_response(problem, request)
    errors = [
        FieldError(
            field=_field(tuple(err.get("loc", ()))),
            message=str(err.get("msg", "")),
            type=str(err.get("type", "invalid")),
        )
        for err in raw
    ]
    problem = _generic(
        422, "request.validation_failed", "The request has invalid or unknown fields.", errors
    )
    return problem_response(problem, request)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http.{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
    problem = _generic(exc.status_code, code, detail)
    response = problem_response(problem, request)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("http.unhandled_error", exc_info=exc, path=request.url.path)
    problem = _generic(500, "internal.error", "An unexpected error occurred; it has been logged.")
    return problem_response(problem, request)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, an RFC 9457 problem with a stable code."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)


class BodyLimitMiddleware:
    """Refuses request bodies above `max_bytes`, whether declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            too_large = _generic(
                413, "request.body_too_large", f"The body exceeds {self.max_bytes} bytes."
            )
            await problem_response(too_large)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, f"The body exceeds {self.max_bytes} bytes.")
            return message

        await self.app(scope, limited_receive, send)


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        b"form-action 'self'; object-src 'none'",
    ),
]


class SecurityHeadersMiddleware:
    """Adds defensive headers to every response; API responses are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(_SECURITY_HEADERS)
        if scope["path"].startswith("/api/"):
            extra.append((b"cache-control", b"no-store"))
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
