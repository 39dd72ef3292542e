"""trading: trades agreed off the book (RFQ), numbered and settled by the book's writer

Revision ID: trading_0005
Revises: trading_0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "trading_0005"
down_revision: str | Sequence[str] | None = "trading_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BOOK_TRADES_HAVE_ORDERS = (
    "(venue = 'book') = (buy_order_id IS NOT NULL AND sell_order_id IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("trades") as batch:
        batch.alter_column("buy_order_id", existing_type=sa.Uuid(), nullable=True)
        batch.alter_column("sell_order_id", existing_type=sa.Uuid(), nullable=True)
        batch.add_column(
            sa.Column("venue", sa.String(length=8), nullable=False, server_default="book")
        )
        batch.add_column(sa.Column("venue_ref", sa.Uuid(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_trades_book_trades_have_orders"), _BOOK_TRADES_HAVE_ORDERS
        )


def downgrade() -> None:
    with op.batch_alter_table("trades") as batch:
        batch.drop_constraint(op.f("ck_trades_book_trades_have_orders"), type_="check")
        batch.drop_column("venue_ref")
        batch.drop_column("venue")
        batch.alter_column("sell_order_id", existing_type=sa.Uuid(), nullable=False)
        batch.alter_column("buy_order_id", existing_type=sa.Uuid(), nullable=False)
