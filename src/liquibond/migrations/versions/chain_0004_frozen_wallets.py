"""chain: wallets frozen when their owner's KYC is revoked; token supply following the ledger

Revision ID: chain_0004
Revises: chain_0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from liquibond.platform.db import UTCDateTime

revision: str = "chain_0004"
down_revision: str | Sequence[str] | None = "chain_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chain_wallets") as batch:
        batch.add_column(sa.Column("frozen_at", UTCDateTime(), nullable=True))
    op.create_table(
        "chain_investor_freezes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=True),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["chain_networks.id"],
            name=op.f("fk_chain_investor_freezes_network_id_chain_networks"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chain_investor_freezes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_chain_investor_freezes")),
    )
    op.create_index(
        op.f("ix_chain_investor_freezes_status"), "chain_investor_freezes", ["status"]
    )
    op.create_table(
        "chain_supply_changes",
        sa.Column("cause", sa.String(length=100), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("chain_units", sa.BigInteger(), nullable=False),
        sa.Column(
            "deliveries", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("token", sa.String(length=42), nullable=True),
        sa.Column("block", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("applied_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_chain_supply_changes_instrument_id_instruments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_supply_changes")),
        sa.UniqueConstraint("cause", name=op.f("uq_chain_supply_changes_cause")),
    )
    op.create_index(op.f("ix_chain_supply_changes_status"), "chain_supply_changes", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_chain_supply_changes_status"), table_name="chain_supply_changes")
    op.drop_table("chain_supply_changes")
    op.drop_index(op.f("ix_chain_investor_freezes_status"), table_name="chain_investor_freezes")
    op.drop_table("chain_investor_freezes")
    with op.batch_alter_table("chain_wallets") as batch:
        batch.drop_column("frozen_at")
