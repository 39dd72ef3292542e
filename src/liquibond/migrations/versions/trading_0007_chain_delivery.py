"""trading: trades whose units deliver on chain (a tokenized bond's)

Revision ID: trading_0007
Revises: trading_0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "trading_0007"
down_revision: str | Sequence[str] | None = "trading_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "trades",
        sa.Column("settles_on_chain", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("trades") as batch:
        batch.drop_column("settles_on_chain")
