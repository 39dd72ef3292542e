"""Demo data: users for every role, a handful of real Indian bonds, listed, and the two demo
traders that keep their books alive (see :mod:`liquibond.trading.liquidity`), KYC-verified
and given cash and bonds through the ledger; and the demo's market-maker program.

Idempotent: running the demo again finds what it made before.

Two programs trade as the demo's market maker (:data:`MAKER_EMAIL`, one dealer desk): the
in-process liquidity provider quotes its books (and the flow trader crosses them), and
:func:`run_market_maker` runs the `liquibond market-maker` program beside the server, over
its HTTP API and WebSocket like any client, answering the RFQs asked of the maker only
(:data:`DEMO_MARKET_MAKER` has book quoting off, so the two never quote the same book). The
demo bonds have no curve: the program's fair value is the middle of the provider's book. The
hand-operated dealer (:data:`DEALER_EMAIL`) is answered by nobody but a person.

Each start of the demo also opens an auction (:func:`seed_demo`, unless one is under way): a
uniform-price re-issue of :data:`DEMO_AUCTION_ISIN` by the demo issuer, bidding for about
half an hour (never past the end of the market day), settling today; the app's auctions job
closes, clears and settles it on time, and the market-maker program bids in it.

On a chain (the embedded one by default), :data:`DEMO_TOKENIZED_ISIN` is tokenized when the
server starts (:func:`tokenize_demo_bond`): its holders' custodial wallets hold its units.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import httpx
import structlog
from fastapi import UploadFile
from starlette.datastructures import Headers

from liquibond.auctions.lifecycle import Step
from liquibond.auctions.models import AuctionFormat
from liquibond.auctions.runtime import run_due
from liquibond.auctions.schemas import AuctionCreate
from liquibond.auctions.service import AuctionService
from liquibond.chain.service import ChainComponents, tokenize
from liquibond.config import Settings
from liquibond.identity.models import Role
from liquibond.identity.schemas import RegisterRequest
from liquibond.identity.service import Credentials, IdentityService, Principal
from liquibond.instruments.lifecycle import InstrumentAction
from liquibond.instruments.schemas import DayCount, InstrumentCreate, SettlementCycle
from liquibond.instruments.service import InstrumentService
from liquibond.kyc.models import DocumentKind, KycStatus, KycTier
from liquibond.kyc.schemas import KycSubmission
from liquibond.kyc.service import TERMS_VERSION, KycComponents, KycService
from liquibond.ledger.entries import FAUCET, AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.marketmaker.client import ApiError, Config, MarketMaker, RfqFeed, websocket_url
from liquibond.marketmaker.client import Credentials as ApiCredentials
from liquibond.platform.db import Database, utcnow
from liquibond.platform.errors import Conflict
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.liquidity import (
    FLOW_CASH,
    FLOW_EMAIL,
    FLOW_STOCK,
    MAKER_CASH,
    MAKER_EMAIL,
    MAKER_STOCK,
    units_worth,
)
from liquibond.valuation.service import MARKET_TIME

log = structlog.get_logger(__name__)

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - demo data; the demo refuses production
#: The demo's admin (and compliance officer).
ADMIN_EMAIL = "admin@demo.liquibond.dev"

DEMO_USERS = (
    (ADMIN_EMAIL, "Demo Admin", (Role.ADMIN, Role.COMPLIANCE)),
    ("issuer@demo.liquibond.dev", "Demo Issuer (treasury desk)", (Role.ISSUER,)),
    ("investor@demo.liquibond.dev", "Demo Investor", (Role.INVESTOR,)),
)


@dataclass(frozen=True, slots=True)
class DemoTrader:
    """One of the liquidity provider's users (password DEMO_PASSWORD): its KYC PAN, its cash
    and the face value it holds of each demo bond, in paise."""

    email: str
    name: str
    roles: tuple[Role, ...]
    pan: str
    cash: int
    stock: int


#: The dealer people answer RFQs as by hand, in the web app's dealer blotter.
DEALER_EMAIL = "dealer@demo.liquibond.dev"
DEALER_CASH = 2_00_00_000_00  # ₹2 crore
DEALER_STOCK = 50_00_000_00  # ₹50 lakh of face value of each bond

DEMO_TRADERS = (
    DemoTrader(
        MAKER_EMAIL, "Demo Market Maker", (Role.DEALER,), "DEMPM1234K", MAKER_CASH, MAKER_STOCK
    ),
    DemoTrader(
        FLOW_EMAIL, "Demo Flow Trader", (Role.INVESTOR,), "DEMPF1234K", FLOW_CASH, FLOW_STOCK
    ),
    DemoTrader(
        DEALER_EMAIL,
        "Demo Dealer (voice desk)",
        (Role.DEALER,),
        "DEMPD1234K",
        DEALER_CASH,
        DEALER_STOCK,
    ),
)
_SCANNED_PAN = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% demo trader's PAN card\n%%EOF\n"
_DUPLICATE = "ledger.duplicate_reference"

# Real bonds with their real conventions. Government securities (G-secs and state development
# loans): face value ₹100, 30/360, half-yearly coupons, quoted to ₹0.0025 (NDS-OM), settled
# T+1 on RBI business days, in lots of ₹10,000 face (the RBI Retail Direct minimum). Corporate
# and PSU bonds: face value ₹1 lakh, ACT/ACT under SEBI's day-count circular, annual coupons,
# quoted to ₹0.01, T+1, traded in single bonds. Terms from the RBI's list of outstanding
# government securities and the exchanges' listing circulars; issue sizes are the demo's.
DEMO_BONDS = (
    InstrumentCreate(
        isin="IN0020220060",
        name="7.26% GS 2032",
        face_value=100_00,
        coupon_rate=Decimal("7.26"),
        coupon_frequency=2,
        day_count=DayCount.THIRTY_360,
        issue_date=date(2022, 8, 22),
        maturity_date=date(2032, 8, 22),
        issue_size_units=5_000_000,
        min_lot=100,
        lot_increment=100,
        tick_size=Decimal("0.0025"),
        settlement_cycle=SettlementCycle.T1,
        credit_rating="SOV",
        calendar="RBI",
    ),
    InstrumentCreate(
        isin="IN0020220037",
        name="7.38% GS 2027",
        face_value=100_00,
        coupon_rate=Decimal("7.38"),
        coupon_frequency=2,
        day_count=DayCount.THIRTY_360,
        issue_date=date(2022, 6, 20),
        maturity_date=date(2027, 6, 20),
        issue_size_units=5_000_000,
        min_lot=100,
        lot_increment=100,
        tick_size=Decimal("0.0025"),
        settlement_cycle=SettlementCycle.T1,
        credit_rating="SOV",
        calendar="RBI",
    ),
    InstrumentCreate(
        isin="IN2220230014",
        name="7.36% Maharashtra SDL 2028",
        face_value=100_00,
        coupon_rate=Decimal("7.36"),
        coupon_frequency=2,
        day_count=DayCount.THIRTY_360,
        issue_date=date(2023, 4, 12),
        maturity_date=date(2028, 4, 12),
        issue_size_units=2_000_000,
        min_lot=100,
        lot_increment=100,
        tick_size=Decimal("0.0025"),
        settlement_cycle=SettlementCycle.T1,
        credit_rating="SOV",
        calendar="RBI",
    ),
    InstrumentCreate(
        isin="INE134E08NY9",
        name="Power Finance Corporation 7.08% Bonds 2035",
        face_value=1_00_000_00,
        coupon_rate=Decimal("7.08"),
        coupon_frequency=1,
        day_count=DayCount.ACT_ACT_SEBI,
        issue_date=date(2025, 11, 27),
        maturity_date=date(2035, 11, 27),
        issue_size_units=300_000,
        min_lot=1,
        lot_increment=1,
        tick_size=Decimal("0.01"),
        settlement_cycle=SettlementCycle.T1,
        credit_rating="AAA",
        rating_agency="CRISIL, ICRA, CARE",
        calendar="NSE",
    ),
    InstrumentCreate(
        isin="INE296A07TN6",
        name="Bajaj Finance 7.07% NCD 2028",
        face_value=1_00_000_00,
        coupon_rate=Decimal("7.07"),
        coupon_frequency=1,
        day_count=DayCount.ACT_ACT_SEBI,
        issue_date=date(2025, 7, 30),
        maturity_date=date(2028, 9, 21),
        first_coupon_date=date(2026, 9, 21),
        issue_size_units=100_000,
        min_lot=1,
        lot_increment=1,
        tick_size=Decimal("0.01"),
        settlement_cycle=SettlementCycle.T1,
        credit_rating="AAA",
        rating_agency="CRISIL",
        calendar="NSE",
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


#: The demo issuer's cash for coupons and redemptions (paise): ₹1,000 crore.
ISSUER_TREASURY = 10**12

#: The demo's auction: a re-issue of the 7.26% GS 2032, ₹10 crore of face value, bidding for
#: half an hour from the demo's start (but never past the end of the market day).
DEMO_AUCTION_ISIN = "IN0020220060"
#: The demo bond whose units are a permissioned token on the venue's chain.
DEMO_TOKENIZED_ISIN = "INE134E08NY9"
DEMO_AUCTION_OFFERING = 100_000
DEMO_AUCTION_BIDDING = timedelta(minutes=30)
#: Less time than this left in the market day: no auction is opened.
DEMO_AUCTION_SHORTEST = timedelta(minutes=1)
_BUSY = "auction.instrument_busy"


async def seed_demo(settings: Settings, database: Database) -> None:
    """Create the demo users, list the demo bonds, and verify and stock the demo traders
    (each step once)."""
    credentials = Credentials.from_settings(settings)
    accounts = [*DEMO_USERS, *((t.email, t.name, t.roles) for t in DEMO_TRADERS)]
    principals: dict[str, Principal] = {}
    for email, name, roles in accounts:
        async with UnitOfWork(database) as uow:
            identity = IdentityService(uow.session, credentials)
            user_id = await identity.find_user_id(email)
            if user_id is None:
                request = RegisterRequest(email=email, password=DEMO_PASSWORD, display_name=name)
                user_id = (await identity.register(request, roles=roles)).id
                await uow.commit()
            principals[email] = Principal(user_id, frozenset(roles))
    issuer, admin = principals["issuer@demo.liquibond.dev"], principals[ADMIN_EMAIL]
    listed = {bond.isin: await _list(database, issuer, admin, bond) for bond in DEMO_BONDS}
    await _give(
        database,
        f"demo:treasury:{issuer.user_id}",
        AccountKey(FAUCET, "INR", Bucket.SYSTEM),
        AccountKey(Owner.user(issuer.user_id), "INR", Bucket.AVAILABLE),
        ISSUER_TREASURY,
    )
    components = KycComponents.from_settings(settings, provider=None)
    for trader in DEMO_TRADERS:
        user_id = principals[trader.email].user_id
        await _verify(database, components, user_id, admin.user_id, trader.pan)
        await _give(
            database,
            f"demo:cash:{user_id}",
            AccountKey(FAUCET, "INR", Bucket.SYSTEM),
            AccountKey(Owner.user(user_id), "INR", Bucket.AVAILABLE),
            trader.cash,
        )
        for bond in DEMO_BONDS:
            await _give(
                database,
                f"demo:stock:{bond.isin}:{user_id}",
                AccountKey(Owner.user(issuer.user_id), bond.isin, Bucket.AVAILABLE),
                AccountKey(Owner.user(user_id), bond.isin, Bucket.AVAILABLE),
                units_worth(trader.stock, bond.face_value, bond.min_lot, bond.lot_increment),
            )
    await _auction(database, issuer, listed[DEMO_AUCTION_ISIN], utcnow())


async def tokenize_demo_bond(chain: ChainComponents) -> None:
    """Tokenize :data:`DEMO_TOKENIZED_ISIN` as the demo admin, unless it is already."""
    async with UnitOfWork(chain.database, write=False) as uow:
        admin_id = await IdentityService(uow.session, chain.credentials).find_user_id(ADMIN_EMAIL)
        bonds = await InstrumentService(uow.session).find(isins=[DEMO_TOKENIZED_ISIN])
        done = not bonds or await chain.service(uow.session).token(bonds[0].id) is not None
    if admin_id is not None and not done:
        await tokenize(chain, Principal(admin_id, frozenset({Role.ADMIN})), bonds[0].id)


async def _list(
    database: Database, issuer: Principal, admin: Principal, bond: InstrumentCreate
) -> uuid.UUID:
    """Draft, submit and approve a bond unless it exists; listing mints it to the issuer.
    Its id."""
    async with UnitOfWork(database) as uow:
        instruments = InstrumentService(uow.session)
        existing, _ = await instruments.search(
            admin, limit=1, cursor=None, status=None, issuer_id=None, query=bond.isin
        )
        if existing:
            return existing[0].id
        drafted = await instruments.draft(issuer, bond)
        await instruments.act(issuer, drafted.id, InstrumentAction.SUBMIT, None)
        await instruments.act(admin, drafted.id, InstrumentAction.APPROVE, None)
        await uow.commit()
        return drafted.id


async def _auction(
    database: Database, issuer: Principal, instrument_id: uuid.UUID, now: datetime
) -> None:
    """Open the demo's auction now, unless the bond has one under way already or the market
    day is nearly over: a uniform-price re-issue bid in price, closing within
    :data:`DEMO_AUCTION_BIDDING` and settling today. The auctions job runs first, so that an
    earlier demo's auction whose time has passed is closed, cleared and settled, not kept."""
    await run_due(database, now)
    today = now.astimezone(MARKET_TIME).date()
    day_ends = datetime.combine(today + timedelta(days=1), time(0), MARKET_TIME)
    closes = min(now + DEMO_AUCTION_BIDDING, day_ends - timedelta(seconds=1))
    if closes - now < DEMO_AUCTION_SHORTEST:
        log.info("demo.auction_skipped", reason="the market day is nearly over")
        return
    request = AuctionCreate(
        instrument_id=instrument_id,
        format=AuctionFormat.UNIFORM,
        offering=DEMO_AUCTION_OFFERING,
        announce_at=now,
        opens_at=now,
        closes_at=closes,
        settles_on=today,
    )
    async with UnitOfWork(database) as uow:
        auctions = AuctionService(uow.session)
        try:
            auction = await auctions.create(issuer, request, now)
        except Conflict as exc:
            if exc.code != _BUSY:
                raise
            return  # one is under way: the demo's, or one a person started
        await auctions.act(issuer, auction.id, Step.ANNOUNCE, now)
        await auctions.act(issuer, auction.id, Step.OPEN, now)
        await uow.commit()
    log.info("demo.auction_opened", auction_id=str(auction.id), closes_at=closes.isoformat())


async def _verify(
    database: Database,
    components: KycComponents,
    user_id: uuid.UUID,
    reviewer_id: uuid.UUID,
    pan: str,
) -> None:
    """Submit a demo trader's KYC and have the demo compliance officer approve it, unless it
    is verified already."""
    async with UnitOfWork(database) as uow:
        kyc = KycService(uow.session, components)
        if (await kyc.status_of(user_id)).status is KycStatus.VERIFIED:
            return
        submission = KycSubmission(
            pan=pan,
            date_of_birth=date(1990, 1, 1),
            address_line="Demo Trading Desk, Bandra Kurla Complex",
            city="Mumbai",
            state="Maharashtra",
            pincode="400051",
            document_kind=DocumentKind.PAN_CARD,
            document=UploadFile(
                io.BytesIO(_SCANNED_PAN),
                filename="pan.pdf",
                headers=Headers({"content-type": "application/pdf"}),
            ),
            consent=True,
            terms_version=TERMS_VERSION,
        )
        application, _ = await kyc.submit(user_id, submission)
        await kyc.assign(reviewer_id, application.id)
        await kyc.decide(
            reviewer_id,
            application.id,
            KycStatus.VERIFIED,
            reason="Demo trader of the Liquibond demo.",
            tier=KycTier.FULL,
        )
        await uow.commit()


async def _give(
    database: Database, reference: str, source: AccountKey, destination: AccountKey, amount: int
) -> None:
    """Move `amount` once: the entry's reference is unique, so a second run changes nothing."""
    try:
        async with UnitOfWork(database) as uow:
            await LedgerService(uow.session).move(
                "demo_allocation",
                f"Demo trader's {destination.asset}",
                source=source,
                destination=destination,
                amount=amount,
                reference=reference,
            )
            await uow.commit()
    except Conflict as exc:
        if exc.code != _DUPLICATE:
            raise


#: The demo's market-maker program: RFQs and auctions (the liquidity provider quotes the
#: books), a 10 bp spread around the middle of the book, firm for 30 seconds, no last look, at
#: most ₹1 crore of notional an RFQ, one bid of 10,000 units in each auction (sizes and limits
#: in units: 100,000 units is ₹1 crore of a G-sec). It looks for RFQs and auctions every 10
#: seconds besides what its WebSocket pushes at once.
DEMO_MARKET_MAKER = Config(
    size=1,
    max_inventory=100_000,
    spread_bps=Decimal(10),
    interval=10.0,
    prefix="demo-mm",
    books=False,
    rfq=True,
    rfq_valid_seconds=30,
    rfq_max_notional=1_00_00_000_00,
    auctions=True,
    auction_size=10_000,
)
#: How long the program waits before signing in again after its loop failed, doubling while
#: it keeps failing at once (each sign-in counts against the address's login rate limit).
MARKET_MAKER_RESTART_SECONDS = 10.0
MARKET_MAKER_MAX_RESTART_SECONDS = 300.0


async def run_market_maker(
    url: str, stop: asyncio.Event, config: Config = DEMO_MARKET_MAKER
) -> None:
    """Run the market-maker program as the demo's market maker against the server at `url`
    until `stop` is set; a failure (the server not answering, a refused sign-in) is logged
    and the program starts again a little later."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the server logs each request
    credentials = ApiCredentials(email=MAKER_EMAIL, password=DEMO_PASSWORD)
    loop = asyncio.get_running_loop()
    pause = MARKET_MAKER_RESTART_SECONDS
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as http:
        while not stop.is_set():
            maker = MarketMaker(http, credentials, config, rfq_feed=RfqFeed(websocket_url(url)))
            started = loop.time()
            try:
                await maker.run(stop=stop)
            except ApiError as error:
                log.warning("demo.market_maker_failed", code=error.code, detail=error.detail)
            except Exception:
                log.exception("demo.market_maker_failed")
            if loop.time() - started > MARKET_MAKER_MAX_RESTART_SECONDS:
                pause = MARKET_MAKER_RESTART_SECONDS  # it ran a while: not failing at once
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            pause = min(MARKET_MAKER_MAX_RESTART_SECONDS, pause * 2)
