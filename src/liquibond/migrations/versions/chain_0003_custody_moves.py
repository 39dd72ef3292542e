"""chain: token withdrawals to and deposits from linked wallets

Revision ID: chain_0003
Revises: chain_0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "chain_0003"
down_revision: str | Sequence[str] | None = "chain_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chain_withdrawals",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("submitted_block", sa.BigInteger(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_chain_withdrawals_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chain_withdrawals_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_withdrawals")),
    )
    op.create_index(
        op.f("ix_chain_withdrawals_status"), "chain_withdrawals", ["status"], unique=False
    )
    op.create_index(
        "ix_chain_withdrawals_user_id_id", "chain_withdrawals", ["user_id", "id"], unique=False
    )
    op.create_table(
        "chain_deposits",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("credited", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_chain_deposits_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chain_deposits_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_deposits")),
    )
    op.create_index(op.f("ix_chain_deposits_status"), "chain_deposits", ["status"], unique=False)
    op.create_index(
        "ix_chain_deposits_user_id_id", "chain_deposits", ["user_id", "id"], unique=False
    )
    op.create_index(
        "uq_chain_deposits_tx_hash_log_index",
        "chain_deposits",
        ["tx_hash", "log_index"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_chain_deposits_tx_hash_log_index", table_name="chain_deposits")
    op.drop_index("ix_chain_deposits_user_id_id", table_name="chain_deposits")
    op.drop_index(op.f("ix_chain_deposits_status"), table_name="chain_deposits")
    op.drop_table("chain_deposits")
    op.drop_index("ix_chain_withdrawals_user_id_id", table_name="chain_withdrawals")
    op.drop_index(op.f("ix_chain_withdrawals_status"), table_name="chain_withdrawals")
    op.drop_table("chain_withdrawals")
