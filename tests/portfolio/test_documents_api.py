"""Statements (CSV, PDF) and contract notes (PDF) over HTTP, and who may read them."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from tests.helpers import LoggedIn, assert_problem
from tests.portfolio.conftest import get, pdf_text, trade
from tests.trading.conftest import balances, fund_cash, fund_units, list_bond, verified_investor


def sections(text: str) -> dict[str, list[dict[str, str]]]:
    """A statement CSV's sections by title, each a list of rows keyed by its header."""
    found: dict[str, list[dict[str, str]]] = {}
    for block in text.strip().split("\n\n"):
        title, *table = list(csv.reader(io.StringIO(block)))
        header, *rows = table
        found[title[0]] = [dict(zip(header, row, strict=True)) for row in rows]
    return found


async def _statement(
    client: httpx.AsyncClient, user: LoggedIn, start: date, end: date, fmt: str
) -> httpx.Response:
    return await client.get(
        "/api/v1/portfolio/statements",
        params={"from": start.isoformat(), "to": end.isoformat(), "format": fmt},
        headers=user.headers,
    )


async def test_a_statement_shows_positions_trades_fees_and_cash_as_csv_and_pdf(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app, taker_fee_bps="10")
    dealer, me = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, dealer, 1_000)
    await fund_units(app, market, me, 100)  # transferred in: no cost basis
    await fund_cash(app, me, 50_000_00)
    bought = await trade(client, market, dealer, me, "buy", "100.5", 200)
    sold = await trade(client, market, dealer, me, "sell", "101", 100)
    # Nothing of the transfer, deposit or trades happened before today: the market date may
    # differ from the calendar date here, so the period ends on the trades' date.
    today = date.fromisoformat(bought["trade_date"])
    start = today - timedelta(days=30)

    response = await _statement(client, me, start, today, "csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    found = sections(response.text)
    (head,) = found["Statement"]
    assert (head["from"], head["to"], head["client_id"]) == (
        start.isoformat(),
        today.isoformat(),
        me.user_id,
    )
    (position,) = found["Positions"]
    assert (position["isin"], position["opening_units"], position["closing_units"]) == (
        market.isin,
        "0",
        "200",
    )
    # FIFO: the sale took the 100 transferred units first; 200 bought at 100.50 are left.
    assert (position["closing_cost"], position["closing_units_without_cost"]) == ("20100.00", "0")
    trades = found["Trades"]
    assert [(t["side"], t["quantity"], t["price"]) for t in trades] == [
        ("buy", "200", "100.50"),
        ("sell", "100", "101.00"),
    ]
    assert trades[0]["clean"] == "20100.00" and trades[0]["fee"] == "20.10"
    assert trades[0]["cash"] == _amount(-(bought["dirty_amount"] + bought["fee"]))
    assert trades[1]["cash"] == _amount(sold["dirty_amount"] - sold["fee"])
    assert trades[0]["contract_note"].startswith(f"CN-{today:%Y%m%d}-{market.isin}-")
    (deposit,) = found["Cash movements"]
    assert (deposit["kind"], deposit["amount"], deposit["currency"]) == (
        "deposit",
        "50000.00",
        "INR",
    )
    summary = {row["item"]: row["amount"] for row in found["Cash summary"]}
    cash_now = sum(v for (asset, _), v in (await balances(client, me)).items() if asset == "INR")
    assert summary == {
        "opening balance": "0.00",
        "deposit": "50000.00",
        "trades": _amount(
            -(bought["dirty_amount"] + bought["fee"]) + sold["dirty_amount"] - sold["fee"]
        ),
        "closing balance": _amount(cash_now),
        "fees paid": _amount(bought["fee"] + sold["fee"]),
    }
    assert found["Coupons and redemptions"] == []

    # A period before any of it: no trades, nothing held, no cash.
    earlier = sections((await _statement(client, me, start, start + timedelta(days=1), "csv")).text)
    assert earlier["Trades"] == [] and earlier["Positions"] == []
    assert earlier["Cash summary"] == []

    response = await _statement(client, me, start, today, "pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pages, text = pdf_text(response.content)
    assert pages >= 1
    for expected in (
        "Liquibond",
        "Statement of account",
        "Page 1 of",
        market.isin,
        "7.26% GS 2032",
        me.user_id,
        f"{start.isoformat()} to {today.isoformat()}",
        "Opening balance",
        "Closing balance",
        "50,000.00",
        "Coupons and redemptions",
    ):
        assert expected in text, expected
    assert me.email not in text  # masked

    # The dealer's statement shows its own side of the same trades, and nothing of mine.
    theirs = sections((await _statement(client, dealer, start, today, "csv")).text)
    assert [(t["side"], t["contract_note"][-1]) for t in theirs["Trades"]] == [
        ("sell", "S"),
        ("buy", "B"),
    ]
    assert me.user_id not in str(theirs) and theirs["Cash movements"] == []


def _amount(paise: int) -> str:
    return str(Decimal(paise).scaleb(-2))


async def test_statement_parameters_are_checked(client: httpx.AsyncClient, app: FastAPI) -> None:
    me = await verified_investor(client)
    today = date.today()
    for params, code in (
        ({"from": "2026-02-01", "to": "2026-01-01"}, "statement.invalid_range"),
        (
            {"from": (today - timedelta(days=400)).isoformat(), "to": today.isoformat()},
            "statement.range_too_long",
        ),
        (
            {"from": today.isoformat(), "to": (today + timedelta(days=3)).isoformat()},
            "statement.future_period",
        ),
        ({"from": "2026-01-01", "to": "2026-01-31", "format": "xls"}, "request.validation_failed"),
        ({"to": "2026-01-31"}, "request.validation_failed"),
        ({"from": "2026-13-01", "to": "2026-01-31"}, "request.validation_failed"),
    ):
        response = await client.get(
            "/api/v1/portfolio/statements", params=params, headers=me.headers
        )
        assert_problem(response, 422, code)
    response = await client.get(
        "/api/v1/portfolio/statements", params={"from": "2026-01-01", "to": "2026-01-31"}
    )
    assert_problem(response, 401, "auth.unauthenticated")


async def test_a_contract_note_is_mine_alone_and_names_the_venue_as_counterparty(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app, taker_fee_bps="10", maker_fee_bps="5")
    dealer, me, stranger = [await verified_investor(client) for _ in range(3)]
    await fund_units(app, market, dealer, 1_000)
    await fund_cash(app, me, 50_000_00)
    fill = await trade(client, market, dealer, me, "buy", "100.25", 300)

    response = await client.get(f"/api/v1/trades/{fill['id']}/contract-note", headers=me.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pages, text = pdf_text(response.content)
    assert pages == 1
    number = f"CN-{date.fromisoformat(fill['trade_date']):%Y%m%d}-{market.isin}-000001-B"
    assert number in response.headers["content-disposition"]
    analytics = await get(
        client,
        me,
        f"/instruments/{market.id}/analytics",
        price="100.25",
        settlement_date=fill["settlement_date"],
    )
    for expected in (
        "Contract note",
        number,
        "Page 1 of 1",
        me.user_id,
        "Liquibond (the venue, as central counterparty)",
        market.isin,
        "7.26% GS 2032",
        "Bought",
        fill["trade_date"],
        fill["settlement_date"],
        "100.25",
        f"{analytics['yield']:.4f}%",
        "30,075.00",  # 300 x ₹100 x 100.25%
        _grouped(fill["accrued_interest"]),
        _grouped(fill["dirty_amount"]),
        "30.08",  # 10 bp, rounded up
        _grouped(fill["dirty_amount"] + fill["fee"]),
        "Net amount payable by the client",
    ):
        assert expected in text, expected
    assert me.email not in text and dealer.user_id not in text and dealer.email not in text

    # The dealer gets its own note of the same trade: it sold, and sees the venue, not me.
    theirs = await client.get(f"/api/v1/trades/{fill['id']}/contract-note", headers=dealer.headers)
    _, their_text = pdf_text(theirs.content)
    assert number.replace("-B", "-S") in their_text and "Sold" in their_text
    assert me.user_id not in their_text and "receivable" in their_text

    for who, trade_id in ((stranger, fill["id"]), (me, str(uuid.uuid4()))):
        assert_problem(
            await client.get(f"/api/v1/trades/{trade_id}/contract-note", headers=who.headers),
            404,
            "trade.not_found",
        )
    assert_problem(
        await client.get(f"/api/v1/trades/{fill['id']}/contract-note"),
        401,
        "auth.unauthenticated",
    )


def _grouped(paise: int) -> str:
    rupees, rest = divmod(abs(paise), 100)
    digits = str(rupees)
    head, tail = digits[:-3], digits[-3:]
    groups: list[Any] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ",".join([*groups, tail]) + f".{rest:02d}"
