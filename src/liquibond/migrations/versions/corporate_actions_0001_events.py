"""corporate_actions: events (coupons, redemptions, calls) and holders' entitlements

Revision ID: corporate_actions_0001
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "corporate_actions_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("corporate_actions",)
depends_on: str | Sequence[str] | None = ("instruments_0003", "ledger_0001")


def upgrade() -> None:
    op.create_table(
        "corporate_actions",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("isin", sa.String(length=12), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("record_date", sa.Date(), nullable=False),
        sa.Column("ex_date", sa.Date(), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("amount_per_unit", sa.BigInteger(), nullable=False),
        sa.Column("call_price", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("holders", sa.BigInteger(), nullable=True),
        sa.Column("units", sa.BigInteger(), nullable=True),
        sa.Column("gross", sa.BigInteger(), nullable=True),
        sa.Column("tax", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'call') = (call_price IS NOT NULL)",
            name=op.f("ck_corporate_actions_call_has_price"),
        ),
        sa.CheckConstraint(
            "amount_per_unit >= 0", name=op.f("ck_corporate_actions_non_negative_amount")
        ),
        sa.CheckConstraint(
            "record_date < payment_date AND ex_date = record_date",
            name=op.f("ck_corporate_actions_dates_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_corporate_actions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["currency"], ["assets.code"], name=op.f("fk_corporate_actions_currency_assets")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_corporate_actions_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["users.id"], name=op.f("fk_corporate_actions_issuer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corporate_actions")),
        sa.UniqueConstraint("instrument_id", "kind", "due_date", name="uq_corporate_actions_due"),
    )
    op.create_index("ix_corporate_actions_issuer_id", "corporate_actions", ["issuer_id"])
    op.create_index(
        "ix_corporate_actions_status_payment_date", "corporate_actions", ["status", "payment_date"]
    )
    op.create_index(
        "ix_corporate_actions_status_record_date", "corporate_actions", ["status", "record_date"]
    )
    op.create_table(
        "corporate_action_entitlements",
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(entry_id IS NULL) = (paid_at IS NULL)",
            name=op.f("ck_corporate_action_entitlements_paid_with_entry"),
        ),
        sa.CheckConstraint(
            "gross = interest + principal AND net = gross - tax AND tax >= 0 AND net >= 0",
            name=op.f("ck_corporate_action_entitlements_amounts_add_up"),
        ),
        sa.CheckConstraint(
            "units > 0", name=op.f("ck_corporate_action_entitlements_positive_units")
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["corporate_actions.id"],
            name=op.f("fk_corporate_action_entitlements_action_id_corporate_actions"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_corporate_action_entitlements_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_corporate_action_entitlements_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corporate_action_entitlements")),
        sa.UniqueConstraint(
            "action_id", "user_id", name="uq_corporate_action_entitlements_holder"
        ),
    )
    op.create_index(
        "ix_corporate_action_entitlements_user_id", "corporate_action_entitlements", ["user_id"]
    )


def downgrade() -> None:
    op.drop_table("corporate_action_entitlements")
    op.drop_table("corporate_actions")
