"""trading: writer leases (one engine process per instrument book, fenced)

Revision ID: trading_0003
Revises: trading_0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "trading_0003"
down_revision: str | Sequence[str] | None = "trading_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trading_leases",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("fence", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("renewed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_trading_leases_instrument_id_instruments"),
        ),
        sa.PrimaryKeyConstraint("instrument_id", name=op.f("pk_trading_leases")),
    )


def downgrade() -> None:
    op.drop_table("trading_leases")
