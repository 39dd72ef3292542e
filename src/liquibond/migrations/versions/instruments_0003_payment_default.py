"""instruments: the payment default flag (an issuer failed to pay a coupon or redemption)

Revision ID: instruments_0003
Revises: instruments_0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "instruments_0003"
down_revision: str | Sequence[str] | None = "instruments_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instruments") as batch:
        batch.add_column(sa.Column("payment_default_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("payment_default_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("instruments") as batch:
        batch.drop_column("payment_default_reason")
        batch.drop_column("payment_default_at")
