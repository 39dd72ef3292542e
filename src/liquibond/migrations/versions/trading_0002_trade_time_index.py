"""trading: index trades by instrument and time (candles, ticker)

Revision ID: trading_0002
Revises: trading_0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "trading_0002"
down_revision: str | Sequence[str] | None = "trading_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_trades_instrument_id_created_at", "trades", ["instrument_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_trades_instrument_id_created_at", table_name="trades")
