"""The README's first command: `liquibond demo` serves live books of real bonds, and a newcomer
gets from registration to a verified, funded account and a first trade, over real HTTP against
the real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from liquibond.demo import DEMO_BONDS
from tests.kyc.helpers import PDF, VERIFIED_FULL, a_pan, form
from tests.server import demo_process


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
