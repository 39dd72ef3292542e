"""Valuation HTTP API: instrument analytics and cash flows, the bond calculator, curves."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from liquibond.identity.deps import optional_principal, require_role
from liquibond.identity.models import Role
from liquibond.identity.service import Principal
from liquibond.platform.routing import Session, TransactionalRoute
from liquibond.valuation.curves import CurveService
from liquibond.valuation.schemas import (
    CURVE_NAME_PATTERN,
    AnalyticsQuery,
    BondBatch,
    BondBatchResult,
    CashflowSchedule,
    CurveOut,
    CurveUpload,
    InstrumentAnalytics,
)
from liquibond.valuation.service import ValuationService, value_bonds

instruments = APIRouter(
    prefix="/api/v1/instruments", tags=["analytics"], route_class=TransactionalRoute
)
# No unit of work: the calculator touches no table, and a POST's unit of work would hold
# SQLite's write lock while the bonds are valued.
calculator = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
curves = APIRouter(prefix="/api/v1/curves", tags=["curves"], route_class=TransactionalRoute)
admin = APIRouter(prefix="/api/v1/admin/curves", tags=["admin"], route_class=TransactionalRoute)

Viewer = Annotated[Principal | None, Depends(optional_principal)]
AdminPrincipal = Annotated[Principal, Depends(require_role(Role.ADMIN))]
CurveName = Annotated[str, Path(pattern=CURVE_NAME_PATTERN)]


@instruments.get("/{instrument_id}/analytics")
async def instrument_analytics(
    instrument_id: uuid.UUID,
    query: Annotated[AnalyticsQuery, Query()],
    viewer: Viewer,
    session: Session,
) -> InstrumentAnalytics:
    """Accrued interest, prices, yield, durations, convexity and DV01 at a settlement date.

    Give exactly one of `price` (clean, per 100), `yield` (percent) or `spread_bp` over
    `curve`; with `curve` and a price or yield, the z-spread over the curve is added.
    """
    return await ValuationService(session).analytics(viewer, instrument_id, query)


@instruments.get("/{instrument_id}/cashflows")
async def instrument_cashflows(
    instrument_id: uuid.UUID, viewer: Viewer, session: Session
) -> CashflowSchedule:
    """Every coupon and the redemption: accrual period, scheduled and payment dates, amounts."""
    return await ValuationService(session).cashflows(viewer, instrument_id)


@calculator.post("/bonds")
async def value_bond_batch(body: BondBatch) -> BondBatchResult:
    """Prices, yields and risk of 1 to 10,000 ad-hoc bonds, in input order.

    Any bond that cannot be valued makes the whole request a 422 problem naming it
    (`body.bonds.<index>.<field>`).
    """
    return await value_bonds(body)


@curves.get("/{name}")
async def get_curve(
    name: CurveName, session: Session, nelson_siegel_svensson: bool = False
) -> CurveOut:
    """A curve's par yields with its bootstrapped zero rates and discount factors."""
    return await CurveService(session).get(name, fit=nelson_siegel_svensson)


@admin.put("/{name}")
async def upload_curve(
    name: CurveName, body: CurveUpload, principal: AdminPrincipal, session: Session
) -> CurveOut:
    """Create or replace a curve (admins); it is bootstrapped before it is stored."""
    return await CurveService(session).upload(principal, name, body)


routers = [instruments, calculator, curves, admin]
