"""Crash test: `kill -9` a real server while orders are in flight; nothing acknowledged is lost.

A `liquibond serve` process serves the test's database (SQLite, and PostgreSQL when
configured), on which the test listed a bond. Traders registered, KYC-verified (by the
sandbox provider) and funded send a mix of passive, crossing and cancelling orders over HTTP
from many concurrent connections; mid-load the process is killed with SIGKILL. Then, on the
same data directory and database:

- the book rebuilt from the database hashes to the `state_hash` recorded by the last commit
  (what the writer checks before it trades again; it halts with `trading.book_halted` if not);
- `liquibond ledger verify` passes;
- a restarted server (it takes the book over once the dead process's lease expires) has
  every acknowledged order (a 201 to a placement, a 200 to a cancel) in the acknowledged
  state or a later one, each trader's locked balances equal what their orders still reserve,
  it serves the rebuilt book, and it trades again.

This happens twice: the second crash hits a book that was itself rebuilt after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any

import httpx
import pytest

from liquibond.identity.models import Role
from liquibond.identity.schemas import RegisterRequest
from liquibond.identity.service import Credentials, IdentityService, Principal
from liquibond.instruments.lifecycle import InstrumentAction
from liquibond.instruments.schemas import DayCount, InstrumentCreate
from liquibond.instruments.service import InstrumentService
from liquibond.ledger.entries import RAIL_IN_TRANSIT, AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.db import Database, utcnow
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.lease import Lease, LeaseManager
from liquibond.trading.models import BookState
from liquibond.trading.runner import BookWriter
from liquibond.trading.service import OrderService
from tests.conftest import FAST_PASSWORDS, make_settings, unique_email
from tests.helpers import PASSWORD
from tests.kyc.helpers import PDF, VERIFIED_FULL, a_pan, form

BOND = InstrumentCreate(
    isin="IN0020220102",
    name="7.26% GS 2032",
    face_value=100_00,
    coupon_rate=Decimal("7.26"),
    coupon_frequency=2,
    day_count=DayCount.THIRTY_360,
    issue_date=date(2022, 1, 6),
    maturity_date=date(2032, 1, 6),
    issue_size_units=50_000_000,
    min_lot=100,
    lot_increment=100,
    tick_size=Decimal("0.0025"),
    credit_rating="SOV",
    calendar="RBI",
    price_band_percent=None,  # no reference price to band around before the first trade
)
TRADERS = 6
CONNECTIONS = 48  # orders in flight at once
CRASHES = 2
KILL_AFTER_ACKS = 120  # per crash
LOAD_SECONDS = 8  # the kill comes at the latest then
UNITS = 200_000  # per trader
CASH = 10**11  # paise per trader
MID = 40_000  # ticks: 100.00

#: An order's state as a rank: a later state never has a lower one.
_RANK = {"new": 0, "partially_filled": 1, "filled": 2, "cancelled": 2, "expired": 2, "rejected": 2}
_TERMINAL = frozenset(state for state, rank in _RANK.items() if rank == 2)


def lost_or_regressed(
    acked: dict[str, dict[str, Any]], stored: dict[str, dict[str, Any]]
) -> list[str]:
    """Every acknowledged order missing from `stored`, or stored in an earlier state than
    acknowledged (a terminal state must be stored exactly; filled and cancelled quantities
    never go down), described. Both map order id to the order as the API shows it."""
    problems = []
    for order_id, ack in acked.items():
        now = stored.get(order_id)
        if now is None:
            problems.append(f"{order_id}: acknowledged {ack['status']}, lost")
            continue
        same_terms = Decimal(now["price"]) == Decimal(ack["price"]) and all(
            now[k] == ack[k] for k in ("client_order_id", "side", "quantity")
        )
        if ack["status"] in _TERMINAL:
            keys = ("status", "filled_quantity", "cancelled_quantity", "leaves_quantity")
            later = all(now[k] == ack[k] for k in keys)
        else:
            later = (
                _RANK[now["status"]] >= _RANK[ack["status"]]
                and now["filled_quantity"] >= ack["filled_quantity"]
                and now["cancelled_quantity"] >= ack["cancelled_quantity"]
            )
        if not (same_terms and later):
            problems.append(f"{order_id}: acknowledged {_brief(ack)}, stored {_brief(now)}")
    return problems


def _brief(order: dict[str, Any]) -> str:
    return (
        f"{order['status']} {order['side']} {order['quantity']} @ {order['price']} "
        f"(filled {order['filled_quantity']}, cancelled {order['cancelled_quantity']})"
    )


def test_the_check_catches_lost_and_regressed_orders() -> None:
    def order(status: str, filled: int = 0, cancelled: int = 0) -> dict[str, Any]:
        return {
            "client_order_id": "c",
            "side": "buy",
            "price": "100",
            "quantity": 300,
            "status": status,
            "filled_quantity": filled,
            "cancelled_quantity": cancelled,
            "leaves_quantity": 300 - filled - cancelled,
        }

    acked = {
        "kept": order("new"),
        "progressed": order("new"),
        "lost": order("new"),
        "unfilled": order("partially_filled", filled=100),
        "uncancelled": order("cancelled", cancelled=300),
        "repriced": order("new"),
    }
    stored = {
        "kept": order("new"),
        "progressed": order("filled", filled=300),
        "unfilled": order("new"),
        "uncancelled": order("new"),
        "repriced": {**order("new"), "price": "101"},
    }
    problems = lost_or_regressed(acked, stored)
    assert [p.split(":")[0] for p in problems] == ["lost", "unfilled", "uncancelled", "repriced"]


# -- the server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """`liquibond serve` on the test's data directory and database, (re)startable."""

    data_dir: Path
    database_url: str
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "LIQUIBOND_DATA_DIR": str(self.data_dir),
            "LIQUIBOND_DATABASE_URL": self.database_url,
            "LIQUIBOND_AUTH_ATTEMPTS_PER_MINUTE": "100000",
            "LIQUIBOND_OUTBOX_POLL_SECONDS": "0.1",
        }

    def spawn(self) -> None:
        """Start the process (see :meth:`wait_ready`)."""
        port = _free_port()
        self.starts += 1
        with self._log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "liquibond", "serve", "--port", str(port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{port}"

    def wait_ready(self) -> None:
        """Wait until the process answers `/readyz` (its books rebuilt and checked)."""
        assert self.process is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        pytest.fail(f"the server did not become ready:\n{self._log.read_text()[-5000:]}")

    @property
    def _log(self) -> Path:
        return self.data_dir / f"server-{self.starts}.log"

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, nothing the process could still do."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=20) == -signal.SIGKILL
        self.process = None

    def stop(self) -> None:
        """A graceful stop, if it is running."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `liquibond <args>` on the same settings."""
        return subprocess.run(
            [sys.executable, "-m", "liquibond", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server for the test's database, not started yet; stopped after the test."""
    running = Server(tmp_path, database_url)
    try:
        yield running
    finally:
        running.stop()


async def _list_bond(database_url: str, data_dir: Path) -> tuple[str, str]:
    """List :data:`BOND` as an issuer and an admin would; its id and its issuer's, who holds
    the whole issue."""
    credentials = Credentials.from_settings(
        make_settings(database_url, data_dir), passwords=FAST_PASSWORDS
    )
    database = Database(database_url)
    try:
        async with UnitOfWork(database) as uow:
            identity = IdentityService(uow.session, credentials)
            principals = {}
            for role in (Role.ISSUER, Role.ADMIN):
                request = RegisterRequest(
                    email=unique_email(role.value), password=PASSWORD, display_name="Crash"
                )
                user = await identity.register(request, roles=[role])
                principals[role] = Principal(user.id, frozenset({role}))
            issuer, admin = principals[Role.ISSUER], principals[Role.ADMIN]
            instruments = InstrumentService(uow.session)
            bond = await instruments.draft(issuer, BOND)
            await instruments.act(issuer, bond.id, InstrumentAction.SUBMIT, None)
            await instruments.act(admin, bond.id, InstrumentAction.APPROVE, None)
            await uow.commit()
            return str(bond.id), str(issuer.user_id)
    finally:
        await database.dispose()


# -- the traders ---------------------------------------------------------------------------


@dataclass
class Trader:
    """A verified investor with cash and units, and its orders that rested when they were
    acknowledged (what it may cancel)."""

    user_id: str
    headers: dict[str, str]
    resting: list[str] = field(default_factory=list)


async def _trader(http: httpx.AsyncClient) -> Trader:
    email = unique_email("crash")
    user = await http.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": "T"}
    )
    assert user.status_code == 201, user.text
    tokens = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    kyc = await http.post(
        "/api/v1/kyc",
        data=form(a_pan(VERIFIED_FULL)),
        files={"document": ("pan.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert kyc.status_code == 201, kyc.text
    deadline = time.monotonic() + 20
    while (await http.get("/api/v1/kyc", headers=headers)).json()["status"] != "verified":
        assert time.monotonic() < deadline, "KYC was not verified"
        await asyncio.sleep(0.05)
    return Trader(user.json()["id"], headers)


async def _fund(database_url: str, issuer_id: str, isin: str, traders: list[Trader]) -> None:
    """Give each trader units from the issuer and cash, as confirmed transfers would."""
    database = Database(database_url)
    try:
        async with UnitOfWork(database) as uow:
            ledger = LedgerService(uow.session)
            for trader in traders:
                owner = Owner.user(uuid.UUID(trader.user_id))
                await ledger.move(
                    "transfer",
                    "Crash test units",
                    source=AccountKey(Owner.user(uuid.UUID(issuer_id)), isin, Bucket.AVAILABLE),
                    destination=AccountKey(owner, isin, Bucket.AVAILABLE),
                    amount=UNITS,
                )
                await ledger.move(
                    "deposit",
                    "Crash test deposit",
                    source=AccountKey(RAIL_IN_TRANSIT, "INR", Bucket.SYSTEM),
                    destination=AccountKey(owner, "INR", Bucket.AVAILABLE),
                    amount=CASH,
                )
            await uow.commit()
    finally:
        await database.dispose()


# -- the load ------------------------------------------------------------------------------


@dataclass
class Load:
    """Orders sent until the server dies, and what was acknowledged."""

    instrument_id: str
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    dead: bool = False
    #: Set once `target` orders are acknowledged.
    enough: asyncio.Event = field(default_factory=asyncio.Event)
    target: int = 0

    def ack(self, order: dict[str, Any]) -> None:
        self.acked[order["id"]] = order
        if len(self.acked) >= self.target:
            self.enough.set()

    async def connection(self, http: httpx.AsyncClient, trader: Trader, seed: int) -> None:
        """One connection's orders, one at a time: 60% passive limits 1-40 ticks from the mid,
        15% limits crossing it, 25% cancels of the trader's resting orders."""
        rng = Random(seed)
        while not self.dead:
            roll = rng.random()
            self.in_flight += 1
            try:
                if roll < 0.25 and trader.resting:
                    order_id = trader.resting.pop(rng.randrange(len(trader.resting)))
                    response = await http.delete(
                        f"/api/v1/orders/{order_id}", headers=trader.headers
                    )
                else:
                    side = "buy" if rng.random() < 0.5 else "sell"
                    away = rng.randint(1, 40) if roll < 0.85 else -rng.randint(1, 4)
                    ticks = MID - away if side == "buy" else MID + away
                    body = {
                        "instrument_id": self.instrument_id,
                        "client_order_id": uuid.uuid4().hex,
                        "side": side,
                        "price": str(ticks * BOND.tick_size),
                        "quantity": 100 * rng.randint(1, 5),
                    }
                    response = await http.post("/api/v1/orders", json=body, headers=trader.headers)
            except httpx.TransportError:
                self.outcomes["no answer (killed)"] += 1
                return
            finally:
                self.in_flight -= 1
            self.outcomes[str(response.status_code)] += 1
            if response.status_code in (200, 201):
                order = response.json()
                self.ack(order)
                if order["status"] in ("new", "partially_filled"):
                    trader.resting.append(order["id"])
            elif response.status_code >= 500:
                self.outcomes[response.json().get("code", "5xx")] += 1


async def _orders_of(http: httpx.AsyncClient, trader: Trader) -> dict[str, dict[str, Any]]:
    orders: dict[str, dict[str, Any]] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = await http.get("/api/v1/orders", params=params, headers=trader.headers)
        assert page.status_code == 200, page.text
        orders.update((order["id"], order) for order in page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return orders


async def _committed_book(database_url: str, instrument_id: str) -> tuple[BookWriter, BookState]:
    """The book rebuilt from the database by the runner's own code, and the state recorded
    by the last commit."""
    database = Database(database_url)
    try:
        async with UnitOfWork(database, write=False) as uow:
            market = await OrderService(uow.session).market(uuid.UUID(instrument_id))
            state = await uow.session.get(BookState, market.instrument_id)
        assert state is not None, "no commit recorded the book"
        # Only rebuilt, never started: the lease stays the restarted server's business.
        unheld = Lease(market.instrument_id, "crash-test", 0, utcnow(), 0.0)
        writer = BookWriter(database, market, unheld, LeaseManager(database))
        await writer.rebuild()
        return writer, state
    finally:
        await database.dispose()


# -- the test ------------------------------------------------------------------------------


async def test_kill_9_mid_load_loses_nothing_acknowledged(server: Server) -> None:
    instrument_id, issuer_id = await _list_bond(server.database_url, server.data_dir)
    server.spawn()
    server.wait_ready()
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        traders = list(await asyncio.gather(*(_trader(http) for _ in range(TRADERS))))
    await _fund(server.database_url, issuer_id, BOND.isin, traders)

    load = Load(instrument_id)
    for crash in range(CRASHES):
        summary = await _load_until_killed(server, load, traders, seed=crash * CONNECTIONS)
        writer, state = await _committed_book(server.database_url, instrument_id)
        assert writer.halted is None, summary
        assert writer.state_hash() == state.state_hash, summary
        writer.book.audit()

        server.spawn()  # it waits for the dead process's lease to expire; meanwhile:
        if crash == CRASHES - 1:  # a broken entry stays broken: one check covers every crash
            verified = await asyncio.to_thread(server.cli, "ledger", "verify")
            assert verified.returncode == 0, verified.stdout + verified.stderr
        server.wait_ready()
        await _check_restarted(server, load, traders, writer, state, summary)

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        again = await http.post(
            "/api/v1/orders",
            json={
                "instrument_id": instrument_id,
                "client_order_id": "after-the-crashes",
                "side": "buy",
                "price": str((MID - 100) * BOND.tick_size),
                "quantity": 100,
            },
            headers=traders[0].headers,
        )
    assert again.status_code == 201, again.text  # the rebuilt book's writer is not halted


async def _load_until_killed(server: Server, load: Load, traders: list[Trader], seed: int) -> str:
    """Send orders from every connection; SIGKILL the server once enough more were
    acknowledged (or the time is up), while the connections wait for answers."""
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
        load.dead = False
        load.enough.clear()
        before, load.target = len(load.acked), len(load.acked) + KILL_AFTER_ACKS
        connections = [
            asyncio.create_task(load.connection(http, traders[n % TRADERS], seed=seed + n))
            for n in range(CONNECTIONS)
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(load.enough.wait(), LOAD_SECONDS)
        in_flight = load.in_flight
        server.kill()
        load.dead = True
        await asyncio.gather(*connections)
    summary = (
        f"after kill {server.starts}: {len(load.acked)} orders acknowledged in all, "
        f"{in_flight} in flight at the kill; answers {dict(load.outcomes)}"
    )
    assert len(load.acked) >= before + 20, summary
    assert in_flight >= CONNECTIONS // 2, summary
    assert "500" not in load.outcomes, summary  # a 503 is allowed: nothing was acknowledged
    return summary


async def _check_restarted(
    server: Server,
    load: Load,
    traders: list[Trader],
    writer: BookWriter,
    state: BookState,
    summary: str,
) -> None:
    """The restarted server has every acknowledged order, locks what they reserve, and
    serves the book rebuilt from the database."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        stored: dict[str, dict[str, Any]] = {}
        for trader in traders:
            mine = await _orders_of(http, trader)
            stored.update(mine)
            accounts = (await http.get("/api/v1/accounts", headers=trader.headers)).json()
            balances = {(row["asset"], row["bucket"]): row["balance"] for row in accounts}
            for asset in ("INR", BOND.isin):
                reserved = sum(o["reserved"] for o in mine.values() if o["reserved_asset"] == asset)
                assert balances.get((asset, "locked"), 0) == reserved, (asset, summary)
        assert lost_or_regressed(load.acked, stored) == [], summary

        book = await http.get(
            f"/api/v1/instruments/{load.instrument_id}/book", params={"depth": 50}
        )
        assert book.status_code == 200, book.text
        assert book.json()["sequence"] == state.seq
        depth = writer.book.depth(50)
        for side, levels in (("bids", depth.bids), ("asks", depth.asks)):
            served = [(level["price_ticks"], level["quantity"]) for level in book.json()[side]]
            assert served == [(level.price, level.qty) for level in levels], (side, summary)
