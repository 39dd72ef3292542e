"""Trading API shapes. Prices are clean per 100 of face value; quantities are bond units."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from liquibond.platform.schemas import RequestModel, ResponseModel
from liquibond.trading.models import OrderKind, OrderSide, OrderState, OrderTif


class OrderCreate(RequestModel):
    """A new order. The price must sit on the instrument's tick, the quantity on its lots."""

    instrument_id: uuid.UUID
    client_order_id: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="Yours, unique"
    )
    side: OrderSide
    order_type: OrderKind = OrderKind.LIMIT
    time_in_force: OrderTif = OrderTif.GTC
    price: Decimal = Field(gt=0, lt=10_000, decimal_places=6, description="Clean price per 100")
    quantity: int = Field(gt=0, le=10**12, description="Units of the bond")
    post_only: bool = False


class OrderOut(ResponseModel):
    """An order and how much of it traded."""

    id: uuid.UUID
    instrument_id: uuid.UUID
    client_order_id: str
    side: OrderSide
    order_type: OrderKind
    time_in_force: OrderTif
    post_only: bool
    price: Decimal
    quantity: int
    filled_quantity: int
    cancelled_quantity: int
    leaves_quantity: int
    status: OrderState
    reject_reason: str | None
    reserved_asset: str
    reserved: int
    created_at: datetime
    updated_at: datetime | None


class TradeOut(ResponseModel):
    """One of my fills, from my side. Amounts in minor units of `currency`."""

    id: uuid.UUID
    instrument_id: uuid.UUID
    order_id: uuid.UUID
    side: OrderSide
    liquidity: str  # "maker" or "taker"
    price: Decimal
    quantity: int
    currency: str
    clean_amount: int
    accrued_interest: int
    dirty_amount: int
    fee: int
    trade_date: date
    settlement_date: date
    created_at: datetime
