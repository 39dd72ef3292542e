"""received webhooks (replay protection for inbound webhooks)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "received_webhooks",
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("webhook_id", sa.String(length=255), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "webhook_id", name=op.f("pk_received_webhooks")),
    )


def downgrade() -> None:
    op.drop_table("received_webhooks")
