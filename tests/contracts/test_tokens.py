"""BondToken and CashToken: every transfer rule, reason code and agent power.

Both tokens share the `permissioned_token` module, so most tests run on both.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import boa
import pytest
from boa.contracts.abi.abi_contract import ABIContract

from .chain import (
    AGENT_ROLE,
    DOC_HASH,
    DOC_URI,
    INDIA,
    INSTITUTIONAL,
    INSUFFICIENT_BALANCE,
    INSUFFICIENT_UNFROZEN_BALANCE,
    OK,
    PAUSED,
    RECEIVER_CATEGORY_NOT_ALLOWED,
    RECEIVER_FROZEN,
    RECEIVER_NOT_VERIFIED,
    RETAIL,
    SENDER_FROZEN,
    SENDER_NOT_VERIFIED,
    SETTLEMENT_ROLE,
    ZERO,
    System,
    deploy,
    events,
    investor_id,
    restricted,
)

MISSING_ROLE = "roles: account is missing role"


@pytest.fixture(params=["bond", "cash"])
def token(request: pytest.FixtureRequest, system: System) -> ABIContract:
    contract: ABIContract = getattr(system, request.param)
    return contract


def new_wallet(label: str) -> str:
    return str(boa.env.generate_address(label))


def as_agent(system: System) -> AbstractContextManager[None]:
    return boa.env.prank(system.agent)


# ---------------------------------------------------------------- metadata


def test_metadata(system: System) -> None:
    assert system.bond.name() == "7.26% GOI 2033 (IN0020230085)"
    assert system.bond.symbol() == "GS2033"
    assert system.bond.decimals() == 0
    assert (system.cash.name(), system.cash.symbol(), system.cash.decimals()) == (
        "Liquibond INR",
        "LBINR",
        2,
    )
    assert system.bond.identityRegistry() == system.registry.address
    assert system.bond.MAX_BATCH() == 500


def test_offer_document_hash_and_uri(system: System, admin: str) -> None:
    bond = system.bond
    assert bond.offerDocument() == (DOC_HASH, DOC_URI)
    assert (bond.offerDocumentHash(), bond.offerDocumentURI()) == (DOC_HASH, DOC_URI)

    addendum = b"\x42" * 32
    with boa.env.prank(admin):
        bond.setOfferDocument(addendum, "ipfs://bafy-addendum")
    assert events(bond) == [
        {
            "event": "OfferDocumentUpdated",
            "address": bond.address,
            "documentHash": addendum,
            "uri": "ipfs://bafy-addendum",
        }
    ]
    assert bond.offerDocument() == (addendum, "ipfs://bafy-addendum")
    for caller in (system.agent, new_wallet("x")):
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            bond.setOfferDocument(DOC_HASH, DOC_URI)


# ---------------------------------------------------------------- transfers


def test_a_transfer_between_verified_wallets(token: ABIContract, investors: list[str]) -> None:
    alice, bob = investors[0], investors[1]
    before = token.balanceOf(alice), token.balanceOf(bob), token.totalSupply()
    assert token.canTransfer(alice, bob, 300) == (True, OK)
    with boa.env.prank(alice):
        assert token.transfer(bob, 300)
    assert events(token) == [
        {
            "event": "Transfer",
            "address": token.address,
            "sender": alice,
            "receiver": bob,
            "value": 300,
        }
    ]
    assert token.balanceOf(alice) == before[0] - 300
    assert token.balanceOf(bob) == before[1] + 300
    assert token.totalSupply() == before[2]


def paused(s: System, sender: str, receiver: str) -> None:
    with boa.env.prank(s.agent):
        s.bond.pause()
        s.cash.pause()


def sender_frozen(s: System, sender: str, receiver: str) -> None:
    with boa.env.prank(s.agent):
        s.bond.setAddressFrozen(sender, True)
        s.cash.setAddressFrozen(sender, True)


def receiver_frozen(s: System, sender: str, receiver: str) -> None:
    with boa.env.prank(s.agent):
        s.bond.setAddressFrozen(receiver, True)
        s.cash.setAddressFrozen(receiver, True)


def sender_unverified(s: System, sender: str, receiver: str) -> None:
    with boa.env.prank(s.agent):
        s.registry.deleteIdentity(sender)


def receiver_unverified(s: System, sender: str, receiver: str) -> None:
    with boa.env.prank(s.agent):
        s.registry.deleteIdentity(receiver)


def receiver_category(s: System, sender: str, receiver: str) -> None:
    with boa.env.prank(s.admin):
        s.bond.setAllowedCategories(1 << INSTITUTIONAL)
        s.cash.setAllowedCategories(1 << INSTITUTIONAL)


def partly_frozen(s: System, sender: str, receiver: str) -> None:
    with boa.env.prank(s.agent):
        s.bond.freezePartialTokens(sender, s.bond.balanceOf(sender) - 10)
        s.cash.freezePartialTokens(sender, s.cash.balanceOf(sender) - 10)


RULES: list[tuple[int, Callable[[System, str, str], None], int]] = [
    (PAUSED, paused, 1),
    (SENDER_FROZEN, sender_frozen, 1),
    (RECEIVER_FROZEN, receiver_frozen, 1),
    (SENDER_NOT_VERIFIED, sender_unverified, 1),
    (RECEIVER_NOT_VERIFIED, receiver_unverified, 1),
    (RECEIVER_CATEGORY_NOT_ALLOWED, receiver_category, 1),
    (INSUFFICIENT_BALANCE, lambda s, a, b: None, 10**12),
    (INSUFFICIENT_UNFROZEN_BALANCE, partly_frozen, 11),
]


@pytest.mark.parametrize(
    ("code", "breach", "amount"), RULES, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_each_rule_refuses_a_transfer_with_its_reason_code(
    system: System,
    token: ABIContract,
    investors: list[str],
    code: int,
    breach: Callable[[System, str, str], None],
    amount: int,
) -> None:
    alice, bob = investors[0], investors[1]  # both retail
    assert token.canTransfer(alice, bob, amount if code != INSUFFICIENT_BALANCE else 1) == (
        True,
        OK,
    )
    breach(system, alice, bob)
    assert token.canTransfer(alice, bob, amount) == (False, code)
    balances = token.balanceOf(alice), token.balanceOf(bob)
    with boa.env.prank(alice), boa.reverts(restricted(code)):
        token.transfer(bob, amount)
    with boa.env.prank(alice), boa.reverts(restricted(code)):
        token.batchTransfer([bob], [amount])
    with boa.env.prank(alice):
        token.approve(investors[2], amount)
    with boa.env.prank(investors[2]), boa.reverts(restricted(code)):
        token.transferFrom(alice, bob, amount)
    assert (token.balanceOf(alice), token.balanceOf(bob)) == balances


def test_the_first_failing_rule_is_reported(system: System, investors: list[str]) -> None:
    alice, outsider = investors[0], new_wallet("x")
    bond = system.bond
    with boa.env.prank(system.agent):
        bond.setAddressFrozen(alice, True)
    assert bond.canTransfer(alice, outsider, 10**9) == (False, SENDER_FROZEN)
    with boa.env.prank(system.agent):
        bond.pause()
    assert bond.canTransfer(alice, outsider, 10**9) == (False, PAUSED)


def test_nothing_reaches_a_wallet_outside_the_registry(
    system: System, token: ABIContract, investors: list[str], outsider: str
) -> None:
    alice = investors[0]
    assert token.canTransfer(alice, outsider, 1) == (False, RECEIVER_NOT_VERIFIED)
    assert token.canTransfer(alice, ZERO, 1) == (False, RECEIVER_NOT_VERIFIED)
    assert token.canTransfer(alice, token.address, 1) == (False, RECEIVER_NOT_VERIFIED)
    with boa.env.prank(alice), boa.reverts(restricted(RECEIVER_NOT_VERIFIED)):
        token.transfer(outsider, 1)
    with as_agent(system):
        with boa.reverts("token: receiver not verified"):
            token.mint(outsider, 1)
        with boa.reverts("token: receiver not verified"):
            token.forcedTransfer(alice, outsider, 1)
        with boa.reverts("token: new wallet not verified"):
            token.recoveryAddress(alice, outsider)
    assert token.balanceOf(outsider) == 0


def test_receiver_categories(system: System, admin: str, investors: list[str]) -> None:
    bond, alice, institution = system.bond, investors[0], investors[3]
    assert bond.allowedCategories() == 2**256 - 1
    with boa.env.prank(admin):
        bond.setAllowedCategories(1 << INSTITUTIONAL)
    assert events(bond) == [
        {"event": "AllowedCategoriesUpdated", "address": bond.address, "allowedCategories": 8}
    ]
    assert bond.canTransfer(alice, institution, 1) == (True, OK)
    assert bond.canTransfer(institution, alice, 1) == (False, RECEIVER_CATEGORY_NOT_ALLOWED)
    with as_agent(system), boa.reverts("token: receiver category not allowed"):
        bond.mint(alice, 1)
    with boa.env.prank(system.agent), boa.reverts(MISSING_ROLE):
        bond.setAllowedCategories(0)


def test_a_registry_update_takes_effect_at_once(system: System, investors: list[str]) -> None:
    bond, alice, bob = system.bond, investors[0], investors[1]
    with boa.env.prank(system.admin):
        bond.setAllowedCategories(1 << RETAIL)
    assert bond.canTransfer(alice, bob, 1) == (True, OK)
    with as_agent(system):
        system.registry.updateIdentity(bob, INDIA, INSTITUTIONAL)
    assert bond.canTransfer(alice, bob, 1) == (False, RECEIVER_CATEGORY_NOT_ALLOWED)


def test_set_identity_registry(system: System, admin: str, investors: list[str]) -> None:
    bond, alice, bob = system.bond, investors[0], investors[1]
    other = deploy("IdentityRegistry", admin, system.agent)
    with boa.env.prank(system.agent), boa.reverts(MISSING_ROLE):
        bond.setIdentityRegistry(other.address)
    with boa.env.prank(admin):
        with boa.reverts("token: registry is the zero address"):
            bond.setIdentityRegistry(ZERO)
        bond.setIdentityRegistry(other.address)
    assert events(bond) == [
        {
            "event": "IdentityRegistryAdded",
            "address": bond.address,
            "identityRegistry": other.address,
        }
    ]
    assert bond.canTransfer(alice, bob, 1) == (False, SENDER_NOT_VERIFIED)
    with as_agent(system):
        other.registerIdentity(alice, investor_id(1), INDIA, RETAIL)
        other.registerIdentity(bob, investor_id(2), INDIA, RETAIL)
    assert bond.canTransfer(alice, bob, 1) == (True, OK)


# ---------------------------------------------------------------- allowances


def test_transfer_from_spends_the_allowance(token: ABIContract, investors: list[str]) -> None:
    alice, bob, spender = investors[0], investors[1], investors[2]
    with boa.env.prank(alice):
        token.approve(spender, 100)
    assert events(token)[0]["event"] == "Approval"
    assert token.allowance(alice, spender) == 100
    with boa.env.prank(spender):
        token.transferFrom(alice, bob, 60)
        assert token.allowance(alice, spender) == 40
        with boa.reverts("token: insufficient allowance"):
            token.transferFrom(alice, bob, 41)
    with boa.env.prank(alice):
        token.approve(spender, 2**256 - 1)
    with boa.env.prank(spender):
        token.transferFrom(alice, bob, 500)
    assert token.allowance(alice, spender) == 2**256 - 1
    with boa.env.prank(alice), boa.reverts("token: approve to the zero address"):
        token.approve(ZERO, 1)


def test_the_settlement_role_moves_tokens_without_allowance_but_under_every_rule(
    system: System, token: ABIContract, investors: list[str], admin: str
) -> None:
    alice, bob, settler = investors[0], investors[1], new_wallet("settler")
    with boa.env.prank(settler), boa.reverts("token: insufficient allowance"):
        token.transferFrom(alice, bob, 1)
    with boa.env.prank(admin):
        token.grantRole(SETTLEMENT_ROLE, settler)
    with boa.env.prank(settler):
        token.transferFrom(alice, bob, 10)
    assert token.allowance(alice, settler) == 0
    with as_agent(system):
        token.setAddressFrozen(bob, True)
    with boa.env.prank(settler), boa.reverts(restricted(RECEIVER_FROZEN)):
        token.transferFrom(alice, bob, 10)


# ---------------------------------------------------------------- batch transfer


def test_batch_transfer_is_all_or_nothing(
    token: ABIContract, investors: list[str], outsider: str
) -> None:
    alice, bob, carol = investors[0], investors[1], investors[2]
    before = [token.balanceOf(w) for w in (alice, bob, carol)]
    with boa.env.prank(alice):
        with boa.reverts(restricted(RECEIVER_NOT_VERIFIED)):
            token.batchTransfer([bob, outsider, carol], [1, 2, 3])
        assert [token.balanceOf(w) for w in (alice, bob, carol)] == before
        with boa.reverts("token: length mismatch"):
            token.batchTransfer([bob, carol], [1])
        token.batchTransfer([bob, carol, bob], [1, 2, 3])
    assert [e["receiver"] for e in events(token, "Transfer")] == [bob, carol, bob]
    assert [token.balanceOf(w) for w in (alice, bob, carol)] == [
        before[0] - 6,
        before[1] + 4,
        before[2] + 2,
    ]


# ---------------------------------------------------------------- pause


def test_pause_is_the_agents_and_stops_ordinary_transfers_only(
    system: System, token: ABIContract, investors: list[str], admin: str
) -> None:
    alice, bob = investors[0], investors[1]
    for caller in (admin, alice):
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            token.pause()
    with as_agent(system):
        token.pause()
        assert events(token) == [
            {"event": "Paused", "address": token.address, "account": system.agent}
        ]
        with boa.reverts("pausable: paused"):
            token.pause()
    assert token.paused()
    with boa.env.prank(alice), boa.reverts(restricted(PAUSED)):
        token.transfer(bob, 1)
    # The agent's corrective powers keep working while paused.
    with as_agent(system):
        token.mint(alice, 5)
        token.burn(alice, 5)
        token.forcedTransfer(alice, bob, 5)
        token.setAddressFrozen(alice, True)
        token.setAddressFrozen(alice, False)
        token.unpause()
        assert events(token)[0]["event"] == "Unpaused"
        with boa.reverts("pausable: not paused"):
            token.unpause()
    with boa.env.prank(alice):
        token.transfer(bob, 1)


# ---------------------------------------------------------------- freezes


def test_an_address_freeze_blocks_sending_and_receiving(
    system: System, token: ABIContract, investors: list[str]
) -> None:
    alice, bob = investors[0], investors[1]
    with boa.env.prank(alice), boa.reverts(MISSING_ROLE):
        token.setAddressFrozen(bob, True)
    with as_agent(system):
        token.setAddressFrozen(alice, True)
    assert events(token) == [
        {
            "event": "AddressFrozen",
            "address": token.address,
            "wallet": alice,
            "isFrozen": True,
            "agent": system.agent,
        }
    ]
    assert token.isFrozen(alice)
    assert token.canTransfer(alice, bob, 1) == (False, SENDER_FROZEN)
    assert token.canTransfer(bob, alice, 1) == (False, RECEIVER_FROZEN)
    with as_agent(system):
        token.setAddressFrozen(alice, False)
    assert token.canTransfer(alice, bob, 1) == (True, OK)


def test_batch_address_freeze(system: System, token: ABIContract, investors: list[str]) -> None:
    with as_agent(system):
        token.batchSetAddressFrozen(investors[:3], [True, False, True])
        assert len(events(token, "AddressFrozen")) == 3
        with boa.reverts("token: length mismatch"):
            token.batchSetAddressFrozen(investors[:2], [True])
    assert [token.isFrozen(w) for w in investors[:3]] == [True, False, True]


def test_partial_freeze_locks_part_of_a_balance(
    system: System, token: ABIContract, investors: list[str]
) -> None:
    alice, bob = investors[0], investors[1]
    balance = token.balanceOf(alice)
    with boa.env.prank(alice), boa.reverts(MISSING_ROLE):
        token.freezePartialTokens(alice, 1)
    with as_agent(system):
        token.freezePartialTokens(alice, balance - 100)
        assert events(token) == [
            {
                "event": "TokensFrozen",
                "address": token.address,
                "wallet": alice,
                "amount": balance - 100,
            }
        ]
        with boa.reverts("token: amount exceeds unfrozen balance"):
            token.freezePartialTokens(alice, 101)
    assert token.getFrozenTokens(alice) == balance - 100
    assert token.canTransfer(alice, bob, 100) == (True, OK)
    assert token.canTransfer(alice, bob, 101) == (False, INSUFFICIENT_UNFROZEN_BALANCE)
    with boa.env.prank(alice):
        token.transfer(bob, 100)
    assert token.canTransfer(alice, bob, 1) == (False, INSUFFICIENT_UNFROZEN_BALANCE)
    with as_agent(system):
        with boa.reverts("token: amount exceeds frozen tokens"):
            token.unfreezePartialTokens(alice, balance)
        token.unfreezePartialTokens(alice, 30)
        assert events(token) == [
            {"event": "TokensUnfrozen", "address": token.address, "wallet": alice, "amount": 30}
        ]
    assert token.canTransfer(alice, bob, 30) == (True, OK)
    assert token.canTransfer(alice, bob, 31) == (False, INSUFFICIENT_UNFROZEN_BALANCE)


def test_batch_partial_freezes(system: System, token: ABIContract, investors: list[str]) -> None:
    with as_agent(system):
        token.batchFreezePartialTokens(investors[:2], [10, 20])
        with boa.reverts("token: amount exceeds unfrozen balance"):
            token.batchFreezePartialTokens(investors[:2], [1, 10**15])
        assert [token.getFrozenTokens(w) for w in investors[:2]] == [10, 20]
        token.batchUnfreezePartialTokens(investors[:2], [10, 5])
        with boa.reverts("token: amount exceeds frozen tokens"):
            token.batchUnfreezePartialTokens(investors[:2], [0, 16])
        with boa.reverts("token: length mismatch"):
            token.batchUnfreezePartialTokens(investors[:2], [0])
    assert [token.getFrozenTokens(w) for w in investors[:2]] == [0, 15]


# ---------------------------------------------------------------- forced transfer


def test_forced_transfer_overrides_freezes_and_pause(
    system: System, token: ABIContract, investors: list[str]
) -> None:
    alice, bob = investors[0], investors[1]
    balance = token.balanceOf(alice)
    with as_agent(system):
        token.freezePartialTokens(alice, balance - 10)
        token.setAddressFrozen(alice, True)
        token.setAddressFrozen(bob, True)
        token.pause()
        assert token.forcedTransfer(alice, bob, 25)
    assert events(token) == [
        {"event": "TokensUnfrozen", "address": token.address, "wallet": alice, "amount": 15},
        {
            "event": "Transfer",
            "address": token.address,
            "sender": alice,
            "receiver": bob,
            "value": 25,
        },
        {
            "event": "ForcedTransfer",
            "address": token.address,
            "agent": system.agent,
            "sender": alice,
            "receiver": bob,
            "amount": 25,
        },
    ]
    assert token.balanceOf(alice) == balance - 25
    assert token.getFrozenTokens(alice) == balance - 25  # all that is left stays frozen


def test_forced_transfer_needs_the_agent_a_verified_receiver_and_the_balance(
    system: System, token: ABIContract, investors: list[str], outsider: str
) -> None:
    alice, bob = investors[0], investors[1]
    with boa.env.prank(alice), boa.reverts(MISSING_ROLE):
        token.forcedTransfer(bob, alice, 1)
    with as_agent(system):
        with boa.reverts("token: receiver not verified"):
            token.forcedTransfer(alice, outsider, 1)
        with boa.reverts("token: amount exceeds balance"):
            token.forcedTransfer(alice, bob, token.balanceOf(alice) + 1)
        # An unverified holder's tokens can be moved out (e.g. after KYC lapsed).
        system.registry.deleteIdentity(alice)
        token.forcedTransfer(alice, bob, 1)


def test_batch_forced_transfer_is_all_or_nothing(
    system: System, token: ABIContract, investors: list[str], outsider: str
) -> None:
    alice, bob, carol = investors[0], investors[1], investors[2]
    before = [token.balanceOf(w) for w in investors]
    with as_agent(system):
        with boa.reverts("token: receiver not verified"):
            token.batchForcedTransfer([alice, bob], [carol, outsider], [1, 1])
        assert [token.balanceOf(w) for w in investors] == before
        with boa.reverts("token: length mismatch"):
            token.batchForcedTransfer([alice, bob], [carol], [1, 1])
        token.batchForcedTransfer([alice, bob], [carol, carol], [1, 2])
        assert len(events(token, "ForcedTransfer")) == 2
    assert token.balanceOf(carol) == before[2] + 3


# ---------------------------------------------------------------- recovery


def test_recovery_moves_everything_to_the_investors_new_wallet(
    system: System, token: ABIContract, investors: list[str]
) -> None:
    alice = investors[0]
    balance = token.balanceOf(alice)
    new = new_wallet("alice-new")
    with as_agent(system):
        system.registry.registerIdentity(new, investor_id(1), INDIA, RETAIL)  # alice is investor 1
        token.freezePartialTokens(alice, 7)
        token.setAddressFrozen(alice, True)
        assert token.recoveryAddress(alice, new)
    assert events(token) == [
        {
            "event": "Transfer",
            "address": token.address,
            "sender": alice,
            "receiver": new,
            "value": balance,
        },
        {"event": "TokensUnfrozen", "address": token.address, "wallet": alice, "amount": 7},
        {"event": "TokensFrozen", "address": token.address, "wallet": new, "amount": 7},
        {
            "event": "AddressFrozen",
            "address": token.address,
            "wallet": new,
            "isFrozen": True,
            "agent": system.agent,
        },
        {
            "event": "RecoverySuccess",
            "address": token.address,
            "lostWallet": alice,
            "newWallet": new,
            "investorId": investor_id(1),
            "amount": balance,
        },
    ]
    assert (token.balanceOf(alice), token.balanceOf(new)) == (0, balance)
    assert (token.getFrozenTokens(alice), token.getFrozenTokens(new)) == (0, 7)
    assert token.isFrozen(new)


def test_recovery_after_the_lost_wallet_left_the_registry(
    system: System, token: ABIContract, investors: list[str]
) -> None:
    alice, new = investors[0], new_wallet("alice-new")
    balance = token.balanceOf(alice)
    with as_agent(system):
        system.registry.deleteIdentity(alice)
        system.registry.registerIdentity(new, investor_id(1), INDIA, RETAIL)
        token.recoveryAddress(alice, new)
    assert token.balanceOf(new) == balance


def test_recovery_refusals(
    system: System, token: ABIContract, investors: list[str], outsider: str
) -> None:
    alice, bob = investors[0], investors[1]
    empty = new_wallet("empty")
    system.register(empty, 1)
    with boa.env.prank(alice), boa.reverts(MISSING_ROLE):
        token.recoveryAddress(alice, bob)
    with as_agent(system):
        with boa.reverts("token: wallets of different investors"):
            token.recoveryAddress(alice, bob)
        with boa.reverts("token: new wallet not verified"):
            token.recoveryAddress(alice, outsider)
        with boa.reverts("token: no tokens to recover"):
            token.recoveryAddress(empty, alice)
        with boa.reverts("token: same wallet"):
            token.recoveryAddress(alice, alice)


# ---------------------------------------------------------------- mint and burn


def test_mint_and_burn(system: System, token: ABIContract, investors: list[str]) -> None:
    alice = investors[0]
    supply, balance = token.totalSupply(), token.balanceOf(alice)
    for caller in (system.admin, alice):
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            token.mint(alice, 1)
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            token.burn(alice, 1)
    with as_agent(system):
        token.mint(alice, 500)
        assert events(token) == [
            {
                "event": "Transfer",
                "address": token.address,
                "sender": ZERO,
                "receiver": alice,
                "value": 500,
            },
            {
                "event": "Minted",
                "address": token.address,
                "agent": system.agent,
                "to": alice,
                "amount": 500,
            },
        ]
        token.burn(alice, 200)
        assert events(token) == [
            {
                "event": "Transfer",
                "address": token.address,
                "sender": alice,
                "receiver": ZERO,
                "value": 200,
            },
            {
                "event": "Burned",
                "address": token.address,
                "agent": system.agent,
                "owner": alice,
                "amount": 200,
            },
        ]
        with boa.reverts("token: burn amount exceeds balance"):
            token.burn(alice, balance + 301)
    assert token.totalSupply() == supply + 300
    assert token.balanceOf(alice) == balance + 300


def test_burn_unfreezes_what_it_needs(
    system: System, token: ABIContract, investors: list[str]
) -> None:
    alice = investors[0]
    balance = token.balanceOf(alice)
    with as_agent(system):
        token.freezePartialTokens(alice, balance)
        token.burn(alice, balance)  # redemption at maturity burns every unit
        assert events(token, "TokensUnfrozen")[0]["amount"] == balance
    assert (token.balanceOf(alice), token.getFrozenTokens(alice)) == (0, 0)


def test_batch_mint_and_burn_are_all_or_nothing(
    system: System, token: ABIContract, investors: list[str], outsider: str
) -> None:
    supply = token.totalSupply()
    before = [token.balanceOf(w) for w in investors]
    with as_agent(system):
        with boa.reverts("token: receiver not verified"):
            token.batchMint([investors[0], outsider], [5, 5])
        with boa.reverts("token: burn amount exceeds balance"):
            token.batchBurn([investors[0], investors[1]], [5, 10**15])
        assert token.totalSupply() == supply
        with boa.reverts("token: length mismatch"):
            token.batchMint(investors, [1])
        with boa.reverts("token: length mismatch"):
            token.batchBurn(investors, [1])
        token.batchMint(investors, [1, 2, 3, 4])
        assert len(events(token, "Minted")) == 4
        token.batchBurn(investors[:2], [10, 20])
        assert len(events(token, "Burned")) == 2
    assert [token.balanceOf(w) for w in investors] == [
        before[0] - 9,
        before[1] - 18,
        before[2] + 3,
        before[3] + 4,
    ]
    assert token.totalSupply() == supply + 10 - 30


def test_a_batch_larger_than_max_batch_is_refused(system: System, investors: list[str]) -> None:
    with as_agent(system), boa.reverts():
        system.bond.batchMint([investors[0]] * 501, [1] * 501)


# ---------------------------------------------------------------- roles


def test_only_the_admin_manages_roles_on_a_token(
    system: System, token: ABIContract, admin: str, investors: list[str]
) -> None:
    deputy = new_wallet("deputy")
    with as_agent(system), boa.reverts(MISSING_ROLE):
        token.grantRole(AGENT_ROLE, deputy)
    with boa.env.prank(admin):
        token.grantRole(AGENT_ROLE, deputy)
    with boa.env.prank(deputy):
        token.mint(investors[0], 1)
    with boa.env.prank(admin):
        token.revokeRole(AGENT_ROLE, deputy)
    with boa.env.prank(deputy), boa.reverts(MISSING_ROLE):
        token.mint(investors[0], 1)
