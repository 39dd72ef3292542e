"""Corporate actions tests: bonds whose payments fall a few days from today, holders, the job.

The background job is off (interval 0) unless a test turns it on: tests run the job with
the day they need (`run_job(app, day)`), the clock seam of
:func:`liquibond.corporate_actions.runtime.run_due`.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.analytics import BusinessDayConvention, get_calendar, settlement_date
from liquibond.config import Settings
from liquibond.corporate_actions.runtime import run_due
from liquibond.corporate_actions.service import Policy
from liquibond.ledger.entries import TAX_WITHHELD, AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.uow import UnitOfWork
from liquibond.valuation.service import trade_date
from tests.conftest import make_settings
from tests.helpers import LoggedIn
from tests.trading.conftest import Market, list_bond
from tests.valuation.helpers import isin

NSE = get_calendar("NSE")
RBI = get_calendar("RBI")
CORPORATE_ISIN = isin("INE00CA0001")
GSEC_ISIN = isin("IN002026001")
FACE = 100_00  # ₹100 a unit, in paise
TAX_PERCENT = 10


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings, with the background job off."""
    return make_settings(database_url, tmp_path, corporate_actions_interval_seconds=0)


def today() -> date:
    """Today's Indian market date (what trades and the API use)."""
    return trade_date()


def settles_today() -> date:
    """When a T+1 trade done today settles."""
    return settlement_date(today(), 1, "NSE")


def next_weekday(start: date, weekday: int) -> date:
    """The first `weekday` (Monday 0) on or after `start`."""
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def on_or_after(day: date) -> date:
    """`day` or the first RBI business day after it (by hand, not the analytics' roll)."""
    while not RBI.is_business_day(day):
        day += timedelta(days=1)
    return day


def on_or_before(day: date) -> date:
    """`day` or the last RBI business day before it."""
    while not RBI.is_business_day(day):
        day -= timedelta(days=1)
    return day


def nse_preceding_or_same(day: date) -> date:
    """`day` if an NSE business day, else the last one before it."""
    return NSE.adjust(day, BusinessDayConvention.PRECEDING)


async def corporate_bond(
    client: httpx.AsyncClient, app: FastAPI, due: date, **overrides: Any
) -> Market:
    """A listed 9% annual SEBI bond (₹100 face: 900 paise a unit each year) with a coupon
    due on `due` and maturity two years later."""
    terms: dict[str, Any] = {
        "isin": CORPORATE_ISIN,
        "name": "Test Finance 9% 2028",
        "coupon_rate": "9",
        "coupon_frequency": 1,
        "day_count": "ACT/ACT-SEBI",
        "issue_date": due.replace(year=due.year - 1).isoformat(),
        "maturity_date": due.replace(year=due.year + 2).isoformat(),
        "credit_rating": "AAA",
        **overrides,
    }
    return await list_bond(client, app, **terms)


async def gsec(client: httpx.AsyncClient, app: FastAPI, maturity: date, **overrides: Any) -> Market:
    """A listed 7.26% G-sec (₹100 face, 363 paise a unit each half-year) maturing on
    `maturity`, issued a year before."""
    terms: dict[str, Any] = {
        "isin": GSEC_ISIN,
        "issue_date": maturity.replace(year=maturity.year - 1).isoformat(),
        "maturity_date": maturity.isoformat(),
        **overrides,
    }
    return await list_bond(client, app, **terms)


async def run_job(app: FastAPI, day: date) -> int:
    """Run the corporate-actions job as the scheduler does, on `day`."""
    return await run_due(app.state.database, Policy.from_settings(app.state.settings), day)


async def actions(client: httpx.AsyncClient, market: Market) -> list[dict[str, Any]]:
    """The instrument's corporate actions, by payment date (as its issuer sees them)."""
    response = await client.get(
        "/api/v1/corporate-actions",
        params={"instrument_id": market.id},
        headers=market.issuer.headers,
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def detail(client: httpx.AsyncClient, who: LoggedIn, action_id: str) -> dict[str, Any]:
    """One corporate action with its entitlements and payments."""
    response = await client.get(f"/api/v1/corporate-actions/{action_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def cash(app: FastAPI, user: LoggedIn | None) -> int:
    """Available INR of a user (None: the tax withheld account)."""
    owner = TAX_WITHHELD if user is None else Owner.user(uuid.UUID(user.user_id))
    bucket = Bucket.SYSTEM if user is None else Bucket.AVAILABLE
    async with UnitOfWork(app.state.database, write=False) as uow:
        return await LedgerService(uow.session).balance(AccountKey(owner, "INR", bucket))


async def units(app: FastAPI, market: Market, user: LoggedIn) -> int:
    """Units of the bond the user holds (available and locked)."""
    async with UnitOfWork(app.state.database, write=False) as uow:
        held = dict(await LedgerService(uow.session).holders(market.isin))
    return held.get(uuid.UUID(user.user_id), 0)


def tax_on(interest: int) -> int:
    """Tax withheld at the default rate (exact here: the test amounts are multiples of 10)."""
    assert interest * TAX_PERCENT % 100 == 0
    return interest * TAX_PERCENT // 100
