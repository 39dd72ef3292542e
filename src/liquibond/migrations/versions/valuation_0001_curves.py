"""valuation: curves

Revision ID: valuation_0001
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "valuation_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("valuation",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "curves",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("interpolation", sa.String(length=32), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curves")),
        sa.UniqueConstraint("name", name=op.f("uq_curves_name")),
    )
    op.create_table(
        "curve_points",
        sa.Column("curve_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tenor_years", sa.BigInteger(), nullable=True),
        sa.Column("maturity_date", sa.Date(), nullable=True),
        sa.Column("par_yield", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(tenor_years IS NULL) <> (maturity_date IS NULL)",
            name=op.f("ck_curve_points_tenor_or_maturity"),
        ),
        sa.ForeignKeyConstraint(
            ["curve_id"], ["curves.id"], name=op.f("fk_curve_points_curve_id_curves")
        ),
        sa.PrimaryKeyConstraint("curve_id", "position", name=op.f("pk_curve_points")),
    )


def downgrade() -> None:
    op.drop_table("curve_points")
    op.drop_table("curves")
