"""kyc: revocation of a verified investor

Revision ID: kyc_0002
Revises: kyc_0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "kyc_0002"
down_revision: str | Sequence[str] | None = "kyc_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kyc_applications") as batch:
        batch.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("revocation_reason", sa.String(length=500), nullable=True))
        batch.create_foreign_key(
            op.f("fk_kyc_applications_revoked_by_users"), "users", ["revoked_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("kyc_applications") as batch:
        batch.drop_constraint(op.f("fk_kyc_applications_revoked_by_users"), type_="foreignkey")
        batch.drop_column("revocation_reason")
        batch.drop_column("revoked_by")
        batch.drop_column("revoked_at")
