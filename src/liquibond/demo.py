"""Demo data: users for every role and a handful of real Indian bonds, listed.

Idempotent: running the demo again finds what it made before.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from liquibond.config import Settings
from liquibond.identity.models import Role
from liquibond.identity.schemas import RegisterRequest
from liquibond.identity.service import Credentials, IdentityService, Principal
from liquibond.instruments.lifecycle import InstrumentAction
from liquibond.instruments.schemas import DayCount, InstrumentCreate, SettlementCycle
from liquibond.instruments.service import InstrumentService
from liquibond.platform.db import Database
from liquibond.platform.uow import UnitOfWork

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - demo data; the demo refuses production
DEMO_USERS = (
    ("admin@demo.liquibond.dev", "Demo Admin", (Role.ADMIN, Role.COMPLIANCE)),
    ("issuer@demo.liquibond.dev", "Demo Issuer (treasury desk)", (Role.ISSUER,)),
    ("investor@demo.liquibond.dev", "Demo Investor", (Role.INVESTOR,)),
)

# Real bonds with their real conventions: G-secs 30/360 semi-annual, corporates ACT/ACT (SEBI).
DEMO_BONDS = (
    InstrumentCreate(
        isin="IN0020220102",
        name="7.26% GS 2032",
        face_value=100_00,
        coupon_rate=Decimal("7.26"),
        coupon_frequency=2,
        day_count=DayCount.THIRTY_360,
        issue_date=date(2022, 1, 6),
        maturity_date=date(2032, 1, 6),
        issue_size_units=5_000_000,
        min_lot=100,
        lot_increment=100,
        tick_size=Decimal("0.0025"),
        settlement_cycle=SettlementCycle.T1,
        credit_rating="SOV",
        calendar="RBI",
    ),
    InstrumentCreate(
        isin="INE002A08534",
        name="Reliance Industries 7.05% NCD 2027",
        face_value=1_00_000_00,
        coupon_rate=Decimal("7.05"),
        coupon_frequency=1,
        day_count=DayCount.ACT_ACT_SEBI,
        issue_date=date(2022, 9, 13),
        maturity_date=date(2027, 9, 13),
        issue_size_units=50_000,
        min_lot=1,
        lot_increment=1,
        tick_size=Decimal("0.01"),
        settlement_cycle=SettlementCycle.T1,
        credit_rating="AAA",
        rating_agency="CRISIL",
        calendar="NSE",
    ),
    InstrumentCreate(
        isin="INE062A08264",
        name="State Bank of India 7.54% Basel III Tier 2 2038",
        face_value=1_00_000_00,
        coupon_rate=Decimal("7.54"),
        coupon_frequency=1,
        day_count=DayCount.ACT_ACT_SEBI,
        issue_date=date(2023, 8, 1),
        maturity_date=date(2038, 8, 1),
        issue_size_units=100_000,
        min_lot=1,
        lot_increment=1,
        tick_size=Decimal("0.01"),
        settlement_cycle=SettlementCycle.T1,
        credit_rating="AAA",
        rating_agency="CARE",
        calendar="NSE",
    ),
)


async def seed_demo(settings: Settings, database: Database) -> None:
    """Create the demo users and list the demo bonds (once)."""
    credentials = Credentials.from_settings(settings)
    principals: dict[str, Principal] = {}
    for email, name, roles in DEMO_USERS:
        async with UnitOfWork(database) as uow:
            identity = IdentityService(uow.session, credentials)
            user_id = await identity.find_user_id(email)
            if user_id is None:
                request = RegisterRequest(email=email, password=DEMO_PASSWORD, display_name=name)
                user_id = (await identity.register(request, roles=roles)).id
                await uow.commit()
            principals[email] = Principal(user_id, frozenset(roles))
    issuer, admin = principals["issuer@demo.liquibond.dev"], principals["admin@demo.liquibond.dev"]
    for bond in DEMO_BONDS:
        async with UnitOfWork(database) as uow:
            instruments = InstrumentService(uow.session)
            existing, _ = await instruments.search(
                admin, limit=1, cursor=None, status=None, issuer_id=None, query=bond.isin
            )
            if existing:
                continue
            drafted = await instruments.draft(issuer, bond)
            await instruments.act(issuer, drafted.id, InstrumentAction.SUBMIT, None)
            await instruments.act(admin, drafted.id, InstrumentAction.APPROVE, None)
            await uow.commit()
