"""Property tests: random command streams against invariants and a naive reference matcher."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liquibond.trading.engine import Book, Command, Event, Side

from .helpers import Ledger, limit, queue, run
from .reference import RefBook, effects_of
from .strategies import command_streams

_CALM = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=_CALM)
LIGHT = settings(SETTINGS, max_examples=120)


def _canonical(book: Book) -> list[tuple[object, ...]]:
    return [
        (
            s.order_id,
            s.side,
            s.price,
            s.qty,
            s.leaves_qty,
            s.shown_qty,
            s.filled_qty,
            s.cancelled_qty,
            s.status,
        )
        for s in book.snapshot()
    ]


@SETTINGS
@given(command_streams())
def test_engine_agrees_with_the_reference_matcher(commands: list[Command]) -> None:
    """Price-time priority, icebergs, STP, stops, FOK/min-qty, replace, expiry: same
    effects in the same order, and the same live orders, as the naive model."""
    book, ref = Book(), RefBook()
    for i, c in enumerate(commands):
        got = effects_of(book.apply(c))
        want = ref.apply(c)
        assert got == want, f"command {i}: {c}"
        assert _canonical(book) == ref.canonical(), f"after command {i}: {c}"
        assert book.last_price == ref.last


@SETTINGS
@given(command_streams())
def test_invariants_hold_after_every_command(commands: list[Command]) -> None:
    """Never crossed at rest, internal structure sound, quantity conserved per order,
    no self-trade, gap-free sequence numbers, and the L2 deltas rebuild depth()."""
    book = Book()
    ledger = Ledger()
    for c in commands:
        events = book.apply(c)
        book.audit()
        bb, ba = book.best_bid, book.best_ask
        assert bb is None or ba is None or bb < ba
        ledger.feed(book, events)


@LIGHT
@given(command_streams())
def test_replay_is_deterministic(commands: list[Command]) -> None:
    first, second = Book(), Book()
    events_1 = run(first, commands)
    events_2 = run(second, commands)
    assert events_1 == events_2
    assert first.state_hash() == second.state_hash()
    assert first.seq == second.seq and first.trade_seq == second.trade_seq


@SETTINGS
@given(command_streams(min_size=2), st.data())
def test_restore_from_resting_orders_is_indistinguishable(
    commands: list[Command], data: st.DataObject
) -> None:
    """Rebuild a book mid-stream from its live orders (in shuffled order): same hash,
    and the rest of the stream gives exactly the same events on both."""
    cut = data.draw(st.integers(0, len(commands)))
    book = Book("X")
    run(book, commands[:cut])
    snaps = data.draw(st.permutations(book.snapshot()))
    restored = Book.restore(
        snaps, instrument="X", last_price=book.last_price, seq=book.seq, trade_seq=book.trade_seq
    )
    restored.audit()
    assert restored.state_hash() == book.state_hash()
    assert restored.snapshot() == book.snapshot()
    assert restored.depth() == book.depth()
    tail_1: list[list[Event]] = run(book, commands[cut:])
    tail_2: list[list[Event]] = run(restored, commands[cut:])
    assert tail_1 == tail_2
    assert restored.state_hash() == book.state_hash()


@settings(SETTINGS, max_examples=60)
@given(command_streams(plain=True, max_size=60))
def test_state_hash_tracks_state(commands: list[Command]) -> None:
    """Equal hashes for equal books, different hashes once one book gets one more order."""
    a, b = Book(), Book()
    run(a, commands)
    run(b, commands)
    assert a.state_hash() == b.state_hash()
    b.apply(limit(10_000, Side.BUY, 1, 1))  # far below the market: rests
    assert a.state_hash() != b.state_hash()


@LIGHT
@given(command_streams(plain=True, max_size=30), st.data())
def test_replace_keeps_or_loses_priority(commands: list[Command], data: st.DataObject) -> None:
    """A smaller size at the same price keeps the queue position; a bigger size or a
    new price sends the order to the back of its (new) level."""
    book = Book()
    run(book, commands)
    live = book.snapshot()
    if not live:
        return
    target = data.draw(st.sampled_from(live))
    price = target.price
    assert price is not None
    before = queue(book, target.side, price)
    pos = before.index(target.order_id)
    choice = data.draw(st.sampled_from(["smaller", "same", "bigger", "price"]))
    if choice in ("smaller", "same"):
        new_qty = target.qty - (
            data.draw(st.integers(0, target.leaves_qty - 1)) if choice == "smaller" else 0
        )
        book.replace(target.order_id, qty=new_qty)
        assert queue(book, target.side, price) == before
        assert queue(book, target.side, price).index(target.order_id) == pos
        snap = book.order(target.order_id)
        assert snap is not None and snap.qty == new_qty
    elif choice == "bigger":
        book.replace(target.order_id, qty=target.qty + data.draw(st.integers(1, 5)))
        after = queue(book, target.side, price)
        assert after == [x for x in before if x != target.order_id] + [target.order_id]
    else:
        # Move away from the touch so the order cannot trade: it must join the back.
        new_price = price - 1 if target.side is Side.BUY else price + 1
        book.replace(target.order_id, price=new_price)
        assert target.order_id not in queue(book, target.side, price)
        assert queue(book, target.side, new_price)[-1] == target.order_id
    book.audit()
