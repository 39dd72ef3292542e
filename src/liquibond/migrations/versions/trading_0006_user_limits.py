"""trading: per-user pre-trade limits, overriding the venue's

Revision ID: trading_0006
Revises: trading_0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from liquibond.platform.db import UTCDateTime

revision: str = "trading_0006"
down_revision: str | Sequence[str] | None = "trading_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trading_user_limits",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("max_order_notional", sa.BigInteger(), nullable=True),
        sa.Column("max_position_percent", sa.BigInteger(), nullable=True),
        sa.Column("max_issuer_exposure", sa.BigInteger(), nullable=True),
        sa.Column(
            "rating_limits", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_trading_user_limits_updated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_trading_user_limits_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_trading_user_limits")),
    )


def downgrade() -> None:
    op.drop_table("trading_user_limits")
