"""Curve use cases: admins upload par-yield curves; everyone reads them bootstrapped.

A curve's points are par yields at tenors (years from the as-of date) or at maturity dates;
curve time is ACT/365F years from the as-of date, as in the analytics core. The zero curve
is bootstrapped from the stored points whenever it is needed (milliseconds), so it always
comes from the current core.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from liquibond.analytics import (
    AnalyticsError,
    BondArray,
    BondTerms,
    Interpolation,
    InvalidCurve,
    ZeroCurve,
    bootstrap_par_curve,
    cashflows,
    fit_nelson_siegel_svensson,
)
from liquibond.identity.service import Principal
from liquibond.platform.audit import record_audit
from liquibond.platform.db import utcnow
from liquibond.platform.errors import not_found
from liquibond.platform.outbox import record_event
from liquibond.valuation.models import Curve, CurvePoint
from liquibond.valuation.problems import at, reported
from liquibond.valuation.schemas import CurveNode, CurveOut, CurveUpload, NelsonSiegelSvenssonFit

#: Day count of the par bonds a Nelson-Siegel-Svensson curve is fitted to.
PAR_BOND_DAY_COUNT = "ACT/ACT-ICMA"


class _Point(Protocol):
    @property
    def tenor_years(self) -> Decimal | None: ...

    @property
    def maturity_date(self) -> date | None: ...

    @property
    def par_yield(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class NamedCurve:
    """A stored curve's bootstrapped zero curve."""

    name: str
    as_of: date
    zero: ZeroCurve


class CurveService:
    """Curve use cases over one unit of work's session; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upload(self, actor: Principal, name: str, upload: CurveUpload) -> CurveOut:
        """Create or replace a curve; it is bootstrapped first, so only a usable one is kept."""
        points = sorted(upload.points, key=lambda point: _time(upload.as_of, point))
        with reported(at("body.points")):
            zero = _bootstrap(upload.as_of, points, upload.frequency, upload.interpolation)
        curve = await self._session.scalar(select(Curve).where(Curve.name == name))
        if curve is None:
            curve = Curve(name=name)
            self._session.add(curve)
        else:
            await self._session.execute(delete(CurvePoint).where(CurvePoint.curve_id == curve.id))
        curve.as_of = upload.as_of
        curve.interpolation = upload.interpolation.value
        curve.frequency = upload.frequency
        curve.updated_at = utcnow()
        await self._session.flush()
        rows = [
            CurvePoint(
                curve_id=curve.id,
                position=position,
                tenor_years=point.tenor_years,
                maturity_date=point.maturity_date,
                par_yield=point.par_yield,
            )
            for position, point in enumerate(points)
        ]
        self._session.add_all(rows)
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=actor.user_id,
            action="curve.uploaded",
            target=f"curve:{name}",
            payload=upload.model_dump(mode="json"),
        )
        record_event(
            self._session,
            "curve.uploaded.v1",
            {"name": name, "as_of": upload.as_of.isoformat(), "points": len(rows)},
        )
        return _out(curve, rows, zero, None)

    async def get(self, name: str, *, fit: bool) -> CurveOut:
        """A curve with its zero rates and, when asked, a Nelson-Siegel-Svensson fit."""
        curve, points = await self._load(name)
        fitted = await run_in_threadpool(_fit, curve, points) if fit else None
        return _out(curve, points, _zero_curve(curve, points), fitted)

    async def zero_curve(self, name: str) -> NamedCurve:
        """A stored curve's zero curve."""
        curve, points = await self._load(name)
        return NamedCurve(curve.name, curve.as_of, _zero_curve(curve, points))

    async def _load(self, name: str) -> tuple[Curve, list[CurvePoint]]:
        curve = await self._session.scalar(select(Curve).where(Curve.name == name))
        if curve is None:
            raise not_found("curve")
        points = await self._session.scalars(
            select(CurvePoint).where(CurvePoint.curve_id == curve.id).order_by(CurvePoint.position)
        )
        return curve, list(points)


def _time(as_of: date, point: _Point) -> float:
    """A point's curve time: its tenor, or ACT/365F years to its maturity date."""
    if point.tenor_years is not None:
        return float(point.tenor_years)
    assert point.maturity_date is not None  # one of the two, by validation and constraint
    return (point.maturity_date - as_of).days / 365


def _bootstrap(
    as_of: date, points: Sequence[_Point], frequency: int, interpolation: Interpolation
) -> ZeroCurve:
    times = [_time(as_of, point) for point in points]
    yields = [float(point.par_yield) / 100 for point in points]
    try:
        return bootstrap_par_curve(as_of, times, yields, frequency, interpolation)
    except AnalyticsError:
        raise
    except ValueError as exc:  # the core's root finder found no zero rate in its bracket
        raise InvalidCurve("no zero curve reprices these par yields", field="tenors") from exc


def _zero_curve(curve: Curve, points: Sequence[CurvePoint]) -> ZeroCurve:
    return _bootstrap(curve.as_of, points, curve.frequency, Interpolation(curve.interpolation))


def _fit(curve: Curve, points: Sequence[CurvePoint]) -> NelsonSiegelSvenssonFit:
    """Svensson curve through par bonds (priced at 100) at the curve's points."""
    times = np.array([_time(curve.as_of, point) for point in points])
    with reported(at("query.nelson_siegel_svensson")):
        bonds = [
            BondTerms(
                curve.as_of,
                curve.as_of + timedelta(days=max(1, round(time * 365))),
                point.par_yield / 100,
                curve.frequency,
                PAR_BOND_DAY_COUNT,
            )
            for time, point in zip(times.tolist(), points, strict=True)
        ]
        flows = cashflows(BondArray.of(bonds), curve.as_of)
        fitted = fit_nelson_siegel_svensson(flows, np.full(len(bonds), 100.0), curve.as_of)
    return NelsonSiegelSvenssonFit(
        beta0=fitted.beta0 * 100,
        beta1=fitted.beta1 * 100,
        beta2=fitted.beta2 * 100,
        beta3=fitted.beta3 * 100,
        tau1=fitted.tau1,
        tau2=fitted.tau2,
        zero_rates=(fitted.zero_rate(times) * 100).tolist(),
    )


def _out(
    curve: Curve,
    points: Sequence[CurvePoint],
    zero: ZeroCurve,
    fitted: NelsonSiegelSvenssonFit | None,
) -> CurveOut:
    nodes = [
        CurveNode(
            tenor_years=point.tenor_years,
            maturity_date=point.maturity_date,
            par_yield=point.par_yield,
            time_years=time,
            zero_rate=rate * 100,
            discount_factor=discount,
        )
        for point, time, rate, discount in zip(
            points,
            zero.times.tolist(),
            zero.rates.tolist(),
            zero.discount(zero.times).tolist(),
            strict=True,
        )
    ]
    return CurveOut(
        name=curve.name,
        as_of=curve.as_of,
        interpolation=Interpolation(curve.interpolation),
        frequency=curve.frequency,
        updated_at=curve.updated_at,
        nodes=nodes,
        nelson_siegel_svensson=fitted,
    )
