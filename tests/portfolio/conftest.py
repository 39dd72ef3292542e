"""Portfolio tests: bonds, traders and a clock that can be set back to trade in the past."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from liquibond.valuation import service as valuation_service
from tests.helpers import LoggedIn
from tests.trading.conftest import Market, order

Clock = Callable[[datetime | None], None]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set the market's clock (trade dates) to a moment, or back to now with None."""
    real = valuation_service.utcnow

    def set_to(moment: datetime | None) -> None:
        if moment is None:
            monkeypatch.setattr(valuation_service, "utcnow", real)
        else:
            monkeypatch.setattr(valuation_service, "utcnow", lambda: moment.astimezone(UTC))

    return set_to


async def trade(
    client: httpx.AsyncClient,
    market: Market,
    maker: LoggedIn,
    taker: LoggedIn,
    taker_side: str,
    price: str,
    quantity: int,
) -> dict[str, Any]:
    """`maker` rests an order, `taker` takes it whole; the taker's fill."""
    maker_side = "sell" if taker_side == "buy" else "buy"
    rested = await order(client, maker, market, maker_side, price, quantity)
    assert rested.status_code == 201 and rested.json()["status"] == "new", rested.text
    taken = await order(client, taker, market, taker_side, price, quantity)
    assert taken.status_code == 201 and taken.json()["status"] == "filled", taken.text
    fills = (await client.get("/api/v1/trades", headers=taker.headers)).json()["items"]
    fill: dict[str, Any] = fills[0]
    assert fill["order_id"] == taken.json()["id"]
    return fill


async def get(client: httpx.AsyncClient, user: LoggedIn, path: str, **params: Any) -> Any:
    """GET a JSON resource as `user`, expecting 200."""
    response = await client.get(f"/api/v1{path}", headers=user.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def pdf_text(content: bytes) -> tuple[int, str]:
    """The page count and the text of a PDF (which must parse)."""
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)
