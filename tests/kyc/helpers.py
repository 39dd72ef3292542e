"""KYC test helpers: PANs with a chosen sandbox outcome, submissions, reviewers, waiting."""

from __future__ import annotations

import asyncio
import random
import string
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI

from liquibond.kyc.service import TERMS_VERSION
from liquibond.platform.outbox import Event
from tests.helpers import LoggedIn, make_admin, register_and_login

T = TypeVar("T")

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% scanned PAN card\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)

#: Sandbox outcomes by the PAN's digits (see liquibond.kyc.sandbox).
VERIFIED_FULL, REJECTED, INOPERATIVE, NEEDS_INFO_ONCE, REFERRED, VERIFIED_BASIC = (
    "1234",
    "9990",
    "9991",
    "9992",
    "9993",
    "9994",
)


def a_pan(digits: str = VERIFIED_FULL, holder: str = "P") -> str:
    """A fresh PAN whose digits choose the sandbox outcome."""
    letters = random.choices(string.ascii_uppercase, k=5)
    return f"{''.join(letters[:3])}{holder}{letters[3]}{digits}{letters[4]}"


def form(pan: str, **overrides: str) -> dict[str, str]:
    """The form fields of a valid submission."""
    return {
        "pan": pan,
        "date_of_birth": "1988-07-14",
        "address_line": "Flat 12, Sea Breeze, Carter Road, Bandra West",
        "city": "Mumbai",
        "state": "Maharashtra",
        "pincode": "400050",
        "document_kind": "pan_card",
        "consent": "true",
        "terms_version": TERMS_VERSION,
        **overrides,
    }


async def submit(
    client: httpx.AsyncClient,
    user: LoggedIn,
    fields: dict[str, str],
    document: bytes = PDF,
    content_type: str = "application/pdf",
) -> httpx.Response:
    """POST /api/v1/kyc as multipart/form-data."""
    return await client.post(
        "/api/v1/kyc",
        data=fields,
        files={"document": ("scan", document, content_type)},
        headers=user.headers,
    )


async def submitted(client: httpx.AsyncClient, user: LoggedIn, pan: str) -> dict[str, Any]:
    """Submit a valid application and return it."""
    response = await submit(client, user, form(pan))
    assert response.status_code == 201, response.text
    application: dict[str, Any] = response.json()
    return application


async def make_reviewers(app: FastAPI, client: httpx.AsyncClient, count: int = 1) -> list[LoggedIn]:
    """Users granted the compliance role by an admin."""
    admin = await make_admin(app, client)
    reviewers = []
    for _ in range(count):
        reviewer = await register_and_login(client, "compliance")
        granted = await client.post(
            f"/api/v1/admin/users/{reviewer.user_id}/roles",
            json={"roles": ["compliance"]},
            headers=admin.headers,
        )
        assert granted.status_code == 200, granted.text
        reviewers.append(reviewer)
    return reviewers


async def eventually(probe: Callable[[], Awaitable[T | None]]) -> T:
    """The first non-None result of `probe`, polled for up to ten seconds."""
    async with asyncio.timeout(10):
        while True:
            result = await probe()
            if result is not None:
                return result
            await asyncio.sleep(0.05)


class Announcements:
    """The events the app's bus delivers, as a consumer would see them."""

    def __init__(self, app: FastAPI, pattern: str = "kyc.*") -> None:
        self.events: list[Event] = []
        app.state.bus.subscribe(pattern, self._collect)

    async def _collect(self, event: Event) -> None:
        self.events.append(event)

    async def received(self, type_: str) -> list[Event]:
        """Every event so far, once one of `type_` has arrived."""

        async def probe() -> list[Event] | None:
            return self.events if any(e.type == type_ for e in self.events) else None

        return await eventually(probe)


async def mine_once(client: httpx.AsyncClient, user: LoggedIn, status: str) -> dict[str, Any]:
    """The user's application once it has reached `status`."""

    async def probe() -> dict[str, Any] | None:
        application: dict[str, Any] = (await client.get("/api/v1/kyc", headers=user.headers)).json()
        return application if application["status"] == status else None

    return await eventually(probe)


async def queue_item(
    client: httpx.AsyncClient, reviewer: LoggedIn, application_id: str, **params: str
) -> dict[str, Any] | None:
    """An application as the review queue lists it (with `params` as filters), if listed."""
    page = await client.get(
        "/api/v1/admin/kyc", params={"limit": 200, **params}, headers=reviewer.headers
    )
    assert page.status_code == 200, page.text
    return next((i for i in page.json()["items"] if i["id"] == application_id), None)


async def referred(
    client: httpx.AsyncClient, reviewer: LoggedIn, application_id: str
) -> dict[str, Any]:
    """The application once the sandbox has referred it to compliance."""

    async def probe() -> dict[str, Any] | None:
        item = await queue_item(client, reviewer, application_id)
        return item if item and item["provider_outcome"] == "refer" else None

    return await eventually(probe)
