"""kyc: applications (PII encrypted), documents, consents

Revision ID: kyc_0001
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from liquibond.platform.db import UTCDateTime

revision: str = "kyc_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("kyc",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kyc_applications",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tier", sa.String(length=10), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("pan_digest", sa.String(length=64), nullable=False),
        sa.Column("pan_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("date_of_birth_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("address_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("provider_outcome", sa.String(length=20), nullable=True),
        sa.Column(
            "provider_checks",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_kyc_applications_assignee_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_kyc_applications_decided_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_kyc_applications_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_applications")),
        sa.UniqueConstraint("pan_digest", name=op.f("uq_kyc_applications_pan_digest")),
        sa.UniqueConstraint("user_id", name=op.f("uq_kyc_applications_user_id")),
    )
    with op.batch_alter_table("kyc_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kyc_applications_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_kyc_applications_status"), ["status"], unique=False
        )

    op.create_table(
        "kyc_consents",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column("terms_version", sa.String(length=20), nullable=False),
        sa.Column("consented_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["kyc_applications.id"],
            name=op.f("fk_kyc_consents_application_id_kyc_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_kyc_consents_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_consents")),
    )
    with op.batch_alter_table("kyc_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kyc_consents_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "kyc_documents",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["kyc_applications.id"],
            name=op.f("fk_kyc_documents_application_id_kyc_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_kyc_documents_storage_key")),
    )
    with op.batch_alter_table("kyc_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kyc_documents_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("kyc_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kyc_documents_application_id"))

    op.drop_table("kyc_documents")
    with op.batch_alter_table("kyc_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kyc_consents_application_id"))

    op.drop_table("kyc_consents")
    with op.batch_alter_table("kyc_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kyc_applications_status"))
        batch_op.drop_index(batch_op.f("ix_kyc_applications_assignee_id"))

    op.drop_table("kyc_applications")
