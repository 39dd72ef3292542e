"""Bond analytics throughput: our array path against QuantLib, one object per bond.

For N random bonds (ACT/ACT-ICMA and 30/360, frequencies 1/2/4/12, short or long first
stubs, 1 to 30 years left) and clean
prices, both sides build the coupon schedules and compute yield, modified duration and
convexity; the figures include schedule generation. Prints bonds/s for each side, the
ratio and the largest disagreement between them.

    uv run python bench/analytics.py [--bonds 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date

import numpy as np
import QuantLib as ql

from liquibond.analytics import (
    NO_DATE,
    BondArray,
    as_days,
    cashflows,
    civil,
    risk,
    to_date,
    yield_from_price,
)
from liquibond.analytics.daycount import day_count_index

DAY_COUNTS = {
    "ACT/ACT-ICMA": ql.ActualActual(ql.ActualActual.ISMA),
    "30/360": ql.Thirty360(ql.Thirty360.BondBasis),
}


def random_bonds(n: int, seed: int) -> tuple[BondArray, np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    settlement = as_days(date(2025, 6, 16))
    issue = settlement - rng.integers(0, 3650, n)
    maturity = np.maximum(settlement + rng.integers(400, 30 * 365, n), issue + 3 * 366)
    # coupon dates on days 1-27: where QuantLib and we agree by construction (see
    # tests/analytics/test_quantlib.py for the month-end conventions that differ)
    _, _, day = civil(maturity)
    maturity = maturity - np.maximum(day - 27, 0)
    codes = rng.choice(list(DAY_COUNTS), n)
    bonds = BondArray(
        issue=issue,
        maturity=maturity,
        coupon=np.round(rng.uniform(0.0, 0.12, n), 4),
        frequency=rng.choice([1, 2, 4, 12], n),
        day_count=np.array([day_count_index(c) for c in codes]),
        first_coupon=np.full(n, NO_DATE),
        stub=rng.integers(0, 2, n),  # short or long front stub
        end_of_month=np.zeros(n, dtype=bool),
        ex_coupon_days=np.zeros(n, dtype=np.int64),
        ex_coupon_business_days=np.zeros(n, dtype=bool),
        calendar=np.zeros(n, dtype=np.int64),
        calendars=("WEEKENDS",),
        payment_convention=np.zeros(n, dtype=np.int64),
        redemption_convention=np.zeros(n, dtype=np.int64),
        redemption=np.full(n, 100.0),
        yield_convention=np.ones(n, dtype=np.int64),  # compound, as QuantLib
    )
    clean = np.round(rng.uniform(70.0, 130.0, n), 4)
    return bonds, np.full(n, settlement), clean, list(codes)


Results = tuple[np.ndarray, ...]


def ours(bonds: BondArray, settlement: np.ndarray, clean: np.ndarray) -> Results:
    fresh = BondArray(
        **{f: getattr(bonds, f) for f in bonds.__dataclass_fields__ if f != "_schedule"}
    )
    flows = cashflows(fresh, settlement)  # builds the schedules
    yields = yield_from_price(flows, clean)
    measures = risk(flows, yields)
    return yields, measures.modified, measures.convexity


def quantlib(
    bonds: BondArray, settlement: np.ndarray, clean: np.ndarray, codes: list[str]
) -> tuple[np.ndarray, ...]:
    n = len(bonds)
    out = np.empty((3, n))
    settle = to_date(settlement[0])
    settle_ql = ql.Date(settle.day, settle.month, settle.year)
    ql.Settings.instance().evaluationDate = settle_ql
    rules = (ql.DateGeneration.Backward, ql.DateGeneration.Backward)
    for i in range(n):
        issue, maturity = to_date(bonds.issue[i]), to_date(bonds.maturity[i])
        frequency = int(bonds.frequency[i])
        schedule = ql.Schedule(
            ql.Date(issue.day, issue.month, issue.year),
            ql.Date(maturity.day, maturity.month, maturity.year),
            ql.Period(12 // frequency, ql.Months),
            ql.NullCalendar(),
            ql.Unadjusted,
            ql.Unadjusted,
            rules[int(bonds.stub[i])],
            False,
        )
        if bonds.stub[i] == 1 and len(schedule) > 3 and not schedule.isRegular(1):
            schedule = ql.Schedule(
                schedule[0],
                schedule[len(schedule) - 1],
                ql.Period(12 // frequency, ql.Months),
                ql.NullCalendar(),
                ql.Unadjusted,
                ql.Unadjusted,
                ql.DateGeneration.Backward,
                False,
                schedule[2],
            )
        dc = DAY_COUNTS[codes[i]]
        bond = ql.FixedRateBond(0, 100.0, schedule, [float(bonds.coupon[i])], dc)
        price = ql.BondPrice(float(clean[i]), ql.BondPrice.Clean)
        y = ql.BondFunctions.bondYield(
            bond, price, dc, ql.Compounded, frequency, settle_ql, 1e-12, 100, 0.05
        )
        out[0, i] = y
        out[1, i] = ql.BondFunctions.duration(
            bond, y, dc, ql.Compounded, frequency, ql.Duration.Modified, settle_ql
        )
        out[2, i] = ql.BondFunctions.convexity(bond, y, dc, ql.Compounded, frequency, settle_ql)
    return out[0], out[1], out[2]


def timed(run: Callable[[], Results], repeat: int) -> tuple[Results, float]:
    """The result of ``run`` and its best wall time over ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return result, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bonds", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each side; the best time counts"
    )
    args = parser.parse_args()
    bonds, settlement, clean, codes = random_bonds(args.bonds, args.seed)

    ours(bonds, settlement, clean)  # warm-up (imports, first calls)
    mine, best = timed(lambda: ours(bonds, settlement, clean), args.repeat)
    theirs, best_ql = timed(lambda: quantlib(bonds, settlement, clean, codes), args.repeat)

    n = args.bonds
    print(
        f"bonds: {n}, seed: {args.seed} (yield, modified duration, convexity; schedules included)"
    )
    print(
        f"liquibond array path: {best * 1e3:9.1f} ms  {n / best:12,.0f} bonds/s"
        f" (best of {args.repeat})"
    )
    print(
        f"QuantLib per bond:    {best_ql * 1e3:9.1f} ms  {n / best_ql:12,.0f} bonds/s"
        f" (best of {args.repeat})"
    )
    print(f"speed-up: {best_ql / best:.1f}x")
    for name, a, b in zip(("yield", "modified duration", "convexity"), mine, theirs, strict=True):
        print(f"max |difference| {name:18s} {np.max(np.abs(a - b)):.2e}")


if __name__ == "__main__":
    main()
