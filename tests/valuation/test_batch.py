"""The batch calculator: array results agree with the scalar paths; bad bonds are named."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.analytics import DAY_COUNTS, BondTerms, bond_price, bond_risk, bond_yield
from tests.helpers import assert_problem, make_admin
from tests.valuation.helpers import analytics, field_of, listed

SETTLEMENT = date(2026, 3, 10)
GSEC = {"issue_date": "2022-01-06", "maturity_date": "2032-01-06", "coupon_rate": 7.26}
SHARED = {"settlement_date": "2026-03-10", "frequency": 2, "day_count": "30/360"}


async def value(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    """POST a batch to the calculator."""
    return await client.post("/api/v1/analytics/bonds", json=body)


def random_bonds(count: int, seed: int) -> list[dict[str, Any]]:
    """Bonds of every frequency and day count alive at SETTLEMENT, by price or by yield."""
    rng = random.Random(seed)
    bonds = []
    for i in range(count):
        issue = SETTLEMENT - timedelta(days=rng.randrange(0, 15 * 365))
        bond: dict[str, Any] = {
            "issue_date": issue.isoformat(),
            "maturity_date": (SETTLEMENT + timedelta(days=rng.randrange(30, 30 * 365))).isoformat(),
            "coupon_rate": round(rng.uniform(0, 12), 4),
            "frequency": rng.choice((1, 2, 4, 12)),
            "day_count": rng.choice(DAY_COUNTS).code,
            "face_value": rng.choice((100, 1000, 100_000)),
            "settlement_date": SETTLEMENT.isoformat(),
        }
        if i % 2:
            bond["price"] = round(rng.uniform(80, 120), 4)
        else:
            bond["yield"] = round(rng.uniform(1, 12), 4)
        bonds.append(bond)
    return bonds


async def test_a_thousand_bonds_agree_with_the_core_and_the_scalar_endpoint(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    bond_id = await listed(client, await make_admin(app, client))
    quotes = [{"price": 98.5}, {"yield": 7.1}, {"price": 103.25}]
    gsecs = [{**GSEC, **SHARED, **quote} for quote in quotes]
    bonds = [*gsecs, *random_bonds(997, seed=11)]

    response = await value(client, bonds=bonds)

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 1000
    for quote, result in zip(quotes, results, strict=False):
        scalar = await analytics(client, bond_id, settlement_date="2026-03-10", **quote)
        expected = scalar.json()
        for name, figure in result.items():
            assert figure == pytest.approx(expected[name], rel=1e-12, abs=1e-12), name
    for bond, result in list(zip(bonds, results, strict=True))[3::50]:
        terms = BondTerms(
            date.fromisoformat(bond["issue_date"]),
            date.fromisoformat(bond["maturity_date"]),
            Decimal(str(bond["coupon_rate"])) / 100,
            bond["frequency"],
            bond["day_count"],
        )
        if "price" in bond:
            expected_yield = bond_yield(terms, SETTLEMENT, bond["price"])
            assert result["clean_price"] == bond["price"]
        else:
            expected_yield = bond["yield"] / 100
            quote = bond_price(terms, SETTLEMENT, expected_yield)
            assert result["clean_price"] == pytest.approx(quote.clean, rel=1e-12)
        risk = bond_risk(terms, SETTLEMENT, expected_yield)
        assert result["yield"] == pytest.approx(expected_yield * 100, rel=1e-9)
        assert result["dirty_price"] == pytest.approx(risk.dirty, rel=1e-9)
        assert result["modified_duration"] == pytest.approx(risk.modified, rel=1e-9)
        assert result["convexity"] == pytest.approx(risk.convexity, rel=1e-9)
        assert result["dv01_per_unit"] == pytest.approx(
            risk.dv01 * bond["face_value"] / 100, rel=1e-9
        )


async def test_ten_thousand_bonds_fit_and_one_more_is_refused(client: httpx.AsyncClient) -> None:
    bonds = [{**GSEC, "price": 90 + i % 20} for i in range(10_000)]

    response = await value(client, **SHARED, bonds=bonds)

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 10_000
    assert [r["clean_price"] for r in results[:21]] == [90 + i % 20 for i in range(21)]
    too_many = await value(client, **SHARED, bonds=[*bonds, bonds[0]])
    problem = assert_problem(too_many, 422, "request.validation_failed")
    assert field_of(problem) == "body.bonds"


async def test_shared_terms_apply_where_a_bond_states_none(client: httpx.AsyncClient) -> None:
    own = {**GSEC, "frequency": 1, "day_count": "ACT/365F", "settlement_date": "2026-05-01"}
    shared = await value(client, **SHARED, bonds=[{**GSEC, "price": 99}, {**own, "price": 99}])
    spelled = await value(client, bonds=[{**GSEC, **SHARED, "price": 99}, {**own, "price": 99}])

    assert shared.status_code == 200, shared.text
    assert shared.json() == spelled.json()
    first, second = shared.json()["results"]
    assert first["yield"] != second["yield"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the absurd yield overflows
async def test_a_bad_bond_fails_the_batch_naming_it(client: httpx.AsyncClient) -> None:
    good = [{**GSEC, "yield": 7.0} for _ in range(20)]

    def batch(index: int, **change: Any) -> list[dict[str, Any]]:
        bonds = [dict(bond) for bond in good]
        bonds[index] |= change
        return bonds

    cases = [
        (batch(17, day_count="ACT/366"), "analytics.unknown_convention", "17.day_count"),
        (batch(5, price=-1, **{"yield": None}), "analytics.non_positive_price", "5.price"),
        (
            batch(3, settlement_date="2032-01-06"),
            "analytics.settlement_after_maturity",
            "3.settlement_date",
        ),
        (batch(2, frequency=3), "analytics.unsupported_frequency", "2.frequency"),
        (batch(1, maturity_date="2021-01-06"), "analytics.invalid_terms", "1.maturity_date"),
        (
            batch(4, first_coupon_date="2022-03-01"),
            "analytics.invalid_schedule",
            "4.first_coupon_date",
        ),
        (
            batch(
                6,
                issue_date="2000-01-01",
                maturity_date="2900-01-01",
                frequency=1,
                **{"yield": -99.9},
            ),
            "analytics.out_of_range",
            "6",
        ),
        (batch(8, price=99), "request.validation_failed", "8"),
    ]
    for bonds, code, field in cases:
        problem = assert_problem(await value(client, **SHARED, bonds=bonds), 422, code)
        assert field_of(problem) == f"body.bonds.{field}", problem

    missing = await value(client, bonds=[{**GSEC, "price": 99}])
    problem = assert_problem(missing, 422, "request.validation_failed")
    assert {e["field"] for e in problem["errors"]} == {
        f"body.bonds.0.{name}" for name in ("settlement_date", "frequency", "day_count")
    }
    century = {"issue_date": "2000-01-01", "maturity_date": "2100-01-01", "coupon_rate": 5}
    oversized = [{**century, "frequency": 12, "price": 100}] * 1_000  # 1.2 million periods
    problem = assert_problem(
        await value(client, **SHARED, bonds=oversized), 422, "analytics.batch_too_large"
    )
    assert field_of(problem) == "body.bonds"
