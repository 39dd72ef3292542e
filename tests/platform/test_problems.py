"""Bad input is always a clear 4xx problem with a code: never a 500, never a stack trace."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.helpers import assert_problem, make_admin, register_and_login


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": "a@b.io", ',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 400, "request.malformed_json")


async def test_unknown_field_is_refused_and_named(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": "x@example.com",
            "password": "p" * 14,
            "display_name": "X",
            "roles": ["admin"],
        },
    )
    body = assert_problem(response, 422, "request.validation_failed")
    assert {"field": "body.roles", "type": "extra_forbidden"}.items() <= body["errors"][0].items()


async def test_wrong_type_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "x@example.com", "password": 12, "display_name": "X"},
    )
    body = assert_problem(response, 422, "request.validation_failed")
    assert [e["field"] for e in body["errors"]] == ["body.password"]


async def test_oversized_body(client: httpx.AsyncClient) -> None:
    big = b'{"email": "' + b"a" * 2_000_000 + b'"}'
    response = await client.post(
        "/api/v1/auth/login", content=big, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "request.body_too_large")


async def test_oversized_streamed_body_without_length(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65_536

    response = await client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "request.body_too_large")


async def test_huge_limit(client: httpx.AsyncClient, app: FastAPI) -> None:
    admin = await make_admin(app, client)
    for limit in ("1000000000", "-1", "0", "ten"):
        response = await client.get(
            "/api/v1/admin/users", params={"limit": limit}, headers=admin.headers
        )
        body = assert_problem(response, 422, "request.validation_failed")
        assert body["errors"][0]["field"] == "query.limit"


async def test_invalid_cursor(client: httpx.AsyncClient, app: FastAPI) -> None:
    admin = await make_admin(app, client)
    response = await client.get(
        "/api/v1/admin/users", params={"cursor": "!!!not-a-cursor"}, headers=admin.headers
    )
    assert_problem(response, 400, "pagination.invalid_cursor")


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nope"), 404, "http.not_found")
    assert_problem(await client.put("/api/v1/auth/login"), 405, "http.method_not_allowed")


async def test_bad_uuid_in_path(client: httpx.AsyncClient) -> None:
    session = await register_and_login(client)
    response = await client.delete("/api/v1/me/api-keys/not-a-uuid", headers=session.headers)
    assert_problem(response, 422, "request.validation_failed")
