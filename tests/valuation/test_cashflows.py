"""Cash-flow schedules: exact amounts in minor units, payments moved off Indian holidays."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Any

import httpx
from fastapi import FastAPI

from tests.helpers import LoggedIn, make_admin
from tests.valuation.helpers import drafted, isin


async def schedule(client: httpx.AsyncClient, bond_id: str, who: LoggedIn) -> dict[str, Any]:
    """An instrument's cash-flow schedule, as `who` sees it."""
    response = await client.get(f"/api/v1/instruments/{bond_id}/cashflows", headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_gsec_coupons_are_exact_and_paid_on_business_days(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # 6.45% GS 2035 pays on 26 Jan (Republic Day) and 26 Jul, Rs 100 face.
    bond_id, bank = await drafted(
        client,
        await make_admin(app, client),
        isin=isin("IN002019Z34"),
        coupon_rate="6.45",
        issue_date="2020-01-26",
        maturity_date="2035-01-26",
    )

    body = await schedule(client, bond_id, bank)

    flows = body["flows"]
    coupons, redemption = flows[:-1], flows[-1]
    assert len(coupons) == 30 and {c["kind"] for c in coupons} == {"coupon"}
    # Rs 100 x 6.45% / 2 = 322.5 paise, rounded half to even once.
    assert {(c["amount_per_100"], c["amount_per_unit"]) for c in coupons} == {(3.225, 322)}
    assert redemption == {
        "kind": "redemption",
        "accrual_start": None,
        "accrual_end": None,
        "scheduled_date": "2035-01-26",
        "payment_date": None,  # no 2035 holiday data yet
        "amount_per_100": 100.0,
        "amount_per_unit": 100_00,
    }
    assert body["total_per_unit"] == 30 * 322 + 100_00 == sum(f["amount_per_unit"] for f in flows)
    assert coupons[0]["accrual_start"] == "2020-01-26"
    assert all(a["accrual_end"] == b["accrual_start"] for a, b in pairwise(coupons))
    assert all(c["accrual_end"] == c["scheduled_date"] for c in coupons)

    paid = {c["scheduled_date"]: c["payment_date"] for c in coupons}
    assert paid["2025-01-26"] == "2025-01-27"  # a Sunday
    assert paid["2025-07-26"] == "2025-07-28"  # a Saturday
    assert paid["2026-01-26"] == "2026-01-27"  # Republic Day, a Monday
    assert paid["2026-07-26"] == "2026-07-27"
    calendar = body["calendar"]
    assert calendar["code"] == "RBI" and body["conventions"]["payment_calendar"] == "RBI"
    covered = range(calendar["first_year"], calendar["last_year"] + 1)
    for due, payment in paid.items():
        assert (payment is None) == (date.fromisoformat(due).year not in covered), due


async def test_corporate_redeemed_early_accrues_only_to_the_payment_date(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # 8.90% annual SEBI bond maturing on Sunday 24 May 2026, Rs 1 lakh face.
    bond_id, bank = await drafted(
        client,
        await make_admin(app, client),
        isin=isin("INE00XYZ987"),
        coupon_rate="8.9",
        coupon_frequency=1,
        day_count="ACT/ACT-SEBI",
        issue_date="2021-05-24",
        maturity_date="2026-05-24",
        face_value=100_000_00,
    )

    body = await schedule(client, bond_id, bank)

    *_, last, redemption = body["flows"]
    assert body["conventions"]["name"] == "India corporate (SEBI)"
    assert (last["payment_date"], redemption["payment_date"]) == ("2026-05-22", "2026-05-22")
    assert last["amount_per_unit"] == round(100_000_00 * 0.089 * 363 / 365)  # 363 of 365 days
    assert abs(last["amount_per_100"] - 8.9 * 363 / 365) < 1e-6
    assert redemption["amount_per_unit"] == 100_000_00
