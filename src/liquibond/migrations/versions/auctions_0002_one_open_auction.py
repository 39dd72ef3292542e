"""auctions: at most one auction under way per instrument, enforced by the database

Revision ID: auctions_0002
Revises: auctions_0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "auctions_0002"
down_revision: str | Sequence[str] | None = "auctions_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNDER_WAY = "status IN ('draft', 'announced', 'bidding', 'closed', 'cleared')"


def upgrade() -> None:
    op.create_index(
        "uq_auctions_instrument_open",
        "auctions",
        ["instrument_id"],
        unique=True,
        postgresql_where=sa.text(_UNDER_WAY),
        sqlite_where=sa.text(_UNDER_WAY),
    )


def downgrade() -> None:
    op.drop_index("uq_auctions_instrument_open", table_name="auctions")
