"""ledger: assets, accounts, journal entries, postings

Revision ID: ledger_0001
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "ledger_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("ledger",)
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger()
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: Demo and settlement assets; bond units are registered when a bond is listed.
SEED_ASSETS = [
    {"code": "INR", "kind": "currency", "scale": 2, "name": "Indian rupee"},
    {"code": "USD", "kind": "currency", "scale": 2, "name": "US dollar"},
    {"code": "USDT", "kind": "token", "scale": 6, "name": "Tether USD"},
    {"code": "BTC", "kind": "crypto", "scale": 8, "name": "Bitcoin"},
    # Held in gwei: wei precision would overflow 64-bit balances and no venue trades it.
    {"code": "ETH", "kind": "crypto", "scale": 9, "name": "Ether"},
]


def upgrade() -> None:
    assets = op.create_table(
        "assets",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.CheckConstraint("scale >= 0 AND scale <= 12", name=op.f("ck_assets_scale_range")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_assets")),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column("owner_key", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("asset_code", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.String(length=24), nullable=False),
        sa.Column("balance", BIGINT, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "is_system OR balance >= 0", name=op.f("ck_ledger_accounts_non_negative_unless_system")
        ),
        sa.ForeignKeyConstraint(
            ["asset_code"], ["assets.code"], name=op.f("fk_ledger_accounts_asset_code_assets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint(
            "owner_key", "asset_code", "bucket", name="uq_ledger_accounts_owner_asset_bucket"
        ),
    )
    op.create_index(op.f("ix_ledger_accounts_user_id"), "ledger_accounts", ["user_id"])
    op.create_table(
        "journal_entries",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("reverses_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_entries_reverses_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("reference", name=op.f("uq_journal_entries_reference")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_journal_entries_reverses_id")),
    )
    op.create_index(op.f("ix_journal_entries_kind"), "journal_entries", ["kind"])
    op.create_table(
        "postings",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("asset_code", sa.String(length=16), nullable=False),
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column("balance_after", BIGINT, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_postings_non_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_postings_account_id_ledger_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["asset_code"], ["assets.code"], name=op.f("fk_postings_asset_code_assets")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_postings_entry_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    op.create_index(op.f("ix_postings_entry_id"), "postings", ["entry_id"])
    op.create_index("ix_postings_account_id_id", "postings", ["account_id", "id"])
    op.bulk_insert(assets, SEED_ASSETS)


def downgrade() -> None:
    op.drop_table("postings")
    op.drop_table("journal_entries")
    op.drop_table("ledger_accounts")
    op.drop_table("assets")
