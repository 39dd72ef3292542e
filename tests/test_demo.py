"""The README's first command: `liquibond demo` serves live books of real bonds, and a newcomer
gets from registration to a verified, funded account, a first trade and an RFQ the demo's
market maker answers, over real HTTP against the real process; the demo's auction is open and
the market maker bids in it. Seeding the demo opens one auction, however often it runs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as clock_time
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.demo import (
    DEMO_AUCTION_BIDDING,
    DEMO_AUCTION_ISIN,
    DEMO_AUCTION_OFFERING,
    DEMO_AUCTION_SHORTEST,
    DEMO_BONDS,
    DEMO_MARKET_MAKER,
    DEMO_PASSWORD,
    run_market_maker,
    seed_demo,
)
from liquibond.platform.db import utcnow
from liquibond.trading.liquidity import MAKER_EMAIL
from liquibond.valuation.service import MARKET_TIME, trade_date
from tests.kyc.helpers import PDF, VERIFIED_FULL, a_pan, form
from tests.server import _free_port, demo_process


@pytest.fixture
def demo_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A running `liquibond demo` whose market maker requotes twice a second."""
    monkeypatch.setenv("LIQUIBOND_DEMO_LIQUIDITY_INTERVAL_SECONDS", "0.5")
    with demo_process(tmp_path) as url:
        yield url


def _two_sided(book: dict[str, Any]) -> str | None:
    """The best ask of a book with bids and asks; None while a side is empty."""
    return book["asks"][0]["price"] if book["bids"] and book["asks"] else None


def _until(check, timeout: float = 15):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def test_newcomer_journey_on_the_running_demo(demo_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path
    with httpx.Client(base_url=demo_url, timeout=10) as http:
        assert http.get("/docs").status_code == 200
        listed = http.get("/api/v1/instruments").json()["items"]
        assert {bond["isin"] for bond in listed} >= {bond.isin for bond in DEMO_BONDS}
        books = {bond["isin"]: f"/api/v1/instruments/{bond['id']}" for bond in listed}
        for path in books.values():  # the demo's market maker quotes every bond within seconds
            _until(lambda path=path: _two_sided(http.get(f"{path}/book").json()))
        _until(lambda: any(http.get(f"{path}/trades").json()["items"] for path in books.values()))

        email = f"newcomer-{os.getpid()}@example.com"
        password = "a long demo password"
        assert (
            http.post(
                "/api/v1/auth/register",
                json={"email": email, "password": password, "display_name": "New"},
            ).status_code
            == 201
        )
        token = http.post("/api/v1/auth/login", json={"email": email, "password": password}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}

        funded = _until(lambda: http.get("/api/v1/accounts", headers=auth).json())
        assert funded[0]["asset"] == "INR" and funded[0]["balance"] > 0

        submitted = http.post(
            "/api/v1/kyc",
            data=form(a_pan(VERIFIED_FULL)),
            files={"document": ("pan.pdf", PDF, "application/pdf")},
            headers=auth,
        )
        assert submitted.status_code == 201, submitted.text
        _until(lambda: http.get("/api/v1/kyc", headers=auth).json()["status"] == "verified")

        deposit = http.post(
            "/api/v1/deposits",
            headers=auth,
            json={"amount": 50_000_00, "method": "upi", "payer_vpa": "new@okhdfc"},
        ).json()
        _until(
            lambda: (
                http.get(f"/api/v1/payments/{deposit['id']}", headers=auth).json()["status"]
                == "confirmed"
            )
        )
        # A first trade: one lot of the short G-sec, taken from the market maker's offer.
        gsec = next(bond for bond in listed if bond["isin"] == "IN0020220037")
        ask = Decimal(_until(lambda: _two_sided(http.get(f"{books[gsec['isin']]}/book").json())))
        tick = Decimal(gsec["tick_size"])
        limit = (ask * Decimal("1.005") / tick).to_integral_value(ROUND_FLOOR) * tick
        bought = http.post(
            "/api/v1/orders",
            headers=auth,
            json={
                "instrument_id": gsec["id"],
                "client_order_id": "first-trade",
                "side": "buy",
                "time_in_force": "ioc",
                "price": str(limit),
                "quantity": gsec["min_lot"],
            },
        )
        assert bought.status_code == 201, bought.text
        assert bought.json()["status"] == "filled"
        assert http.get("/api/v1/trades", headers=auth).json()["items"][0]["side"] == "buy"

        # An RFQ asked of every dealer: the demo's market maker answers it, the dealer who
        # answers by hand does not (nobody is there), and the newcomer takes the quote.
        dealers = {
            d["name"]: d["id"] for d in http.get("/api/v1/rfqs/dealers", headers=auth).json()
        }
        maker, by_hand = dealers["Demo Market Maker"], dealers["Demo Dealer (voice desk)"]
        asked = http.post(
            "/api/v1/rfqs",
            headers=auth,
            json={"instrument_id": gsec["id"], "side": "buy", "quantity": gsec["min_lot"]},
        )
        assert asked.status_code == 201, asked.text
        rfq = f"/api/v1/rfqs/{asked.json()['id']}"
        [offer] = _until(lambda: http.get(rfq, headers=auth).json()["quotes"])
        assert offer["dealer_id"] == maker and offer["firm"] and offer["status"] == "live"
        assert Decimal(offer["price"]) > 0 and Decimal(offer["price"]) % tick == 0
        lifted = http.post(
            f"{rfq}/accept",
            headers=auth,
            json={"quote_id": offer["id"], "price": offer["price"]},
        )
        assert lifted.status_code == 200, lifted.text
        assert lifted.json()["status"] == "done"
        assert by_hand not in {q["dealer_id"] for q in lifted.json()["quotes"]}

        # The demo's auction takes bids, and the market maker has bid in it.
        [auction] = http.get("/api/v1/auctions", params={"status": "bidding"}).json()["items"]
        assert auction["isin"] == DEMO_AUCTION_ISIN
        maker_login = http.post(
            "/api/v1/auth/login", json={"email": MAKER_EMAIL, "password": DEMO_PASSWORD}
        ).json()
        maker_auth = {"Authorization": f"Bearer {maker_login['access_token']}"}
        bids = f"/api/v1/auctions/{auction['id']}/bids"
        [maker_bid] = _until(
            lambda: http.get(bids, params={"mine": "true"}, headers=maker_auth).json()["items"]
        )
        assert maker_bid["competitive"] and maker_bid["status"] == "active"
        assert maker_bid["quantity"] == DEMO_MARKET_MAKER.auction_size

        admin_login = http.post(
            "/api/v1/auth/login",
            json={"email": "admin@demo.liquibond.dev", "password": "demo-password-123"},
        ).json()
        report = http.get(
            "/api/v1/admin/payments/reconciliation",
            headers={"Authorization": f"Bearer {admin_login['access_token']}"},
        ).json()
        assert report == {"balanced": True, "breaks": []}
    env = {**os.environ, "LIQUIBOND_DATA_DIR": str(data_dir)}
    env.pop("LIQUIBOND_DATABASE_URL", None)
    verified = subprocess.run(
        [sys.executable, "-m", "liquibond", "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_the_demo_market_maker_outlives_a_server_that_does_not_answer() -> None:
    stop = asyncio.Event()
    nobody = f"http://127.0.0.1:{_free_port()}"
    running = asyncio.create_task(
        run_market_maker(nobody, stop, replace(DEMO_MARKET_MAKER, retries=0))
    )
    await asyncio.sleep(0.2)
    assert not running.done()  # its sign-in failed: logged, and it waits to try again
    stop.set()
    await asyncio.wait_for(running, 5)


async def test_seeding_opens_one_auction_of_the_demo_gsec_however_often_it_runs(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    before = utcnow()
    await seed_demo(settings, app.state.database)
    await seed_demo(settings, app.state.database)  # one is under way: no second one

    auctions = (await client.get("/api/v1/auctions")).json()["items"]
    day_ends = datetime.combine(trade_date() + timedelta(days=1), clock_time(0), MARKET_TIME)
    if day_ends - before < DEMO_AUCTION_SHORTEST + timedelta(seconds=5):
        pytest.skip("the market day is nearly over: the demo opens no auction now")
    [auction] = auctions
    assert (auction["isin"], auction["status"], auction["format"], auction["basis"]) == (
        DEMO_AUCTION_ISIN,
        "bidding",
        "uniform",
        "price",
    )
    assert auction["offering"] == DEMO_AUCTION_OFFERING
    closes = datetime.fromisoformat(auction["closes_at"])
    assert before < closes <= utcnow() + DEMO_AUCTION_BIDDING
    assert closes < day_ends
    assert auction["settles_on"] == trade_date().isoformat()
