"""Idempotency-Key: a retry returns the first response; a different body is refused."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from liquibond.identity.models import ApiKey, User
from liquibond.platform.uow import UnitOfWork
from tests.conftest import unique_email
from tests.helpers import PASSWORD, assert_problem, register_and_login


async def _count(app: FastAPI, model: type) -> int:
    async with UnitOfWork(app.state.database, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_same_key_twice_has_one_effect_and_the_same_response(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    body = {"email": unique_email(), "password": PASSWORD, "display_name": "Once"}
    headers = {"Idempotency-Key": "register-once-1"}
    first = await client.post("/api/v1/auth/register", json=body, headers=headers)
    second = await client.post("/api/v1/auth/register", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second.headers["idempotent-replayed"] == "true"
    assert await _count(app, User) == 1


async def test_same_key_with_another_body_is_422(client: httpx.AsyncClient, app: FastAPI) -> None:
    headers = {"Idempotency-Key": "k-2"}
    body = {"email": unique_email(), "password": PASSWORD, "display_name": "A"}
    assert (
        await client.post("/api/v1/auth/register", json=body, headers=headers)
    ).status_code == 201
    other = {**body, "display_name": "B"}
    response = await client.post("/api/v1/auth/register", json=other, headers=headers)
    assert_problem(response, 422, "idempotency.key_reused")
    assert await _count(app, User) == 1


async def test_keys_are_scoped_per_user_and_secrets_replay_only_to_their_owner(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    alice, bob = await register_and_login(client), await register_and_login(client)
    body = {"name": "bot", "scopes": ["read"]}
    headers = {"Idempotency-Key": "same-key"}
    a1 = await client.post("/api/v1/me/api-keys", json=body, headers={**alice.headers, **headers})
    b1 = await client.post("/api/v1/me/api-keys", json=body, headers={**bob.headers, **headers})
    a2 = await client.post("/api/v1/me/api-keys", json=body, headers={**alice.headers, **headers})
    assert a1.status_code == b1.status_code == a2.status_code == 201
    assert a1.json()["key"] == a2.json()["key"] != b1.json()["key"]
    assert await _count(app, ApiKey) == 2


async def test_failed_requests_are_not_stored(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "retry-after-fix"}
    bad = {"email": "not-an-email", "password": PASSWORD, "display_name": "A"}
    assert (
        await client.post("/api/v1/auth/register", json=bad, headers=headers)
    ).status_code == 422
    good = {**bad, "email": unique_email()}
    assert (
        await client.post("/api/v1/auth/register", json=good, headers=headers)
    ).status_code == 201


async def test_invalid_key(client: httpx.AsyncClient) -> None:
    body = {"email": unique_email(), "password": PASSWORD, "display_name": "A"}
    response = await client.post(
        "/api/v1/auth/register", json=body, headers={"Idempotency-Key": "x" * 256}
    )
    assert_problem(response, 400, "idempotency.invalid_key")
