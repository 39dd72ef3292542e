"""The README's first command: `liquibond demo` serves, and a newcomer gets from registration
to a verified, funded account, over real HTTP against the real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.kyc.helpers import PDF, VERIFIED_FULL, a_pan, form
from tests.server import running_demo

demo_url = running_demo


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
        assert {bond["isin"] for bond in listed} >= {"IN0020220102", "INE002A08534"}

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
