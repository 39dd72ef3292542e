"""payments

Revision ID: payments_0001
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "payments_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("payments",)
depends_on: str | Sequence[str] | None = "ledger_0001"


def upgrade() -> None:
    op.create_table(
        "sandbox_rail_transactions",
        sa.Column("rail_reference", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("rail_reference", name=op.f("pk_sandbox_rail_transactions")),
    )
    op.create_table(
        "bank_accounts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("holder_name", sa.String(length=100), nullable=False),
        sa.Column("ifsc", sa.String(length=11), nullable=False),
        sa.Column("account_number", sa.LargeBinary(), nullable=False),
        sa.Column("account_last4", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name_at_bank", sa.String(length=100), nullable=True),
        sa.Column("failure_reason", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bank_accounts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_accounts")),
    )
    with op.batch_alter_table("bank_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_accounts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("asset", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rail_reference", sa.String(length=64), nullable=True),
        sa.Column("bank_account_id", sa.Uuid(), nullable=True),
        sa.Column("payer_vpa", sa.String(length=100), nullable=True),
        sa.Column("failure_reason", sa.String(length=200), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_positive_amount")),
        sa.ForeignKeyConstraint(["asset"], ["assets.code"], name=op.f("fk_payments_asset_assets")),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_payments_bank_account_id_bank_accounts"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_payments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("rail_reference", name=op.f("uq_payments_rail_reference")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_user_id"))
        batch_op.drop_index(batch_op.f("ix_payments_status"))

    op.drop_table("payments")
    with op.batch_alter_table("bank_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_accounts_user_id"))

    op.drop_table("bank_accounts")
    op.drop_table("sandbox_rail_transactions")
