"""chain: the keystore, the venue's networks, wallets, tokenized bonds, settlements, breaks

Revision ID: chain_0001
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "chain_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("chain",)
depends_on: str | Sequence[str] | None = ("instruments_0001", "trading_0001")

_CUSTODIAL = "custody = 'custodial'"
_OPEN = "resolved_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "chain_keys",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_chain_keys")),
    )
    op.create_index(op.f("ix_chain_keys_purpose"), "chain_keys", ["purpose"], unique=False)
    op.create_table(
        "chain_networks",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("operator", sa.String(length=42), nullable=False),
        sa.Column("registry_address", sa.String(length=42), nullable=False),
        sa.Column("dvp_address", sa.String(length=42), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("wallets", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_networks")),
    )
    op.create_table(
        "chain_wallets",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("custody", sa.String(length=16), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("country", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["chain_networks.id"],
            name=op.f("fk_chain_wallets_network_id_chain_networks"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chain_wallets_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_wallets")),
        sa.UniqueConstraint("address", name=op.f("uq_chain_wallets_address")),
    )
    op.create_index(
        "uq_chain_wallets_one_custodial_per_user",
        "chain_wallets",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text(_CUSTODIAL),
        sqlite_where=sa.text(_CUSTODIAL),
    )
    op.create_table(
        "chain_tokens",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("deploy_tx", sa.String(length=66), nullable=False),
        sa.Column("deploy_block", sa.BigInteger(), nullable=False),
        sa.Column("minted_units", sa.BigInteger(), nullable=False),
        sa.Column("minted_trade_seq", sa.BigInteger(), nullable=False),
        sa.Column("instructed_trade_seq", sa.BigInteger(), nullable=False),
        sa.Column("tokenized_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_chain_tokens_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["chain_networks.id"],
            name=op.f("fk_chain_tokens_network_id_chain_networks"),
        ),
        sa.ForeignKeyConstraint(
            ["tokenized_by"], ["users.id"], name=op.f("fk_chain_tokens_tokenized_by_users")
        ),
        sa.PrimaryKeyConstraint("instrument_id", name=op.f("pk_chain_tokens")),
        sa.UniqueConstraint("address", name=op.f("uq_chain_tokens_address")),
    )
    op.create_table(
        "chain_settlements",
        sa.Column("trade_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("trade_seq", sa.BigInteger(), nullable=False),
        sa.Column("seller_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=66), nullable=True),
        sa.Column("submitted_block", sa.BigInteger(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"], name=op.f("fk_chain_settlements_buyer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_chain_settlements_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["users.id"], name=op.f("fk_chain_settlements_seller_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_chain_settlements_trade_id_trades")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_settlements")),
        sa.UniqueConstraint("trade_id", name=op.f("uq_chain_settlements_trade_id")),
    )
    op.create_index(
        "ix_chain_settlements_status_instrument_id_trade_seq",
        "chain_settlements",
        ["status", "instrument_id", "trade_seq"],
        unique=False,
    )
    op.create_table(
        "chain_breaks",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("ledger_units", sa.BigInteger(), nullable=False),
        sa.Column("chain_units", sa.BigInteger(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_chain_breaks_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chain_breaks_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_breaks")),
    )
    op.create_index(
        "uq_chain_breaks_one_open_per_wallet",
        "chain_breaks",
        ["instrument_id", "wallet"],
        unique=True,
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
    )
    op.create_table(
        "chain_siwe_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chain_siwe_nonces_user_id_users")
        ),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_chain_siwe_nonces")),
    )


def downgrade() -> None:
    op.drop_table("chain_siwe_nonces")
    op.drop_index("uq_chain_breaks_one_open_per_wallet", table_name="chain_breaks")
    op.drop_table("chain_breaks")
    op.drop_index(
        "ix_chain_settlements_status_instrument_id_trade_seq", table_name="chain_settlements"
    )
    op.drop_table("chain_settlements")
    op.drop_table("chain_tokens")
    op.drop_index("uq_chain_wallets_one_custodial_per_user", table_name="chain_wallets")
    op.drop_table("chain_wallets")
    op.drop_table("chain_networks")
    op.drop_index(op.f("ix_chain_keys_purpose"), table_name="chain_keys")
    op.drop_table("chain_keys")
