"""trading: every order type (market, stops, icebergs, DAY/GTD, yield-priced) and STP mode

Revision ID: trading_0004
Revises: trading_0003, instruments_0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "trading_0004"
down_revision: str | Sequence[str] | None = "trading_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "instruments_0002"

_NULLABLE_INTEGERS = (
    "limit_yield",
    "stop_price",
    "stop_price_ticks",
    "display_quantity",
    "min_quantity",
)


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        for column in _NULLABLE_INTEGERS:
            batch.add_column(sa.Column(column, sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("all_or_none", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("expire_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column(
                "self_trade_prevention",
                sa.String(length=16),
                nullable=False,
                server_default="cancel_newest",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        for column in ("self_trade_prevention", "expire_at", "all_or_none", *_NULLABLE_INTEGERS):
            batch.drop_column(column)
