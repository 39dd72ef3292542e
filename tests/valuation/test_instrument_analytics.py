"""An instrument's figures over HTTP agree with the analytics core and with hand-known values."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from liquibond.analytics import accrued_interest, bond_risk, bond_yield
from liquibond.valuation import service
from tests.helpers import assert_problem, make_admin, register_and_login
from tests.valuation.helpers import GSEC_TERMS, analytics, drafted, field_of, isin, listed


async def test_listed_gsec_at_a_price_matches_the_core(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    bond_id = await listed(client, await make_admin(app, client))
    settlement = date(2026, 3, 10)

    response = await analytics(client, bond_id, price=98.5, settlement_date="2026-03-10")

    assert response.status_code == 200, response.text
    body = response.json()
    expected_yield = bond_yield(GSEC_TERMS, settlement, 98.5)
    risk = bond_risk(GSEC_TERMS, settlement, expected_yield)
    accrued = accrued_interest(GSEC_TERMS, settlement)
    assert accrued == pytest.approx(3.63 * 64 / 180, abs=1e-12)  # 30/360: 6 Jan to 10 Mar
    assert body["settlement_date"] == "2026-03-10" and body["priced_from"] == "price"
    assert body["clean_price"] == 98.5
    assert body["accrued_interest"] == pytest.approx(accrued, abs=1e-12)
    assert body["dirty_price"] == pytest.approx(98.5 + accrued, abs=1e-12)
    assert body["yield"] == pytest.approx(expected_yield * 100, abs=1e-10)
    assert body["macaulay_duration"] == pytest.approx(risk.macaulay, rel=1e-12)
    assert body["modified_duration"] == pytest.approx(risk.modified, rel=1e-12)
    assert body["convexity"] == pytest.approx(risk.convexity, rel=1e-12)
    assert body["dv01"] == pytest.approx(risk.dv01, rel=1e-12)
    assert body["dv01_per_unit"] == pytest.approx(risk.dv01, rel=1e-12)  # face Rs 100
    assert body["curve"] is None
    assert body["conventions"] == {
        "name": "India G-Sec",
        "day_count": "30/360",
        "frequency": 2,
        "payment_calendar": "RBI",
        "payment_convention": "following",
        "redemption_convention": "preceding",
        "yield_convention": "street",
        "settlement_calendar": "NSE",
        "settlement_cycle_days": 1,
    }

    # On a coupon date, at a yield equal to the coupon, a bond is worth exactly par.
    par = (await analytics(client, bond_id, settlement_date="2026-01-06", **{"yield": 7.26})).json()
    assert par["clean_price"] == pytest.approx(100, abs=1e-10)
    assert par["accrued_interest"] == 0 and par["priced_from"] == "yield"


async def test_price_to_yield_to_price_round_trips(client: httpx.AsyncClient, app: FastAPI) -> None:
    bond_id = await listed(client, await make_admin(app, client))
    quoted = (await analytics(client, bond_id, price=97.25, settlement_date="2026-05-15")).json()

    back = await analytics(
        client, bond_id, settlement_date="2026-05-15", **{"yield": quoted["yield"]}
    )

    assert back.json()["clean_price"] == pytest.approx(97.25, abs=1e-9)
    assert back.json()["modified_duration"] == pytest.approx(quoted["modified_duration"], rel=1e-9)


async def test_settlement_defaults_to_the_trade_date_plus_the_cycle(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    bond_id = await listed(client, await make_admin(app, client))
    monkeypatch.setattr(service, "trade_date", lambda: date(2026, 11, 23))

    body = (await analytics(client, bond_id, price=99)).json()

    assert body["settlement_date"] == "2026-11-25"  # T+1 on NSE skips the 24 Nov holiday


async def test_bad_queries_are_422_problems_naming_the_field(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    bond_id = await listed(client, await make_admin(app, client))

    negative = await analytics(client, bond_id, price=-1, settlement_date="2026-03-10")
    assert field_of(assert_problem(negative, 422, "analytics.non_positive_price")) == "query.price"
    late = await analytics(client, bond_id, price=99, settlement_date="2032-01-06")
    problem = assert_problem(late, 422, "analytics.settlement_after_maturity")
    assert field_of(problem) == "query.settlement_date"
    early = await analytics(client, bond_id, price=99, settlement_date="2021-12-31")
    assert_problem(early, 422, "analytics.settlement_before_issue")
    for params in (
        {"price": 99, "yield": 7},
        {"settlement_date": "2026-03-10"},
        {"spread_bp": 10},
        {"yield": -100},
        {"price": "nan"},
        {"price": 99, "unknown": 1},
    ):
        assert_problem(await analytics(client, bond_id, **params), 422, "request.validation_failed")
    assert_problem(
        await analytics(client, bond_id, price=99, curve="nowhere"), 404, "curve.not_found"
    )


async def test_drafts_are_404_to_investors(client: httpx.AsyncClient, app: FastAPI) -> None:
    bond_id, bank = await drafted(client, await make_admin(app, client))
    investor = await register_and_login(client)

    for who in (investor, None):
        answer = await analytics(client, bond_id, who, price=99, settlement_date="2026-03-10")
        assert_problem(answer, 404, "instrument.not_found")
        flows = await client.get(
            f"/api/v1/instruments/{bond_id}/cashflows", headers=who.headers if who else None
        )
        assert_problem(flows, 404, "instrument.not_found")
    own = await analytics(client, bond_id, bank, price=99, settlement_date="2026-03-10")
    assert own.status_code == 200


async def test_conventions_follow_the_isin(client: httpx.AsyncClient, app: FastAPI) -> None:
    admin = await make_admin(app, client)
    corporate, bank = await drafted(
        client,
        admin,
        isin=isin("INE00ABC123"),
        coupon_rate="8.9",
        coupon_frequency=1,
        day_count="30/360",  # Indian corporates are valued under SEBI's ACT/ACT nonetheless
        face_value=100_000_00,
    )
    body = (
        await analytics(client, corporate, bank, price=101, settlement_date="2026-03-10")
    ).json()
    assert body["conventions"]["name"] == "India corporate (SEBI)"
    assert body["conventions"]["day_count"] == "ACT/ACT-SEBI"
    assert body["conventions"]["frequency"] == 1
    assert body["dv01_per_unit"] == pytest.approx(body["dv01"] * 1000, rel=1e-12)  # Rs 1 lakh

    foreign, bank = await drafted(
        client, admin, isin=isin("US91282CAB1"), day_count="ACT/ACT-ICMA", calendar="NSE"
    )
    body = (await analytics(client, foreign, bank, price=99, settlement_date="2026-03-10")).json()
    assert body["conventions"]["name"] == "Instrument terms"
    assert body["conventions"]["day_count"] == "ACT/ACT-ICMA"
    assert body["conventions"]["payment_calendar"] == "NSE"

    off_grid, bank = await drafted(client, admin, first_coupon_date="2022-03-01")
    problem = assert_problem(
        await analytics(client, off_grid, bank, price=99, settlement_date="2026-03-10"),
        422,
        "analytics.invalid_schedule",
    )
    assert field_of(problem) == "instrument.first_coupon_date"


async def test_zero_coupon_bonds_are_unsupported(client: httpx.AsyncClient, app: FastAPI) -> None:
    bond_id, bank = await drafted(
        client, await make_admin(app, client), coupon_rate="0", coupon_frequency=0
    )

    for path in ("analytics?price=90&settlement_date=2026-03-10", "cashflows"):
        problem = assert_problem(
            await client.get(f"/api/v1/instruments/{bond_id}/{path}", headers=bank.headers),
            422,
            "analytics.unsupported_instrument",
        )
        assert field_of(problem) == "instrument.coupon_frequency"
