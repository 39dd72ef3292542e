"""The FIFO lots core: worked examples and the invariants of any history."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from liquibond.portfolio.lots import Movement, fifo, share

DAY = date(2026, 1, 5)


def buy(units: int, cost: int, fee: int = 0, ref: str | None = None) -> Movement:
    return Movement(DAY, units, cost, fee, ref)


def sell(units: int, proceeds: int, fee: int = 0, ref: str | None = None) -> Movement:
    return Movement(DAY, -units, proceeds, fee, ref)


def test_sales_take_the_oldest_lots_first() -> None:
    position = fifo(
        [
            buy(100, 10_000_00, 10_00, "A"),
            buy(200, 20_200_00, 20_20, "B"),
            sell(200, 20_400_00, 20_40, "s1"),
            buy(100, 10_050_00, 10_05, "C"),
            sell(200, 19_900_00, 19_90, "s2"),
            buy(100, 10_125_00, 10_13, "D"),
        ]
    )
    first, second = position.disposals
    assert (first.cost, first.pnl, first.fees) == (20_100_00, 300_00, 20_40 + 10_00 + 10_10)
    assert (second.cost, second.pnl, second.fees) == (20_150_00, -250_00, 19_90 + 10_10 + 10_05)
    assert (position.realised_pnl, position.realised_fees) == (50_00, 80_55)
    assert [(lot.reference, lot.units, lot.cost, lot.fee) for lot in position.lots] == [
        ("D", 100, 10_125_00, 10_13)
    ]
    assert position.fees_paid == 10_00 + 20_20 + 20_40 + 10_05 + 19_90 + 10_13


def test_a_lot_split_keeps_the_rest_of_its_cost() -> None:
    position = fifo([buy(3, 100), sell(1, 40), sell(1, 40)])
    assert [d.cost for d in position.disposals] == [33, 34]  # 100/3, then 67/2 half to even
    assert (position.lots[0].units, position.lots[0].cost) == (1, 33)
    assert share(67, 1, 2) == 34 and share(65, 1, 2) == 32 and share(7, 3, 3) == 7


def test_units_without_a_cost_realise_nothing() -> None:
    transferred = Movement(DAY, 100, None)
    position = fifo([transferred, buy(100, 10_000_00), sell(150, 15_300_00, 15_30)])
    (sale,) = position.disposals
    # 100 of the 150 came from the transfer: only 50 are matched against a known cost.
    assert (sale.units, sale.matched_units) == (150, 50)
    assert (sale.proceeds, sale.cost, sale.pnl) == (5_100_00, 5_000_00, 100_00)
    assert (sale.unmatched_proceeds, sale.unmatched_fees) == (10_200_00, 10_20)
    assert (position.units, position.units_without_cost, position.cost) == (50, 0, 5_000_00)

    moved_out = fifo([buy(100, 10_000_00, 10_00), Movement(DAY, -40, None)])
    (out,) = moved_out.disposals
    assert (out.matched_units, out.pnl, out.unmatched_cost, out.unmatched_fees) == (
        0,
        0,
        4_000_00,
        4_00,
    )
    assert (moved_out.units, moved_out.cost, moved_out.realised_pnl) == (60, 6_000_00, 0)


def test_disposing_of_more_than_is_held_is_counted_not_negative() -> None:
    position = fifo([buy(100, 10_000_00), sell(150, 15_000_00)])
    assert (position.units, position.excess_units) == (0, 50)
    (sale,) = position.disposals
    assert (sale.matched_units, sale.proceeds, sale.unmatched_proceeds) == (
        100,
        10_000_00,
        5_000_00,
    )


@st.composite
def histories(draw: st.DrawFn) -> list[Movement]:
    """Acquisitions (bought or transferred in) and disposals (sold or transferred out) that
    never dispose of more than is held."""
    held = 0
    movements: list[Movement] = []
    for step in range(draw(st.integers(0, 30))):
        on = DAY + timedelta(days=step)
        if held == 0 or draw(st.booleans()):
            units = draw(st.integers(1, 1_000))
            traded = draw(st.integers(0, 9)) > 0
            cost = draw(st.integers(1, 10**9)) if traded else None
            fee = draw(st.integers(0, 10**5)) if traded else 0
            movements.append(Movement(on, units, cost, fee, f"in{step}"))
            held += units
        else:
            units = draw(st.integers(1, held))
            sold = draw(st.integers(0, 9)) > 0
            proceeds = draw(st.integers(0, 10**9)) if sold else None
            fee = draw(st.integers(0, 10**5)) if sold else 0
            movements.append(Movement(on, -units, proceeds, fee, f"out{step}"))
            held -= units
    return movements


@given(histories())
def test_fifo_conserves_units_cost_proceeds_and_fees(movements: list[Movement]) -> None:
    position = fifo(movements)
    ins = [m for m in movements if m.units > 0]
    outs = [m for m in movements if m.units < 0]
    disposals = position.disposals

    assert position.excess_units == 0
    assert position.units == sum(m.units for m in movements) >= 0
    assert all(lot.units > 0 for lot in position.lots)
    # Realised cost + cost moved out + cost still held = everything bought.
    bought = sum(m.amount for m in ins if m.amount is not None)
    assert sum(d.cost + d.unmatched_cost for d in disposals) + position.cost == bought
    sold = sum(m.amount for m in outs if m.amount is not None)
    assert sum(d.proceeds + d.unmatched_proceeds for d in disposals) == sold
    fees = sum(m.fee for m in movements)
    assert position.fees_paid == fees
    assert sum(d.fees + d.unmatched_fees for d in disposals) + position.open_fees == fees
    assert position.realised_pnl == sum(d.proceeds for d in disposals) - sum(
        d.cost for d in disposals
    )
    assert all(0 <= d.matched_units <= d.units for d in disposals)
    assert [d.units for d in disposals] == [-m.units for m in outs]
    assert position.units_without_cost == sum(
        lot.units for lot in position.lots if lot.cost is None
    )
    # What is left is the newest units: a tail of the acquisitions, in order.
    references = [m.reference for m in ins]
    kept = [lot.reference for lot in position.lots]
    assert kept == references[len(references) - len(kept) :]
    if position.lots:
        newest = position.lots[1:]
        assert all(
            lot.units == m.units and lot.cost == m.amount and lot.fee == m.fee
            for lot, m in zip(newest, ins[len(ins) - len(newest) :], strict=True)
        )


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**6), st.data())
def test_a_share_is_the_exact_proportion_rounded(
    amount: int, whole: int, data: st.DataObject
) -> None:
    part = data.draw(st.integers(0, whole))
    assert abs(share(amount, part, whole) * whole - amount * part) * 2 <= whole  # ± half a unit
    assert share(amount, whole, whole) == amount and share(amount, 0, whole) == 0
