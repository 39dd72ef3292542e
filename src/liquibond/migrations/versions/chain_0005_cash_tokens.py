"""chain: the cash tokens that carry the cash leg of on-chain settlement

Revision ID: chain_0005
Revises: chain_0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "chain_0005"
down_revision: str | Sequence[str] | None = "chain_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chain_cash_tokens",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("deploy_tx", sa.String(length=66), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["chain_networks.id"],
            name=op.f("fk_chain_cash_tokens_network_id_chain_networks"),
        ),
        sa.ForeignKeyConstraint(
            ["currency"], ["assets.code"], name=op.f("fk_chain_cash_tokens_currency_assets")
        ),
        sa.PrimaryKeyConstraint("network_id", "currency", name=op.f("pk_chain_cash_tokens")),
        sa.UniqueConstraint("address", name=op.f("uq_chain_cash_tokens_address")),
    )


def downgrade() -> None:
    op.drop_table("chain_cash_tokens")
