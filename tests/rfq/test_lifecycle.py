"""The RFQ and quote transition tables, and the dealers' outcomes (pure)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from liquibond.rfq.lifecycle import (
    QUOTE_TRANSITIONS,
    RFQ_TRANSITIONS,
    DealerPrice,
    Outcome,
    QuoteStatus,
    QuoteStep,
    RfqStatus,
    RfqStep,
    Side,
    better,
    cover_price,
    next_quote_status,
    next_rfq_status,
    outcomes,
)


def test_an_ended_rfq_never_moves_again() -> None:
    for status in (RfqStatus.DONE, RfqStatus.EXPIRED, RfqStatus.CANCELLED):
        assert all(next_rfq_status(status, step) is None for step in RfqStep)


def test_only_an_open_rfq_trades_or_holds_and_a_held_one_cannot_expire() -> None:
    assert next_rfq_status(RfqStatus.OPEN, RfqStep.ACCEPT) is RfqStatus.DONE
    assert next_rfq_status(RfqStatus.OPEN, RfqStep.HOLD) is RfqStatus.LAST_LOOK
    assert next_rfq_status(RfqStatus.LAST_LOOK, RfqStep.REJECT) is RfqStatus.OPEN
    assert next_rfq_status(RfqStatus.LAST_LOOK, RfqStep.EXPIRE) is None
    assert next_rfq_status(RfqStatus.LAST_LOOK, RfqStep.CANCEL) is None
    assert {status for status, _ in RFQ_TRANSITIONS} == {RfqStatus.OPEN, RfqStatus.LAST_LOOK}


def test_only_live_or_held_quotes_change() -> None:
    assert {status for status, _ in QUOTE_TRANSITIONS} == {QuoteStatus.LIVE, QuoteStatus.HELD}
    assert next_quote_status(QuoteStatus.HELD, QuoteStep.WITHDRAW) is None  # decide first
    assert next_quote_status(QuoteStatus.FILLED, QuoteStep.FILL) is None  # never twice


def test_the_worked_example() -> None:
    prices = [
        DealerPrice("a", Decimal("100.50")),
        DealerPrice("b", Decimal("100.25")),
        DealerPrice("c", Decimal("100.50")),
        DealerPrice("d", Decimal("101")),
        DealerPrice("e", None),
    ]
    got = outcomes(Side.BUY, "b", Decimal("100.25"), prices)
    assert got == {
        "a": Outcome.COVERED,
        "b": Outcome.DONE,
        "c": Outcome.COVERED,
        "d": Outcome.DONE_AWAY,
        "e": Outcome.DONE_AWAY,
    }
    assert cover_price(Side.BUY, "b", Decimal("100.25"), prices) == Decimal("100.50")


prices_st = st.lists(
    st.one_of(st.none(), st.integers(9_900, 10_100).map(lambda c: Decimal(c) / 100)),
    min_size=1,
    max_size=8,
)


@given(prices_st, st.sampled_from(Side), st.data())
def test_outcomes_invariants(raw: list[Decimal | None], side: Side, data: st.DataObject) -> None:
    dealers = [DealerPrice(f"d{i}", price) for i, price in enumerate(raw)]
    quoted = [d for d in dealers if d.price is not None]
    if not quoted:
        return
    winner = data.draw(st.sampled_from(quoted))
    assert winner.price is not None
    got = outcomes(side, winner.dealer, winner.price, dealers)
    assert set(got) == {d.dealer for d in dealers}
    assert [d for d, o in got.items() if o is Outcome.DONE] == [winner.dealer]
    for d in dealers:
        if d.dealer == winner.dealer:
            continue
        if got[d.dealer] is Outcome.TIED:
            assert d.price == winner.price
        if d.price is None:
            assert got[d.dealer] is Outcome.DONE_AWAY
    covered = {d.price for d in dealers if got[d.dealer] is Outcome.COVERED}
    assert len(covered) <= 1  # one cover price
    if covered:
        [cover] = covered
        assert cover is not None
        # Nobody else (but the winner and the tied) had a better price than the cover.
        for d in dealers:
            if d.price is not None and got[d.dealer] is Outcome.DONE_AWAY:
                assert not better(side, d.price, cover)
    best = cover_price(side, winner.dealer, winner.price, dealers)
    others = [d.price for d in dealers if d.dealer != winner.dealer and d.price is not None]
    assert best == (None if not others else (min(others) if side is Side.BUY else max(others)))
