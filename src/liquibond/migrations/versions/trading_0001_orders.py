"""trading: orders, trades, book states

Revision ID: trading_0001
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "trading_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("trading",)
depends_on: str | Sequence[str] | None = ("instruments_0001", "ledger_0001")


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("book_order_id", sa.BigInteger(), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("time_in_force", sa.String(length=8), nullable=False),
        sa.Column("post_only", sa.Boolean(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("price_ticks", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("filled_quantity", sa.BigInteger(), nullable=False),
        sa.Column("cancelled_quantity", sa.BigInteger(), nullable=False),
        sa.Column("leaves_quantity", sa.BigInteger(), nullable=False),
        sa.Column("shown_quantity", sa.BigInteger(), nullable=False),
        sa.Column("priority", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reject_reason", sa.String(length=40), nullable=True),
        sa.Column("reserved_asset", sa.String(length=16), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "filled_quantity + cancelled_quantity + leaves_quantity = quantity",
            name=op.f("ck_orders_quantities_add_up"),
        ),
        sa.CheckConstraint(
            "quantity > 0 AND price_ticks > 0", name=op.f("ck_orders_positive_terms")
        ),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_orders_non_negative_reservation")),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instruments.id"], name=op.f("fk_orders_instrument_id_instruments")
        ),
        sa.ForeignKeyConstraint(
            ["reserved_asset"], ["assets.code"], name=op.f("fk_orders_reserved_asset_assets")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_orders_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "instrument_id", "book_order_id", name="uq_orders_instrument_book_order"
        ),
        sa.UniqueConstraint("user_id", "client_order_id", name="uq_orders_user_client_order_id"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_instrument_id_status", ["instrument_id", "status"], unique=False
        )
        batch_op.create_index("ix_orders_user_id_id", ["user_id", "id"], unique=False)

    op.create_table(
        "trading_books",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("trade_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_book_order_id", sa.BigInteger(), nullable=False),
        sa.Column("last_price_ticks", sa.BigInteger(), nullable=True),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_trading_books_instrument_id_instruments"),
        ),
        sa.PrimaryKeyConstraint("instrument_id", name=op.f("pk_trading_books")),
    )
    op.create_table(
        "trades",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("trade_seq", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("price_ticks", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("aggressor_side", sa.String(length=4), nullable=False),
        sa.Column("buy_order_id", sa.Uuid(), nullable=False),
        sa.Column("sell_order_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("seller_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("clean_amount", sa.BigInteger(), nullable=False),
        sa.Column("accrued_interest", sa.BigInteger(), nullable=False),
        sa.Column("dirty_amount", sa.BigInteger(), nullable=False),
        sa.Column("buyer_fee", sa.BigInteger(), nullable=False),
        sa.Column("seller_fee", sa.BigInteger(), nullable=False),
        sa.Column("trade_date", sa.Date(), nullable=False),
        sa.Column("settlement_date", sa.Date(), nullable=False),
        sa.Column("journal_entry_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_trades_positive_quantity")),
        sa.ForeignKeyConstraint(
            ["buy_order_id"], ["orders.id"], name=op.f("fk_trades_buy_order_id_orders")
        ),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], name=op.f("fk_trades_buyer_id_users")),
        sa.ForeignKeyConstraint(
            ["currency"], ["assets.code"], name=op.f("fk_trades_currency_assets")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instruments.id"], name=op.f("fk_trades_instrument_id_instruments")
        ),
        sa.ForeignKeyConstraint(
            ["journal_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_trades_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["sell_order_id"], ["orders.id"], name=op.f("fk_trades_sell_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["users.id"], name=op.f("fk_trades_seller_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
        sa.UniqueConstraint("instrument_id", "trade_seq", name="uq_trades_instrument_trade_seq"),
    )
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trades_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trades_seller_id"), ["seller_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trades_seller_id"))
        batch_op.drop_index(batch_op.f("ix_trades_buyer_id"))

    op.drop_table("trades")
    op.drop_table("trading_books")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_user_id_id")
        batch_op.drop_index("ix_orders_instrument_id_status")

    op.drop_table("orders")
