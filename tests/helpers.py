"""Small HTTP helpers shared by the API tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from liquibond.identity.models import Role
from liquibond.identity.schemas import RegisterRequest
from liquibond.identity.service import IdentityService
from liquibond.platform.uow import UnitOfWork
from tests.conftest import unique_email

PASSWORD = "correct horse battery staple"


@dataclass
class LoggedIn:
    """A registered user with a live session."""

    user_id: str
    email: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for this user."""
        return {"Authorization": f"Bearer {self.access_token}"}


async def register(client: httpx.AsyncClient, email: str | None = None) -> dict[str, Any]:
    """Register a user; returns the created user."""
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email or unique_email(), "password": PASSWORD, "display_name": "Test"},
    )
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


async def login(client: httpx.AsyncClient, email: str, **extra: str) -> httpx.Response:
    """Attempt a login."""
    return await client.post(
        "/api/v1/auth/login", json={"email": email, "password": PASSWORD, **extra}
    )


async def register_and_login(client: httpx.AsyncClient, prefix: str = "user") -> LoggedIn:
    """A fresh user with a session."""
    user = await register(client, unique_email(prefix))
    response = await login(client, user["email"])
    assert response.status_code == 200, response.text
    tokens = response.json()
    return LoggedIn(user["id"], user["email"], tokens["access_token"], tokens["refresh_token"])


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


async def make_admin(app: FastAPI, client: httpx.AsyncClient) -> LoggedIn:
    """An admin created the way `liquibond admin create-user --role admin` does it."""
    email = unique_email("admin")
    async with UnitOfWork(app.state.database) as uow:
        service = IdentityService(uow.session, app.state.credentials)
        await service.register(
            RegisterRequest(email=email, password=PASSWORD, display_name="Admin"),
            roles=[Role.ADMIN],
        )
        await uow.commit()
    tokens = (await login(client, email)).json()
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    return LoggedIn(me.json()["id"], email, tokens["access_token"], tokens["refresh_token"])
