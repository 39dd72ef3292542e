"""Property tests: the contracts against a plain-Python model of their rules.

A hypothesis state machine registers and removes wallets, mints, burns,
transfers, forces transfers, freezes, pauses, recovers wallets and settles
trades (single and batched, with replayed ids), on the bond and the cash token.
Every operation is predicted by the model first: it must succeed exactly when
the model says so (and `canTransfer` must give the model's reason code), and
after every step:

- each token's total supply equals the sum of all balances;
- no wallet outside the identity registry ever gained tokens;
- balances and frozen tokens equal the model's, and a settlement id is spent
  exactly when the model settled it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import boa
import pytest
from boa.contracts.abi.abi_contract import ABIContract
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from .chain import INDIA, ZERO, System, investor_id, settlement_id

WALLETS = 6  # wallet i belongs to investor i % 4 + 1: wallets 0 and 4 (1 and 5) share one
TOKENS = ("bond", "cash")
CATEGORY_MASKS = (2**256 - 1, 0b0110, 0b0010)
IDS = 12  # settlement ids 0..11: random trades reuse them, clean ones take fresh ones

wallets = st.integers(0, WALLETS - 1)
tokens = st.sampled_from(TOKENS)
amounts = st.integers(0, 120)
categories = st.integers(1, 3)


@dataclass
class TokenModel:
    balance: list[int] = field(default_factory=lambda: [0] * WALLETS)
    frozen_tokens: list[int] = field(default_factory=lambda: [0] * WALLETS)
    frozen: list[bool] = field(default_factory=lambda: [False] * WALLETS)
    paused: bool = False
    mask: int = 2**256 - 1


@dataclass
class Model:
    category: list[int | None]  # None: not in the registry
    tokens: dict[str, TokenModel]
    settled: set[int] = field(default_factory=set)

    def code(self, name: str, a: int, b: int, amount: int) -> int:
        """canTransfer's reason code, by the documented rules in their order."""
        t = self.tokens[name]
        category = self.category[b]
        if t.paused:
            return 1
        if t.frozen[a]:
            return 2
        if t.frozen[b]:
            return 3
        if self.category[a] is None:
            return 4
        if category is None:
            return 5
        if not (t.mask >> category) & 1:
            return 6
        if t.balance[a] < amount:
            return 7
        if t.balance[a] - t.frozen_tokens[a] < amount:
            return 8
        return 0

    def move(self, name: str, a: int, b: int, amount: int) -> None:
        t = self.tokens[name]
        t.balance[a] -= amount
        t.balance[b] += amount

    def release(self, name: str, a: int, amount: int) -> None:
        """The agent takes `amount` out of wallet `a`: unfreeze any shortfall."""
        t = self.tokens[name]
        free = t.balance[a] - t.frozen_tokens[a]
        if amount > free:
            t.frozen_tokens[a] -= amount - free

    def settle(self, trade: tuple[int, int, int, int, int]) -> bool:
        """Apply one settlement if it may happen; False if it must revert."""
        n, seller, buyer, units, cash = trade
        if n in self.settled or self.code("bond", seller, buyer, units) != 0:
            return False
        self.move("bond", seller, buyer, units)
        if cash:
            if self.code("cash", buyer, seller, cash) != 0:
                return False
            self.move("cash", buyer, seller, cash)
        self.settled.add(n)
        return True


class ChainMachine(RuleBasedStateMachine):
    system: System
    addresses: list[str]

    def __init__(self) -> None:
        super().__init__()
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        s = self.system
        self.contracts: dict[str, ABIContract] = {"bond": s.bond, "cash": s.cash}
        self.model = Model(
            category=[
                s.registry.investorCategory(w) if s.registry.isVerified(w) else None
                for w in self.addresses
            ],
            tokens={name: TokenModel() for name in TOKENS},
        )
        for name, token in self.contracts.items():
            self.model.tokens[name].balance = [token.balanceOf(w) for w in self.addresses]
        self.seen = [tm.balance[:] for tm in self.model.tokens.values()]

    def teardown(self) -> None:
        self._anchor.__exit__(None, None, None)

    # -------------------------------------------------------------- helpers

    def attempt(self, ok: bool, call: Any, *args: Any, sender: str | None = None) -> None:
        """Call as the agent (or `sender`); it must succeed exactly when `ok`."""
        with boa.env.prank(sender or self.system.agent):
            if ok:
                call(*args)
            else:
                with boa.reverts():
                    call(*args)

    def trade(self, trade: tuple[int, int, int, int, int]) -> tuple[Any, ...]:
        n, seller, buyer, units, cash = trade
        return (
            settlement_id(n),
            self.system.bond.address,
            self.addresses[seller],
            self.addresses[buyer],
            units,
            self.system.cash.address if cash else ZERO,
            cash,
        )

    # -------------------------------------------------------------- registry

    @rule(w=wallets, category=categories)
    def register(self, w: int, category: int) -> None:
        ok = self.model.category[w] is None
        self.attempt(
            ok,
            self.system.registry.registerIdentity,
            self.addresses[w],
            investor_id(w % 4 + 1),
            INDIA,
            category,
        )
        if ok:
            self.model.category[w] = category

    @rule(w=wallets, category=categories)
    def update(self, w: int, category: int) -> None:
        ok = self.model.category[w] is not None
        self.attempt(ok, self.system.registry.updateIdentity, self.addresses[w], INDIA, category)
        if ok:
            self.model.category[w] = category

    @rule(w=wallets)
    def delete(self, w: int) -> None:
        ok = self.model.category[w] is not None
        self.attempt(ok, self.system.registry.deleteIdentity, self.addresses[w])
        self.model.category[w] = None

    # -------------------------------------------------------------- tokens

    @rule(name=tokens, a=wallets, b=wallets, amount=amounts)
    def transfer(self, name: str, a: int, b: int, amount: int) -> None:
        code = self.model.code(name, a, b, amount)
        token = self.contracts[name]
        assert token.canTransfer(self.addresses[a], self.addresses[b], amount) == (code == 0, code)
        self.attempt(code == 0, token.transfer, self.addresses[b], amount, sender=self.addresses[a])
        if code == 0:
            self.model.move(name, a, b, amount)

    @rule(name=tokens, b=wallets, amount=amounts)
    def mint(self, name: str, b: int, amount: int) -> None:
        category = self.model.category[b]
        ok = category is not None and bool((self.model.tokens[name].mask >> category) & 1)
        self.attempt(ok, self.contracts[name].mint, self.addresses[b], amount)
        if ok:
            self.model.tokens[name].balance[b] += amount

    @rule(name=tokens, a=wallets, data=st.data())
    def burn(self, name: str, a: int, data: st.DataObject) -> None:
        amount = data.draw(st.integers(0, self.model.tokens[name].balance[a] + 3), label="amount")
        self.burn_amount(name, a, amount)

    def burn_amount(self, name: str, a: int, amount: int) -> None:
        t = self.model.tokens[name]
        ok = t.balance[a] >= amount
        self.attempt(ok, self.contracts[name].burn, self.addresses[a], amount)
        if ok:
            self.model.release(name, a, amount)
            t.balance[a] -= amount

    @rule(name=tokens, a=wallets, b=wallets, amount=amounts)
    def forced_transfer(self, name: str, a: int, b: int, amount: int) -> None:
        ok = self.model.category[b] is not None and self.model.tokens[name].balance[a] >= amount
        self.attempt(
            ok, self.contracts[name].forcedTransfer, self.addresses[a], self.addresses[b], amount
        )
        if ok:
            self.model.release(name, a, amount)
            self.model.move(name, a, b, amount)

    @rule(name=tokens, lost=wallets, new=wallets)
    def recover(self, name: str, lost: int, new: int) -> None:
        t, category = self.model.tokens[name], self.model.category
        ok = (
            lost != new
            and t.balance[lost] > 0
            and category[new] is not None
            and (category[lost] is None or lost % 4 == new % 4)
        )
        self.attempt(
            ok, self.contracts[name].recoveryAddress, self.addresses[lost], self.addresses[new]
        )
        if ok:
            t.balance[new] += t.balance[lost]
            t.balance[lost] = 0
            t.frozen_tokens[new] += t.frozen_tokens[lost]
            t.frozen_tokens[lost] = 0
            t.frozen[new] = t.frozen[new] or t.frozen[lost]

    @rule(name=tokens, lost=st.sampled_from([0, 1, 4, 5]))
    def recover_to_the_investors_other_wallet(self, name: str, lost: int) -> None:
        new = (lost + 4) % 8  # 0 <-> 4 and 1 <-> 5 belong to the same investor
        if self.model.category[new] is None:
            self.register(new, 1)
        self.recover(name, lost, new)

    @rule(name=tokens, w=wallets, freeze=st.booleans())
    def freeze_address(self, name: str, w: int, freeze: bool) -> None:
        self.attempt(True, self.contracts[name].setAddressFrozen, self.addresses[w], freeze)
        self.model.tokens[name].frozen[w] = freeze

    @rule(name=tokens, w=wallets, data=st.data())
    def freeze_tokens(self, name: str, w: int, data: st.DataObject) -> None:
        t = self.model.tokens[name]
        amount = data.draw(st.integers(0, t.balance[w] - t.frozen_tokens[w] + 3), label="amount")
        self.freeze_amount(name, w, amount)

    def freeze_amount(self, name: str, w: int, amount: int) -> None:
        t = self.model.tokens[name]
        ok = t.frozen_tokens[w] + amount <= t.balance[w]
        self.attempt(ok, self.contracts[name].freezePartialTokens, self.addresses[w], amount)
        if ok:
            t.frozen_tokens[w] += amount

    @rule(name=tokens, w=wallets, to=wallets, burn=st.booleans(), data=st.data())
    def take_frozen_tokens(
        self, name: str, w: int, to: int, burn: bool, data: st.DataObject
    ) -> None:
        """The agent burns or forces out more than the unfrozen part of a
        partly frozen balance (a redemption, a court order)."""
        t = self.model.tokens[name]
        if t.balance[w] == 0:
            return
        keep = data.draw(st.integers(0, t.balance[w] - t.frozen_tokens[w]), label="keep free")
        self.freeze_amount(name, w, t.balance[w] - t.frozen_tokens[w] - keep)
        if t.frozen_tokens[w] == 0:
            return
        amount = keep + data.draw(st.integers(1, t.frozen_tokens[w]), label="into frozen")
        if burn:
            self.burn_amount(name, w, amount)
        else:
            self.forced_transfer(name, w, to, amount)

    @rule(name=tokens, w=wallets, data=st.data())
    def unfreeze_tokens(self, name: str, w: int, data: st.DataObject) -> None:
        t = self.model.tokens[name]
        amount = data.draw(st.integers(0, t.frozen_tokens[w] + 3), label="amount")
        ok = t.frozen_tokens[w] >= amount
        self.attempt(ok, self.contracts[name].unfreezePartialTokens, self.addresses[w], amount)
        if ok:
            t.frozen_tokens[w] -= amount

    @rule(name=tokens)
    def pause_or_unpause(self, name: str) -> None:
        t = self.model.tokens[name]
        self.attempt(True, self.contracts[name].unpause if t.paused else self.contracts[name].pause)
        t.paused = not t.paused

    @rule(name=tokens, mask=st.sampled_from(CATEGORY_MASKS))
    def set_categories(self, name: str, mask: int) -> None:
        self.attempt(
            True, self.contracts[name].setAllowedCategories, mask, sender=self.system.admin
        )
        self.model.tokens[name].mask = mask

    # -------------------------------------------------------------- DvP

    trades = st.tuples(
        st.integers(0, IDS - 1), wallets, wallets, st.integers(1, 60), st.sampled_from([0, 1, 500])
    )

    def clean_trades(self, data: st.DataObject, count: int) -> list[tuple[int, int, int, int, int]]:
        """Up to `count` trades the model says can settle one after the other
        (with fresh ids), so that successful settlements are common too."""
        model, batch = copy.deepcopy(self.model), []
        for _ in range(count):
            unused = [n for n in range(IDS) if n not in model.settled]
            cash = data.draw(st.sampled_from([0, 1, 500]), label="cash")
            pairs = [
                (a, b)
                for a in range(WALLETS)
                for b in range(WALLETS)
                if model.code("bond", a, b, 1) == 0
                and (cash == 0 or model.code("cash", b, a, cash) == 0)
            ]
            if not pairs or not unused:
                break
            seller, buyer = data.draw(st.sampled_from(pairs), label="pair")
            t = model.tokens["bond"]
            units = data.draw(
                st.integers(1, t.balance[seller] - t.frozen_tokens[seller]), label="units"
            )
            trade = (unused[0], seller, buyer, units, cash)
            if model.settle(trade):
                batch.append(trade)
        return batch

    @rule(trade=trades)
    def settle(self, trade: tuple[int, int, int, int, int]) -> None:
        after = copy.deepcopy(self.model)
        ok = after.settle(trade)
        self.attempt(ok, self.system.dvp.settle, self.trade(trade))
        if ok:
            self.model = after
        self.check_settled([trade])

    @rule(data=st.data())
    def settle_clean(self, data: st.DataObject) -> None:
        for trade in self.clean_trades(data, 1):
            self.settle(trade)

    @rule(data=st.data())
    def settle_clean_batch(self, data: st.DataObject) -> None:
        batch = self.clean_trades(data, data.draw(st.integers(1, 4), label="size"))
        if batch:
            self.settle_batch(batch)

    @rule(batch=st.lists(trades, min_size=1, max_size=3))
    def settle_batch(self, batch: list[tuple[int, int, int, int, int]]) -> None:
        after = copy.deepcopy(self.model)
        ok = all(after.settle(trade) for trade in batch)
        self.attempt(ok, self.system.dvp.settleBatch, [self.trade(trade) for trade in batch])
        if ok:
            self.model = after
        self.check_settled(batch)

    def check_settled(self, trades: list[tuple[int, int, int, int, int]]) -> None:
        """A settlement id is spent exactly when the model settled it."""
        for n in {trade[0] for trade in trades}:
            assert self.system.dvp.isSettled(settlement_id(n)) == (n in self.model.settled)

    # -------------------------------------------------------------- invariants

    @invariant()
    def supply_is_the_sum_of_balances_and_balances_match_the_model(self) -> None:
        for i, (name, token) in enumerate(self.contracts.items()):
            t = self.model.tokens[name]
            balances = [token.balanceOf(w) for w in self.addresses]
            assert token.totalSupply() == sum(balances)
            assert balances == t.balance
            assert [token.getFrozenTokens(w) for w in self.addresses] == t.frozen_tokens
            assert all(f <= b for f, b in zip(t.frozen_tokens, balances, strict=True))
            # No wallet outside the registry ever gains tokens.
            for w, (now, before) in enumerate(zip(balances, self.seen[i], strict=True)):
                if self.model.category[w] is None:
                    assert now <= before, f"unverified wallet {w} gained {name}"
            self.seen[i] = balances


@pytest.fixture(scope="module")
def machine_world(system: System) -> list[str]:
    """Six wallets: 0-3 verified (categories 1, 1, 2, 3), holding bonds and cash; 4-5 not."""
    addresses = [str(boa.env.generate_address(f"prop{i}")) for i in range(WALLETS)]
    with boa.env.anchor():
        for i, wallet in enumerate(addresses[:4]):
            system.register(wallet, i % 4 + 1, (1, 1, 2, 3)[i])
            system.mint(system.bond, wallet, 100)
            system.mint(system.cash, wallet, 5_000)
        ChainMachine.system = system
        ChainMachine.addresses = addresses
        yield addresses


def test_the_contracts_follow_the_model(machine_world: list[str]) -> None:
    run_state_machine_as_test(
        ChainMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            # No "explain" phase: on a failure it replays each step many times
            # (minutes here); the shrunk failing case is printed all the same.
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        ),
    )
