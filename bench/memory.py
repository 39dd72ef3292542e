"""Memory of one big book: 1,000,000 resting orders in one ``Book``, in one process.

    uv run python bench/memory.py                    # 1,000,000 orders
    uv run python bench/memory.py --orders 200000

Rests ``--orders`` limit orders that never cross (bids 1-2,000 ticks below a mid, asks 1-2,000
above, so about 250 orders a level; 1-100 lots; 10,000 accounts; seed 42) through
``Book.apply(NewOrder(...))``, as the runner does. Commands are made one at a time, so what
stays in memory is what the book keeps. Reported: the resident set (``VmRSS`` from
/proc/self/status) before and after, its growth per resting order, the peak (``ru_maxrss``),
and what a big book costs besides memory: one full garbage collection, which scans whatever
the book keeps that the collector tracks.

Then where the memory goes: tracemalloc over a book of ``--sample`` orders (100,000), by
allocation site, in bytes per resting order.

Goal: at most 1 GB for 1,000,000 orders. Prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import linecache
import random
import resource
import time
import tracemalloc
from pathlib import Path

from liquibond.trading.engine import AccountId, Book, NewOrder, OrderId, Side

GOAL_BYTES = 1 << 30  # for 1,000,000 orders
MID = 1_000_000  # ticks


def rss() -> int:
    """The process's resident set now, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def fill(book: Book, orders: int, seed: int) -> None:
    """Rest `orders` orders in `book`, none of them crossing."""
    rng = random.Random(seed)
    apply = book.apply
    for order_id in range(1, orders + 1):
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        away = rng.randint(1, 2_000)
        price = MID - away if side is Side.BUY else MID + away
        qty = rng.randint(1, 100)
        apply(NewOrder(OrderId(order_id), AccountId(rng.randint(1, 10_000)), side, qty, price))


def mb(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def where(orders: int) -> None:
    """Allocation sites of a book of `orders` resting orders, per order."""
    gc.collect()
    tracemalloc.start()
    book = Book("SAMPLE")
    fill(book, orders, seed=7)
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    stats = snapshot.statistics("lineno")
    total = sum(stat.size for stat in stats)
    print(f"\nwhere it goes (tracemalloc, {orders:,} orders): {total / orders:,.0f} bytes/order")
    for stat in stats[:8]:
        frame = stat.traceback[0]
        site = f"{Path(frame.filename).name}:{frame.lineno}"
        line = linecache.getline(frame.filename, frame.lineno).strip()
        print(f"  {stat.size / orders:7,.1f} B/order  {site:<18} {line[:70]}")
    del book


def main() -> int:
    parser = argparse.ArgumentParser(description="Memory of one big order book (prints figures).")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000, help="orders traced by site")
    args = parser.parse_args()

    gc.collect()
    before = rss()
    book = Book("BENCH")
    start = time.perf_counter()
    fill(book, args.orders, seed=42)
    built = time.perf_counter() - start
    gc.collect()
    after = rss()
    assert len(book) == args.orders, f"{len(book):,} orders rest, not {args.orders:,}"
    grown = after - before
    print(f"book: {len(book):,} resting orders, built in {built:.1f} s")
    print(f"  RSS before {mb(before)}, after {mb(after)}: +{mb(grown)}, ", end="")
    print(f"{grown / args.orders:,.0f} bytes/order")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"  peak RSS {mb(peak)}")
    goal = GOAL_BYTES * args.orders / 1_000_000
    print(f"  goal <= {mb(goal)} for {args.orders:,} orders: ", end="")
    print("MET" if grown <= goal else "NOT MET")

    start = time.perf_counter()
    gc.collect()
    print(f"  a full garbage collection with the book alive: {time.perf_counter() - start:.3f} s")
    del book
    where(args.sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
