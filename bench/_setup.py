"""Shared by bench/durable.py and bench/http_api.py: a scratch database, a listed bond, funded
traders, the order flow both benchmarks send, how they send it, and the figures.

Not a benchmark itself (``make bench`` skips ``bench/_*.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from liquibond.config import Settings
from liquibond.identity.credentials import Passwords
from liquibond.identity.models import Role
from liquibond.identity.schemas import RegisterRequest
from liquibond.identity.service import Credentials, IdentityService, Principal
from liquibond.instruments.lifecycle import InstrumentAction
from liquibond.instruments.schemas import DayCount, InstrumentCreate, SettlementCycle
from liquibond.instruments.service import InstrumentService
from liquibond.ledger.entries import RAIL_IN_TRANSIT, AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform import migrations
from liquibond.platform.db import Database, create_engine
from liquibond.platform.observability import configure_logging
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.models import OrderSide

#: The environment variable that names a PostgreSQL server (the tests use the same one).
POSTGRES_ENV = "LIQUIBOND_TEST_POSTGRES_URL"
PASSWORD = "a long benchmark password"  # scratch users of a scratch database
#: Cheap Argon2 parameters: setting up users is not what is measured.
FAST_PASSWORDS = Passwords(time_cost=1, memory_kib=1024, parallelism=1)

TICK = Decimal("0.0025")
#: A 7.26% G-sec (tick 0.0025, lots of 100 units) with an issue large enough to fund every
#: trader, traded round the clock.
BOND = InstrumentCreate(
    isin="IN0020220102",
    name="7.26% GS 2032",
    face_value=100_00,
    coupon_rate=Decimal("7.26"),
    coupon_frequency=2,
    day_count=DayCount.THIRTY_360,
    issue_date=date(2022, 1, 6),
    maturity_date=date(2032, 1, 6),
    issue_size_units=10**13,
    min_lot=100,
    lot_increment=100,
    tick_size=TICK,
    settlement_cycle=SettlementCycle.T1,
    credit_rating="SOV",
    calendar="RBI",
    price_band_percent=None,  # the flow never strays far from the mid; no band to hit
)
MID_TICKS = 40_000  # 100.00 in ticks of 0.0025
CASH_PER_TRADER = 10**14  # paise: never the limit of a benchmark
UNITS_PER_TRADER = 10**10


# --------------------------------------------------------------------------- the database


@dataclass(frozen=True)
class Scratch:
    """A migrated, empty database and a data directory, both thrown away afterwards."""

    backend: str  # "sqlite" or "postgresql"
    url: str
    data_dir: Path

    def settings(self) -> Settings:
        """Settings of a Liquibond on this database (secrets generated in the data dir)."""
        return Settings.model_validate({"database_url": self.url, "data_dir": self.data_dir})


@contextlib.asynccontextmanager
async def scratch_database(postgres: str | None) -> AsyncIterator[Scratch]:
    """A SQLite file in a temporary directory, or (given a server URL) a new PostgreSQL
    database created for the run and dropped after it."""
    with tempfile.TemporaryDirectory(prefix="liquibond-bench-") as tmp:
        data_dir = Path(tmp)
        if postgres is None:
            url = f"sqlite+aiosqlite:///{data_dir / 'liquibond.db'}"
            migrations.upgrade(url)
            yield Scratch("sqlite", url, data_dir)
            return
        base = make_url(postgres).set(drivername="postgresql+asyncpg")
        name = f"liquibond_bench_{os.getpid()}_{secrets.token_hex(3)}"
        server = base.render_as_string(hide_password=False)
        url = base.set(database=name).render_as_string(hide_password=False)
        await _autocommit(server, f'CREATE DATABASE "{name}"')
        try:
            migrations.upgrade(url)
            yield Scratch("postgresql", url, data_dir)
        finally:
            await _autocommit(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _autocommit(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                text(statement)
            )
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------- the venue


@dataclass(frozen=True)
class Venue:
    """The listed bond and its traders, each funded with cash and units."""

    instrument_id: uuid.UUID
    traders: list[uuid.UUID]
    emails: list[str]


async def open_venue(database: Database, settings: Settings, traders: int) -> Venue:
    """List :data:`BOND` (drafted by an issuer, approved by an admin) and register
    `traders` investors, each given :data:`CASH_PER_TRADER` and :data:`UNITS_PER_TRADER`
    from the issue. KYC is not done here: the runner does not check it, and over HTTP
    the sandbox provider verifies each trader."""
    credentials = Credentials.from_settings(settings, passwords=FAST_PASSWORDS)
    tag = secrets.token_hex(3)
    emails = [f"trader-{tag}-{i}@bench.liquibond.dev" for i in range(traders)]
    async with UnitOfWork(database) as uow:
        identity = IdentityService(uow.session, credentials)

        async def register(email: str, role: Role) -> Principal:
            request = RegisterRequest(email=email, password=PASSWORD, display_name="Bench")
            user = await identity.register(request, roles=[role])
            return Principal(user.id, frozenset({role}))

        issuer = await register(f"issuer-{tag}@bench.liquibond.dev", Role.ISSUER)
        admin = await register(f"admin-{tag}@bench.liquibond.dev", Role.ADMIN)
        investors = [(await register(email, Role.INVESTOR)).user_id for email in emails]
        instruments = InstrumentService(uow.session)
        bond = await instruments.draft(issuer, BOND)
        await instruments.act(issuer, bond.id, InstrumentAction.SUBMIT, None)
        await instruments.act(admin, bond.id, InstrumentAction.APPROVE, None)
        ledger = LedgerService(uow.session)
        for user_id in investors:
            owner = Owner.user(user_id)
            await ledger.move(
                "deposit",
                "Benchmark deposit",
                source=AccountKey(RAIL_IN_TRANSIT, "INR", Bucket.SYSTEM),
                destination=AccountKey(owner, "INR", Bucket.AVAILABLE),
                amount=CASH_PER_TRADER,
            )
            await ledger.move(
                "transfer",
                "Benchmark units",
                source=AccountKey(Owner.user(issuer.user_id), bond.isin, Bucket.AVAILABLE),
                destination=AccountKey(owner, bond.isin, Bucket.AVAILABLE),
                amount=UNITS_PER_TRADER,
            )
        await uow.commit()
    return Venue(bond.id, investors, emails)


# --------------------------------------------------------------------------- the order flow


@dataclass(frozen=True, slots=True)
class Place:
    """A new GTC limit order of trader number `trader`."""

    trader: int
    client_order_id: str
    side: OrderSide
    ticks: int
    quantity: int

    @property
    def price(self) -> Decimal:
        """The clean price of :data:`BOND` at `ticks`."""
        return self.ticks * TICK


@dataclass(frozen=True, slots=True)
class Cancel:
    """A cancel, by its owner, of an order that rested when it was acknowledged."""

    trader: int
    order_id: uuid.UUID


class OrderFlow:
    """The commands both benchmarks send, as bench/engine.py's mix: 60% passive limits
    1-50 ticks from a fixed mid (100.00), 15% limits crossing the mid by 1-5 ticks, 25%
    cancels of orders that were resting when acknowledged (a cancel may lose the race with a
    fill and be refused); 1-10 lots of 100 units, a random trader each time (so some
    self-trade prevention happens). Batches take new orders only, all of one trader."""

    def __init__(self, traders: int, *, seed: int, prefix: str) -> None:
        self._rng = random.Random(seed)
        self._traders = traders
        self._prefix = prefix
        self._sent = 0
        self._resting: list[tuple[int, uuid.UUID]] = []

    def next(self) -> Place | Cancel:
        """The next command, of a random trader."""
        rng = self._rng
        if rng.random() < 0.25 and self._resting:
            i = rng.randrange(len(self._resting))
            self._resting[i], self._resting[-1] = self._resting[-1], self._resting[i]
            trader, order_id = self._resting.pop()
            return Cancel(trader, order_id)
        return self.place(rng.randrange(self._traders))

    def place(self, trader: int) -> Place:
        """The next new order, of trader number `trader`: passive 80% of the time (1-50 ticks
        from the mid), crossing the mid by 1-5 ticks otherwise."""
        rng = self._rng
        side = OrderSide.BUY if rng.random() < 0.5 else OrderSide.SELL
        away = rng.randint(1, 50) if rng.random() < 0.8 else -rng.randint(1, 5)
        self._sent += 1
        return Place(
            trader=trader,
            client_order_id=f"{self._prefix}-{self._sent}",
            side=side,
            ticks=MID_TICKS - away if side is OrderSide.BUY else MID_TICKS + away,
            quantity=100 * rng.randint(1, 10),
        )

    def acknowledged(self, place: Place, order_id: uuid.UUID | str, status: str) -> None:
        """Note an acknowledged order: one that rests may be cancelled later."""
        if status in ("new", "partially_filled"):
            self._resting.append((place.trader, uuid.UUID(str(order_id))))


# --------------------------------------------------------------------------- the load

#: Sends the next command; its latency runs from the time it is given (its scheduled time).
Send = Callable[[float], Coroutine[Any, Any, None]]


async def closed_loop(workers: int, seconds: float, send: Send) -> float:
    """`workers` concurrent loops, each sending its next command once the previous one is
    answered, for `seconds` (then the commands under way are answered); the start time."""
    start = time.perf_counter()
    deadline = start + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            await send(time.perf_counter())

    await asyncio.gather(*(loop() for _ in range(workers)))
    return start


async def paced(
    rate: float, seconds: float, send: Send, backlog: int
) -> tuple[float, float | None]:
    """Offer `rate` commands/s for `seconds`, an open loop: each command goes out at its
    scheduled time whatever the answers, and its latency runs from that time (no coordinated
    omission). Offering stops early once `backlog` commands are unanswered (the system cannot
    keep up: latency would only grow). Returns, once every command is answered, the start
    time and, if it stopped early, when (seconds in)."""
    total = int(rate * seconds)
    pending: set[asyncio.Task[None]] = set()
    start = time.perf_counter() + 0.01
    sent = 0
    while sent < total:
        now = time.perf_counter()
        if len(pending) >= backlog:
            await asyncio.gather(*pending)
            return start, now - start
        due = min(total, max(0, int((now - start) * rate) + 1))
        while sent < due:
            task = asyncio.create_task(send(start + sent / rate))
            pending.add(task)
            task.add_done_callback(pending.discard)
            sent += 1
        await asyncio.sleep(0.0005)
    await asyncio.gather(*pending)
    return start, None


@dataclass
class Tally:
    """What one phase's commands came to."""

    latencies: list[float] = field(default_factory=list)
    placed: int = 0
    cancelled: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    last_answer: float = 0.0

    def answered(self, since: float) -> None:
        """Record an answer (or a give-up) to a command sent at `since`."""
        self.last_answer = time.perf_counter()
        self.latencies.append(self.last_answer - since)

    def per_second(self, count: int, start: float) -> float:
        """`count` over the time from `start` to the last answer."""
        return count / (self.last_answer - start)

    def p99_ms(self) -> float:
        """The 99th percentile latency, in milliseconds."""
        return percentile(sorted(self.latencies), 0.99) * 1000

    def outcome(self) -> str:
        """Placed, cancelled and refused (by code) commands, as one line."""
        refused = ", ".join(f"{code} {n:,}" for code, n in self.refused.most_common())
        return (
            f"{self.placed:,} placed, {self.cancelled:,} cancelled, "
            f"{sum(self.refused.values()):,} refused{f' ({refused})' if refused else ''}"
        )

    def lines(self) -> str:
        """The outcome and the latencies, indented under a phase's figures."""
        return f"{INDENT}{self.outcome()}\n{INDENT}latency {latency_line(self.latencies)}"


# --------------------------------------------------------------------------- the figures

INDENT = " " * 14


def percentile(ordered: list[float], q: float) -> float:
    """The `q`-quantile (0-1, nearest rank) of an already sorted list."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def latency_line(seconds: list[float]) -> str:
    """p50 / p99 / p99.9 / max of latencies given in seconds, in milliseconds."""
    ordered = sorted(seconds)
    p50, p99, p999 = (percentile(ordered, q) * 1000 for q in (0.5, 0.99, 0.999))
    top = ordered[-1] * 1000 if ordered else float("nan")
    return f"p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   p99.9 {p999:7.2f} ms   max {top:7.1f} ms"


def verdict(met: bool) -> str:
    """MET or NOT MET."""
    return "MET" if met else "NOT MET"


def label(backend: str) -> str:
    """How a backend is named in the figures."""
    return "SQLite (file, WAL, synchronous=FULL)" if backend == "sqlite" else "PostgreSQL"


async def on_each_backend(
    postgres: str | None, measure: Callable[[Scratch], Awaitable[None]]
) -> int:
    """`measure` on a scratch SQLite database, then on a scratch PostgreSQL database of the
    server `postgres` names (else :data:`POSTGRES_ENV`), if any."""
    server = postgres or os.environ.get(POSTGRES_ENV) or None
    for backend in (None, server) if server else (None,):
        async with scratch_database(backend) as scratch:
            await measure(scratch)
    if server is None:
        print(f"\n(PostgreSQL not measured: pass --postgres URL or set {POSTGRES_ENV})")
    return 0


def run(main: Coroutine[Any, Any, int]) -> int:
    """Run `main` on uvloop, the loop uvicorn serves Liquibond on (asyncio's without it),
    logging only warnings and errors (a failed batch, a halted book)."""
    configure_logging("WARNING", json=False)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
