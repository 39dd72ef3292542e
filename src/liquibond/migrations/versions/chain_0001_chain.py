"""chain: the keystore, the venue's networks, wallets and tokenized bonds

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
depends_on: str | Sequence[str] | None = ("instruments_0001",)

_CUSTODIAL = "custody = 'custodial'"


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


def downgrade() -> None:
    op.drop_table("chain_tokens")
    op.drop_index("uq_chain_wallets_one_custodial_per_user", table_name="chain_wallets")
    op.drop_table("chain_wallets")
    op.drop_table("chain_networks")
    op.drop_index(op.f("ix_chain_keys_purpose"), table_name="chain_keys")
    op.drop_table("chain_keys")
