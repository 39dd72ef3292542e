"""instruments: whether a bond's trades deliver on chain (it was tokenized)

Revision ID: instruments_0004
Revises: instruments_0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "instruments_0004"
down_revision: str | Sequence[str] | None = "instruments_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instruments") as batch:
        batch.add_column(
            sa.Column("settles_on_chain", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("instruments") as batch:
        batch.drop_column("settles_on_chain")
