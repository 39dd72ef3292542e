"""Valuation test helpers: bonds through the instruments API, and their terms in the core."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from liquibond.analytics import INDIA_GSEC
from liquibond.instruments.isin import isin_check_digit
from tests.helpers import LoggedIn
from tests.instruments.test_instruments_api import draft, issuer

#: The core's terms of tests.instruments' GSEC (7.26% GS 2032, face Rs 100).
GSEC_TERMS = INDIA_GSEC.terms(
    date(2022, 1, 6), date(2032, 1, 6), Decimal("0.0726"), face_value=Decimal("100.00")
)


def isin(first_eleven: str) -> str:
    """A valid ISIN from its first eleven characters."""
    return first_eleven + str(isin_check_digit(first_eleven))


async def drafted(
    client: httpx.AsyncClient, admin: LoggedIn, **overrides: Any
) -> tuple[str, LoggedIn]:
    """A bond a new issuer has drafted (GSEC's terms unless overridden): its id and issuer."""
    bank = await issuer(client, admin)
    created = await draft(client, bank, **overrides)
    assert created.status_code == 201, created.text
    return created.json()["id"], bank


async def listed(client: httpx.AsyncClient, admin: LoggedIn, **overrides: Any) -> str:
    """A bond drafted, submitted and approved: its id."""
    bond_id, bank = await drafted(client, admin, **overrides)
    submitted = await client.post(f"/api/v1/instruments/{bond_id}/submit", headers=bank.headers)
    assert submitted.status_code == 200, submitted.text
    approved = await client.post(f"/api/v1/instruments/{bond_id}/approve", headers=admin.headers)
    assert approved.json()["status"] == "listed", approved.text
    return bond_id


async def analytics(
    client: httpx.AsyncClient, bond_id: str, who: LoggedIn | None = None, **params: Any
) -> httpx.Response:
    """GET an instrument's analytics."""
    return await client.get(
        f"/api/v1/instruments/{bond_id}/analytics",
        params=params,
        headers=who.headers if who else None,
    )


def field_of(problem: dict[str, Any]) -> str:
    """The one field a problem names."""
    [error] = problem["errors"]
    field: str = error["field"]
    return field
