"""Valuation tables: named par-yield curves and their points."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.db import Base, CreatedAt, ExactDecimal, IdPrimaryKey, utcnow

TENOR_SCALE = 6  # years with six decimals
YIELD_SCALE = 6  # percent with six decimals


class Curve(IdPrimaryKey, CreatedAt, Base):
    """A par-yield curve as last uploaded; its zero curve is bootstrapped from the points."""

    __tablename__ = "curves"

    name: Mapped[str] = mapped_column(String(64), unique=True)
    as_of: Mapped[date]
    interpolation: Mapped[str] = mapped_column(String(32))
    frequency: Mapped[int] = mapped_column(Integer)  # coupons a year of the par bonds
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CurvePoint(Base):
    """One par yield at a tenor (years from the as-of date) or at a maturity date."""

    __tablename__ = "curve_points"

    curve_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("curves.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenor_years: Mapped[Decimal | None] = mapped_column(ExactDecimal(TENOR_SCALE))
    maturity_date: Mapped[date | None]
    par_yield: Mapped[Decimal] = mapped_column(ExactDecimal(YIELD_SCALE))  # percent

    __table_args__ = (
        CheckConstraint(
            "(tenor_years IS NULL) <> (maturity_date IS NULL)", name="tenor_or_maturity"
        ),
    )
