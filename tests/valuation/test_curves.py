"""Curves: admins upload par yields, everyone reads them bootstrapped; spreads over them."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.analytics import BondArray, Interpolation, bootstrap_par_curve, cashflows, fair_value
from tests.helpers import LoggedIn, assert_problem, make_admin, register_and_login
from tests.valuation.helpers import GSEC_TERMS, analytics, field_of, listed

AS_OF = date(2026, 3, 10)
TIMES = [0.25, 1, 1826 / 365, 10, 30]  # curve time of each point, in order
PAR_YIELDS = [5.5, 5.8, 6.5, 6.8, 7.1]
CURVE = {
    "as_of": AS_OF.isoformat(),
    # out of order, and one point given by its maturity date (five years and a leap day)
    "points": [
        {"tenor_years": 10, "par_yield": 6.8},
        {"tenor_years": 0.25, "par_yield": 5.5},
        {"maturity_date": "2031-03-10", "par_yield": 6.5},
        {"tenor_years": 1, "par_yield": 5.8},
        {"tenor_years": 30, "par_yield": 7.1},
    ],
}


async def upload(
    client: httpx.AsyncClient, who: LoggedIn | None, body: dict[str, Any], name: str = "INR-GSEC"
) -> httpx.Response:
    """PUT a curve as `who` (anonymous when None)."""
    return await client.put(
        f"/api/v1/admin/curves/{name}", json=body, headers=who.headers if who else None
    )


async def test_admins_upload_curves_and_everyone_reads_them_bootstrapped(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await make_admin(app, client)
    investor = await register_and_login(client)
    assert_problem(await upload(client, None, CURVE), 401, "auth.unauthenticated")
    assert_problem(await upload(client, investor, CURVE), 403, "auth.forbidden_role")
    assert_problem(await client.get("/api/v1/curves/INR-GSEC"), 404, "curve.not_found")

    uploaded = await upload(client, admin, CURVE)

    assert uploaded.status_code == 200, uploaded.text
    body = (await client.get("/api/v1/curves/INR-GSEC")).json()
    assert body == uploaded.json()
    assert body["as_of"] == "2026-03-10" and body["interpolation"] == "log_linear_discount"
    nodes = body["nodes"]
    times = [node["time_years"] for node in nodes]
    assert times == pytest.approx(TIMES)
    assert [node["par_yield"] for node in nodes] == PAR_YIELDS
    assert nodes[2]["maturity_date"] == "2031-03-10" and nodes[2]["tenor_years"] is None
    zero = bootstrap_par_curve(AS_OF, TIMES, [y / 100 for y in PAR_YIELDS])
    assert [n["zero_rate"] for n in nodes] == pytest.approx(list(zero.rates * 100), abs=1e-12)
    assert [n["discount_factor"] for n in nodes] == pytest.approx(
        list(zero.discount(zero.times)), abs=1e-15
    )
    assert body["nelson_siegel_svensson"] is None

    audit = (
        await client.get(
            "/api/v1/admin/audit", params={"target": "curve:INR-GSEC"}, headers=admin.headers
        )
    ).json()["items"]
    assert [(e["action"], e["actor_id"]) for e in audit] == [("curve.uploaded", admin.user_id)]

    replaced = {**CURVE, "interpolation": "linear_zero", "points": CURVE["points"][:3]}
    assert (await upload(client, admin, replaced)).status_code == 200
    body = (await client.get("/api/v1/curves/INR-GSEC")).json()
    assert body["interpolation"] == "linear_zero"
    assert [node["tenor_years"] for node in body["nodes"]] == [0.25, None, 10]
    zero = bootstrap_par_curve(
        AS_OF, [0.25, 1826 / 365, 10], [0.055, 0.065, 0.068], 2, Interpolation.LINEAR_ZERO
    )
    assert [n["zero_rate"] for n in body["nodes"]] == pytest.approx(
        list(zero.rates * 100), abs=1e-12
    )


async def test_nelson_siegel_svensson_fit_on_request(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await upload(client, await make_admin(app, client), CURVE)

    body = (
        await client.get("/api/v1/curves/INR-GSEC", params={"nelson_siegel_svensson": True})
    ).json()

    fit = body["nelson_siegel_svensson"]
    assert set(fit) == {"beta0", "beta1", "beta2", "beta3", "tau1", "tau2", "zero_rates"}
    bootstrapped = [node["zero_rate"] for node in body["nodes"]]
    assert fit["zero_rates"] == pytest.approx(bootstrapped, abs=0.1)  # within 10 bp


async def test_curves_that_cannot_be_bootstrapped_are_422(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await make_admin(app, client)
    steep = {
        "as_of": "2026-03-10",
        "points": [{"tenor_years": 5, "par_yield": 0}, {"tenor_years": 30, "par_yield": 50}],
    }
    twice = {
        "as_of": "2026-03-10",
        "points": [
            {"tenor_years": 1, "par_yield": 6},
            {"maturity_date": "2027-03-10", "par_yield": 6.1},
        ],
    }
    past = {"as_of": "2026-03-10", "points": [{"maturity_date": "2026-03-01", "par_yield": 6}]}
    for curve in (steep, twice, past):
        problem = assert_problem(await upload(client, admin, curve), 422, "analytics.invalid_curve")
        assert field_of(problem) == "body.points"

    both = {
        "as_of": "2026-03-10",
        "points": [{"tenor_years": 1, "maturity_date": "2027-03-10", "par_yield": 6}],
    }
    assert_problem(await upload(client, admin, both), 422, "request.validation_failed")
    assert_problem(
        await upload(client, admin, CURVE, "no spaces"), 422, "request.validation_failed"
    )
    assert_problem(await client.get("/api/v1/curves/INR-GSEC"), 404, "curve.not_found")


async def test_spreads_over_a_curve(client: httpx.AsyncClient, app: FastAPI) -> None:
    admin = await make_admin(app, client)
    bond_id = await listed(client, admin)
    await upload(client, admin, CURVE)
    settlement = "2026-06-15"

    at_curve = (
        await analytics(client, bond_id, curve="INR-GSEC", spread_bp=0, settlement_date=settlement)
    ).json()

    assert at_curve["priced_from"] == "curve"
    assert at_curve["curve"] == {"name": "INR-GSEC", "as_of": "2026-03-10", "z_spread_bp": 0}
    zero = bootstrap_par_curve(AS_OF, TIMES, [y / 100 for y in PAR_YIELDS])
    flows = cashflows(BondArray.of([GSEC_TERMS]), date(2026, 6, 15))
    assert at_curve["clean_price"] == pytest.approx(fair_value(flows, zero).clean[0], rel=1e-12)

    priced = await analytics(
        client, bond_id, curve="INR-GSEC", price=at_curve["clean_price"], settlement_date=settlement
    )
    assert priced.json()["curve"]["z_spread_bp"] == pytest.approx(0, abs=1e-6)
    assert priced.json()["yield"] == pytest.approx(at_curve["yield"], abs=1e-9)

    wide = (
        await analytics(client, bond_id, curve="INR-GSEC", spread_bp=75, settlement_date=settlement)
    ).json()
    assert wide["clean_price"] < at_curve["clean_price"]
    back = await analytics(
        client, bond_id, curve="INR-GSEC", price=wide["clean_price"], settlement_date=settlement
    )
    assert back.json()["curve"]["z_spread_bp"] == pytest.approx(75, abs=1e-6)
    assert back.json()["dirty_price"] == pytest.approx(wide["dirty_price"], rel=1e-12)
