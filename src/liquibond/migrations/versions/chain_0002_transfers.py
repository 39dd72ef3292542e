"""chain: the indexed Transfer history of tokenized bonds

Revision ID: chain_0002
Revises: chain_0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "chain_0002"
down_revision: str | Sequence[str] | None = "chain_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chain_transfers",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("block_time", UTCDateTime(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("receiver", sa.String(length=42), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["chain_networks.id"],
            name=op.f("fk_chain_transfers_network_id_chain_networks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_transfers")),
    )
    op.create_index(
        "uq_chain_transfers_network_id_tx_hash_log_index",
        "chain_transfers",
        ["network_id", "tx_hash", "log_index"],
        unique=True,
    )
    op.create_index(
        "ix_chain_transfers_network_id_token_block",
        "chain_transfers",
        ["network_id", "token", "block"],
        unique=False,
    )
    op.create_table(
        "chain_transfer_cursors",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["chain_networks.id"],
            name=op.f("fk_chain_transfer_cursors_network_id_chain_networks"),
        ),
        sa.PrimaryKeyConstraint("network_id", "token", name=op.f("pk_chain_transfer_cursors")),
    )


def downgrade() -> None:
    op.drop_table("chain_transfer_cursors")
    op.drop_index("ix_chain_transfers_network_id_token_block", table_name="chain_transfers")
    op.drop_index("uq_chain_transfers_network_id_tx_hash_log_index", table_name="chain_transfers")
    op.drop_table("chain_transfers")
