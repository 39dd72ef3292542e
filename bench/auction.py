"""Auction clearing benchmark: one sealed-bid auction of many random bids, both pricing formats.

    uv run python bench/auction.py [--bids 100000] [--seed 7] [--runs 5]

The workload (seeded): a re-issue bid in price, in units of Rs 1 of face with a lot of
Rs 10,000, offering 40% of the demand (about 10,000 crore, so 2.5 times covered). 2,000
bidders; each bid is 1-500 lots at 99.0000-101.0000 in steps of 0.0025, so tiers are shared
and the marginal one is pro-rated. 2% of the bids are non-competitive, against a 5% reserve
and a Rs 2 crore per-investor maximum; a 35% bidder cap, with 200 bidders reporting
positions close to it; largest-remainder rounding.

Prints, per pricing format, the best and median wall time of one clearing (the bids already
built and frozen out of the collector, which stays on, as in bench/engine.py), the best CPU
time (less sensitive to a busy machine) and whether the best wall time met the goal. It
asserts nothing about speed (DESIGN.md section 9).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from decimal import Decimal

from liquibond.auctions.clearing import (
    AuctionResult,
    AuctionRules,
    Bid,
    BidderId,
    BidId,
    Pricing,
    Rounding,
    clear,
)

GOAL = 0.5  # seconds per clearing of 100,000 bids
CRORE = 10_000_000
LOT = 10_000


def random_bids(rng: random.Random, n: int) -> list[Bid]:
    """``n`` bids in random order."""
    bids = []
    for k in range(n):
        bidder = BidderId(rng.randint(1, 2_000))
        quantity = rng.randint(1, 500) * LOT
        if rng.random() < 0.02:
            bids.append(Bid(BidId(k), bidder, quantity, ts=k))
        else:
            quote = Decimal(rng.randint(39_600, 40_400)).scaleb(-4) * 25
            bids.append(Bid(BidId(k), bidder, quantity, quote, ts=k))
    rng.shuffle(bids)
    return bids


def random_positions(rng: random.Random, cap: int) -> dict[BidderId, int]:
    """Positions reported by 200 bidders, close enough to ``cap`` that it cuts their bids."""
    return {BidderId(b): cap - rng.randint(0, 20) * CRORE for b in rng.sample(range(1, 2_001), 200)}


def main() -> None:
    parser = argparse.ArgumentParser(description="Auction clearing benchmark (prints figures).")
    parser.add_argument("--bids", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    bids = random_bids(rng, args.bids)
    demand = sum(b.quantity for b in bids)
    offering = demand * 2 // 5 // LOT * LOT
    positions = random_positions(rng, offering * 35 // 100)
    gc.freeze()  # the inputs, as in bench/engine.py: the collector stays on for the clearing
    print(f"workload: {len(bids):,} bids (seed {args.seed}), {demand / offering:.2f}x covered")
    print(f"goal: one clearing under {GOAL:.2f} s")
    for pricing in Pricing:
        rules = AuctionRules(
            offering=offering,
            pricing=pricing,
            lot=LOT,
            rounding=Rounding.LARGEST_REMAINDER,
            non_competitive_share=Decimal("0.05"),
            non_competitive_max=2 * CRORE,
            bidder_cap_share=Decimal("0.35"),
        )
        times, cpu_times = [], []
        result: AuctionResult | None = None
        for _ in range(args.runs):
            result = None  # the previous result's awards are garbage before the next run
            t0, c0 = time.perf_counter(), time.process_time()
            result = clear(rules, bids, positions)
            times.append(time.perf_counter() - t0)
            cpu_times.append(time.process_time() - c0)
        assert result is not None
        best = min(times)
        print(f"\n{pricing.value} price")
        print(f"  time        best {best:.3f} s   median {statistics.median(times):.3f} s", end="")
        print(f"   (CPU best {min(cpu_times):.3f} s)")
        print(f"  goal        {'MET' if best < GOAL else 'NOT MET'}")
        print(
            f"  result      cut-off {result.cut_off}, weighted average {result.weighted_average},"
            f" partial {result.partial_allotment}%, bid-to-cover {result.bid_to_cover}"
        )
        print(f"              allotted {result.total_allotted:,} of {offering:,}")


if __name__ == "__main__":
    main()
