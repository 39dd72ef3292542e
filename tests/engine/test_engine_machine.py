"""A hypothesis state machine driving the book and the reference model side by side.

Rules pick commands that aim at order ids the machine has seen, so cancels and
replaces mostly hit live orders; invariants run after every step.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

from liquibond.trading.engine import (
    AccountId,
    Book,
    CancelAll,
    CancelOrder,
    Command,
    Expire,
    NewOrder,
    OrderId,
    OrderType,
    ReplaceOrder,
    Side,
    StpMode,
    TimeInForce,
)

from .helpers import Ledger
from .reference import RefBook, effects_of

prices = st.integers(97, 103)
qtys = st.integers(1, 9)
accounts = st.integers(1, 3).map(AccountId)
sides = st.sampled_from([Side.BUY, Side.SELL])
stps = st.sampled_from(list(StpMode))


class BookMachine(RuleBasedStateMachine):
    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.book = Book("M")
        self.ref = RefBook()
        self.ledger = Ledger()
        self.next_id = 1
        self.clock = 0
        self.hashes: list[str] = []
        self.commands: list[Command] = []

    def _apply(self, command: Command) -> None:
        events = self.book.apply(command)
        assert effects_of(events) == self.ref.apply(command), command
        self.ledger.feed(self.book, events)
        self.commands.append(command)

    def _fresh(self) -> OrderId:
        oid = OrderId(self.next_id)
        self.next_id += 1
        return oid

    @rule(target=ids, side=sides, qty=qtys, price=prices, account=accounts, stp=stps,
          tif=st.sampled_from([TimeInForce.GTC, TimeInForce.GTC, TimeInForce.DAY, TimeInForce.IOC]),
          display=st.none() | st.integers(1, 3), post_only=st.booleans())  # fmt: skip
    def limit(self, side: Side, qty: int, price: int, account: AccountId, stp: StpMode,
              tif: TimeInForce, display: int | None, post_only: bool) -> OrderId:  # fmt: skip
        oid = self._fresh()
        resting = tif is not TimeInForce.IOC
        self._apply(
            NewOrder(
                oid, account, side, qty, price=price, tif=tif, stp=stp,
                expire_at=self.clock + 2 if tif is TimeInForce.DAY else None,
                display_qty=min(display, qty) if display else None,
                post_only=post_only and resting,
            )
        )  # fmt: skip
        return oid

    @rule(
        side=sides,
        qty=qtys,
        account=accounts,
        stp=stps,
        fok=st.booleans(),
        min_qty=st.none() | qtys,
    )
    def market(
        self, side: Side, qty: int, account: AccountId, stp: StpMode, fok: bool, min_qty: int | None
    ) -> None:
        self._apply(
            NewOrder(
                self._fresh(), account, side, qty, order_type=OrderType.MARKET, stp=stp,
                tif=TimeInForce.FOK if fok else TimeInForce.IOC,
                min_qty=min(min_qty, qty) if min_qty else None,
            )
        )  # fmt: skip

    @rule(
        target=ids,
        side=sides,
        qty=qtys,
        stop_price=prices,
        limit_price=st.none() | prices,
        account=accounts,
    )
    def stop(
        self, side: Side, qty: int, stop_price: int, limit_price: int | None, account: AccountId
    ) -> OrderId:
        oid = self._fresh()
        otype = OrderType.STOP if limit_price is None else OrderType.STOP_LIMIT
        self._apply(
            NewOrder(
                oid, account, side, qty, price=limit_price, order_type=otype, stop_price=stop_price
            )
        )
        return oid

    @rule(oid=consumes(ids), by_owner=st.booleans(), account=accounts)
    def cancel(self, oid: OrderId, by_owner: bool, account: AccountId) -> None:
        self._apply(CancelOrder(oid, None if by_owner else account))

    @rule(oid=ids, qty=st.none() | st.integers(1, 12), price=st.none() | prices)
    def replace(self, oid: OrderId, qty: int | None, price: int | None) -> None:
        self._apply(ReplaceOrder(oid, qty=qty, price=price))

    @precondition(lambda self: len(self.book) >= 8)  # rare: it empties the book
    @rule(account=st.none() | accounts)
    def mass_cancel(self, account: AccountId | None) -> None:
        self._apply(CancelAll(account))

    @rule(step=st.integers(1, 3))
    def tick(self, step: int) -> None:
        self.clock += step
        self._apply(Expire(self.clock))

    @invariant()
    def book_is_sound(self) -> None:
        self.book.audit()
        bb, ba = self.book.best_bid, self.book.best_ask
        assert bb is None or ba is None or bb < ba

    @invariant()
    def agrees_with_reference(self) -> None:
        rows = [
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
            for s in self.book.snapshot()
        ]
        assert rows == self.ref.canonical()

    @invariant()
    def restore_gives_the_same_hash(self) -> None:
        restored = Book.restore(
            self.book.snapshot(),
            last_price=self.book.last_price,
            seq=self.book.seq,
            trade_seq=self.book.trade_seq,
        )
        assert restored.state_hash() == self.book.state_hash()

    def teardown(self) -> None:
        # Replaying every command into a fresh book gives the same final state.
        replay = Book("M")
        for c in self.commands:
            replay.apply(c)
        assert replay.state_hash() == self.book.state_hash()


BookMachine.TestCase.settings = settings(
    max_examples=250,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
TestBookMachine = BookMachine.TestCase
