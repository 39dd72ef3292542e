"""Durable order entry: one book's writer (the runner), real commits, no HTTP.

    uv run python bench/durable.py                 # SQLite, and PostgreSQL if configured
    uv run python bench/durable.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

PostgreSQL is measured when ``--postgres`` names a server or ``LIQUIBOND_TEST_POSTGRES_URL``
is set (a scratch database is created for the run and dropped after it); SQLite always, on
a file in a temporary directory (WAL, ``synchronous=FULL``, as Liquibond configures it).

Each backend gets a migrated, empty database with one listed bond (a 7.26% G-sec, round the
clock, no price band) and 100 traders funded with cash and units (bench/_setup.py). Commands
reach the book's :class:`~liquibond.trading.runner.BookWriter` as the API hands them over:
the writer comes from :class:`~liquibond.trading.runner.Trading` for every command (it holds
the book's lease), with an :class:`~liquibond.trading.service.OrderTicket` carrying the
reservation the pre-trade checks compute, or a cancel. A command is acknowledged when the
writer answers, i.e. after the batch holding it committed; one unanswered after 30 s is
given up on and counted as such. The flow is bench/_setup.py's ``OrderFlow``: 60% passive
limits around the mid, 15% crossing it, 25% cancels.

1. Throughput, once per ``--submitters`` count (100, then 1,000): that many concurrent
   closed-loop submitters for ``--seconds`` (10); 1,000 keeps the writer's queue full, so
   group commit batches fill up to ``MAX_BATCH``.
2. Paced: an open loop offering ``--rate`` commands/s (2,000) for ``--seconds``; latency runs
   from each command's scheduled time. A writer that cannot keep up is reported SATURATED:
   the phase stops offering once 1,000 commands are unanswered.
3. Paced again at half the best throughput of 1: the latency of a writer that keeps up.

Mean batch size is commands per committed batch (counted by the batch's update of
``trading_books``). Goals: 20,000 orders/s on SQLite and 10,000 on PostgreSQL; p99
acknowledgement at most 20 ms at 2,000 orders/s offered. Prints figures; it asserts nothing
about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
from typing import Any

from _setup import (
    INDENT,
    OrderFlow,
    Place,
    Scratch,
    Tally,
    Venue,
    closed_loop,
    label,
    on_each_backend,
    open_venue,
    paced,
    run,
    verdict,
)
from sqlalchemy import event

from liquibond.platform.db import Database
from liquibond.platform.errors import Problem
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.models import OrderSide
from liquibond.trading.runner import MAX_BATCH, Trading
from liquibond.trading.schemas import OrderCreate
from liquibond.trading.service import Market, OrderService, OrderTicket
from liquibond.valuation.service import trade_date

GOALS = {"sqlite": 20_000, "postgresql": 10_000}  # orders/s, throughput
LATENCY_GOAL_MS = 20.0  # p99 at the paced rate
TRADERS = 100
#: Unanswered commands at which a paced phase stops offering more.
MAX_BACKLOG = 1_000
#: How long a command waits for its answer before the bench gives up on it (as a client would).
ANSWER_SECONDS = 30.0


class Batches:
    """Counts the batches a database commits: each updates its book's state once."""

    def __init__(self, database: Database) -> None:
        self.count = 0
        event.listen(database.engine.sync_engine, "before_cursor_execute", self._executed)

    def _executed(self, *args: Any) -> None:
        statement: str = args[2]
        if statement.startswith("UPDATE trading_books"):
            self.count += 1


class Phase:
    """One phase's commands: the order flow turned into the writer's commands, each answer
    recorded."""

    def __init__(self, trading: Trading, market: Market, venue: Venue, seed: int) -> None:
        self.trading = trading
        self.market = market
        self.venue = venue
        self.flow = OrderFlow(len(venue.traders), seed=seed, prefix=f"p{seed}")
        self.tally = Tally()
        self._reservations: dict[tuple[int, int], int] = {}

    def ticket(self, place: Place) -> OrderTicket:
        """The ticket the API's pre-trade checks would hand the writer for `place`."""
        request = OrderCreate(
            instrument_id=self.venue.instrument_id,
            client_order_id=place.client_order_id,
            side=place.side,
            price=place.price,
            quantity=place.quantity,
        )
        if place.side is OrderSide.SELL:
            asset, amount = self.market.isin, place.quantity
        else:
            asset, amount = self.market.currency, self._cash(place)
        return OrderTicket(
            user_id=self.venue.traders[place.trader],
            request=request,
            price_ticks=place.ticks,
            stop_ticks=None,
            reserve_asset=asset,
            reserve_amount=amount,
            expire_at=None,
            queued=False,
        )

    def _cash(self, place: Place) -> int:
        """What a buy reserves (as the pre-trade checks work it out), once per price and size."""
        key = (place.ticks, place.quantity)
        amount = self._reservations.get(key)
        if amount is None:
            amount = self.market.buy_reservation(place.quantity, place.ticks, trade_date())
            self._reservations[key] = amount
        return amount

    async def send(self, since: float) -> None:
        """Send the flow's next command; its latency runs from `since` to its answer."""
        command = self.flow.next()
        tally = self.tally
        try:
            async with asyncio.timeout(ANSWER_SECONDS):
                writer = await self.trading.writer(self.market)
                if isinstance(command, Place):
                    order = await writer.submit(self.ticket(command))
                    self.flow.acknowledged(command, order.id, order.status)
                    tally.placed += 1
                else:
                    await writer.cancel(self.venue.traders[command.trader], command.order_id)
                    tally.cancelled += 1
        except Problem as problem:
            tally.refused[problem.code] += 1
        except TimeoutError:
            tally.refused[f"no answer in {ANSWER_SECONDS:g} s"] += 1
        tally.answered(since)


class Bench:
    """The phases, run against one book."""

    def __init__(self, trading: Trading, market: Market, venue: Venue, database: Database) -> None:
        self.trading = trading
        self.market = market
        self.venue = venue
        self.batches = Batches(database)
        self._seeds = 0

    def phase(self) -> Phase:
        """A new phase, with a fresh flow of commands."""
        self._seeds += 1
        return Phase(self.trading, self.market, self.venue, self._seeds)

    def figures(self, phase: Phase, start: float, batches: int) -> tuple[float, float]:
        """Commands per second and commands per batch since `start`."""
        tally = phase.tally
        commands = len(tally.latencies)
        return tally.per_second(commands, start), commands / max(1, self.batches.count - batches)


async def measure(scratch: Scratch, args: argparse.Namespace) -> None:
    """Every phase on one backend; prints its figures."""
    database = Database(scratch.url)
    trading = Trading(database)
    try:
        venue = await open_venue(database, scratch.settings(), TRADERS)
        async with UnitOfWork(database, write=False) as uow:
            market = await OrderService(uow.session).market(venue.instrument_id)
        # As `liquibond serve` does once started: what setup built outlives the run, so the
        # cyclic GC need not walk it again at every full collection.
        gc.collect()
        gc.freeze()
        await report(Bench(trading, market, venue, database), scratch.backend, args)
    finally:
        await trading.stop()
        await database.dispose()


async def report(bench: Bench, backend: str, args: argparse.Namespace) -> None:
    """Warm up, then the throughput phases, the paced phase at the goal rate, and one at half
    the best throughput (the latency of a writer that keeps up)."""
    goal = GOALS[backend]
    print(
        f"\n{label(backend)}: one book, {len(bench.venue.traders)} traders, MAX_BATCH {MAX_BATCH}"
    )
    await closed_loop(50, 1.0, bench.phase().send)

    best = 0.0
    for submitters in args.submitters:
        phase, batches = bench.phase(), bench.batches.count
        start = await closed_loop(submitters, args.seconds, phase.send)
        rate, batch = bench.figures(phase, start, batches)
        placed = phase.tally.per_second(phase.tally.placed, start)
        print(f"  throughput  {submitters:,} submitters for {args.seconds:g} s: ", end="")
        print(f"{rate:,.0f} commands/s ({placed:,.0f} orders placed/s), mean batch {batch:.1f}")
        print(phase.tally.lines())
        print(f"{INDENT}goal >= {goal:,} orders/s: {verdict(placed >= goal)}")
        best = max(best, rate)

    for offered in (args.rate, best / 2):
        phase, batches = bench.phase(), bench.batches.count
        start, saturated = await paced(offered, args.seconds, phase.send, MAX_BACKLOG)
        rate, batch = bench.figures(phase, start, batches)
        print(f"  paced       offered {offered:,.0f} commands/s for {args.seconds:g} s: ", end="")
        if saturated is not None:
            print(f"SATURATED after {saturated:.1f} s ({MAX_BACKLOG:,} unanswered); ", end="")
        print(f"answered {rate:,.0f}/s, mean batch {batch:.1f}")
        print(phase.tally.lines())
        if offered == args.rate:
            met = saturated is None and phase.tally.p99_ms() <= LATENCY_GOAL_MS
            print(f"{INDENT}goal p99 <= {LATENCY_GOAL_MS:g} ms: {verdict(met)}")
    book = (await bench.trading.writer(bench.market)).book
    print(f"  book at the end: {len(book):,} resting orders, {book.trade_seq:,} trades")


def main() -> int:
    """Parse the options and measure each backend."""
    parser = argparse.ArgumentParser(description="Durable order entry benchmark (prints figures).")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is made)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--rate", type=float, default=2_000.0, help="paced commands/s offered")
    parser.add_argument(
        "--submitters",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[100, 1_000],
        help="closed-loop submitters, one throughput phase per comma-separated count",
    )
    args = parser.parse_args()
    return run(on_each_backend(args.postgres, lambda scratch: measure(scratch, args)))


if __name__ == "__main__":
    raise SystemExit(main())
