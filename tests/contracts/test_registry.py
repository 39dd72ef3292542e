"""IdentityRegistry: verified wallets with investor, country and category; roles."""

from __future__ import annotations

import boa
import pytest
from eth.exceptions import Revert

from .chain import (
    AGENT_ROLE,
    DEFAULT_ADMIN_ROLE,
    INDIA,
    INSTITUTIONAL,
    RETAIL,
    System,
    deploy,
    events,
    investor_id,
)

MISSING_ROLE = "roles: account is missing role"


def new_wallet(label: str) -> str:
    return str(boa.env.generate_address(label))


def test_the_agent_registers_a_wallet_with_its_investor_country_and_category(
    system: System,
) -> None:
    registry, wallet = system.registry, new_wallet("w")
    assert not registry.isVerified(wallet)

    with boa.env.prank(system.agent):
        registry.registerIdentity(wallet, investor_id(7), INDIA, INSTITUTIONAL)

    assert events(registry) == [
        {
            "event": "IdentityRegistered",
            "address": registry.address,
            "wallet": wallet,
            "investorId": investor_id(7),
            "country": INDIA,
            "category": INSTITUTIONAL,
        }
    ]
    assert registry.isVerified(wallet)
    assert registry.investorIdOf(wallet) == investor_id(7)
    assert registry.investorCountry(wallet) == INDIA
    assert registry.investorCategory(wallet) == INSTITUTIONAL
    assert registry.eligibility(wallet) == (True, INSTITUTIONAL)


def test_transfer_eligibility_answers_for_both_wallets_in_one_call(system: System) -> None:
    sender, receiver, stranger = new_wallet("s"), new_wallet("r"), new_wallet("x")
    system.register(sender, 1, RETAIL)
    system.register(receiver, 2, INSTITUTIONAL)
    registry = system.registry
    assert registry.transferEligibility(sender, receiver) == (True, True, INSTITUTIONAL)
    assert registry.transferEligibility(stranger, receiver) == (False, True, INSTITUTIONAL)
    assert registry.transferEligibility(sender, stranger) == (True, False, 0)


def test_only_the_agent_registers_updates_and_deletes(
    system: System, admin: str, outsider: str
) -> None:
    wallet = new_wallet("w")
    registry = system.registry
    for caller in (admin, outsider):
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            registry.registerIdentity(wallet, investor_id(1), INDIA, RETAIL)
    system.register(wallet, 1)
    for caller in (admin, outsider):
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            registry.updateIdentity(wallet, INDIA, INSTITUTIONAL)
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            registry.deleteIdentity(wallet)
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            registry.batchRegisterIdentity([new_wallet("b")], [investor_id(2)], [INDIA], [RETAIL])
    assert registry.isVerified(wallet)


def test_registration_refuses_the_zero_address_a_zero_investor_and_duplicates(
    system: System,
) -> None:
    wallet, registry = new_wallet("w"), system.registry
    with boa.env.prank(system.agent):
        with boa.reverts("registry: wallet is the zero address"):
            registry.registerIdentity("0x" + "00" * 20, investor_id(1), INDIA, RETAIL)
        with boa.reverts("registry: investor id is zero"):
            registry.registerIdentity(wallet, b"\x00" * 32, INDIA, RETAIL)
        registry.registerIdentity(wallet, investor_id(1), INDIA, RETAIL)
        with boa.reverts("registry: wallet already registered"):
            registry.registerIdentity(wallet, investor_id(2), INDIA, RETAIL)


def test_update_changes_country_and_category_but_keeps_the_investor(system: System) -> None:
    wallet, registry = new_wallet("w"), system.registry
    system.register(wallet, 5, RETAIL)
    with boa.env.prank(system.agent):
        registry.updateIdentity(wallet, 840, INSTITUTIONAL)
    [event] = events(registry)
    assert event["event"] == "IdentityUpdated"
    assert (event["wallet"], event["investorId"], event["country"], event["category"]) == (
        wallet,
        investor_id(5),
        840,
        INSTITUTIONAL,
    )
    assert registry.investorCountry(wallet) == 840
    assert registry.investorCategory(wallet) == INSTITUTIONAL
    assert registry.investorIdOf(wallet) == investor_id(5)
    assert registry.isVerified(wallet)


def test_delete_unverifies_the_wallet_and_forgets_its_profile(system: System) -> None:
    wallet, registry = new_wallet("w"), system.registry
    system.register(wallet, 5, INSTITUTIONAL)
    with boa.env.prank(system.agent):
        registry.deleteIdentity(wallet)
    assert events(registry) == [
        {
            "event": "IdentityRemoved",
            "address": registry.address,
            "wallet": wallet,
            "investorId": investor_id(5),
        }
    ]
    assert not registry.isVerified(wallet)
    assert registry.eligibility(wallet) == (False, 0)
    assert registry.investorIdOf(wallet) == b"\x00" * 32
    assert registry.investorCountry(wallet) == 0
    # Deleted, the wallet can be registered again (e.g. after a new KYC).
    system.register(wallet, 6)
    assert registry.investorIdOf(wallet) == investor_id(6)


def test_update_and_delete_need_a_registered_wallet(system: System) -> None:
    wallet = new_wallet("w")
    with boa.env.prank(system.agent):
        with boa.reverts("registry: wallet not registered"):
            system.registry.updateIdentity(wallet, INDIA, RETAIL)
        with boa.reverts("registry: wallet not registered"):
            system.registry.deleteIdentity(wallet)


def test_batch_registration_is_all_or_nothing(system: System) -> None:
    wallets = [new_wallet(f"b{i}") for i in range(3)]
    registry = system.registry
    with boa.env.prank(system.agent):
        with boa.reverts("registry: wallet already registered"):
            registry.batchRegisterIdentity(
                [wallets[0], wallets[1], wallets[0]],
                [investor_id(1), investor_id(2), investor_id(3)],
                [INDIA] * 3,
                [RETAIL] * 3,
            )
        assert not any(registry.isVerified(w) for w in wallets)
        with boa.reverts("registry: length mismatch"):
            registry.batchRegisterIdentity(wallets, [investor_id(1)] * 2, [INDIA] * 3, [RETAIL] * 3)
        registry.batchRegisterIdentity(
            wallets, [investor_id(i) for i in (1, 2, 3)], [INDIA, 840, 826], [1, 2, 3]
        )
    assert len(events(registry, "IdentityRegistered")) == 3
    assert [registry.investorCountry(w) for w in wallets] == [INDIA, 840, 826]
    assert [registry.investorCategory(w) for w in wallets] == [1, 2, 3]


def test_the_admin_appoints_and_removes_agents(system: System, admin: str) -> None:
    registry, new_agent, wallet = system.registry, new_wallet("agent2"), new_wallet("w")
    assert registry.getRoleAdmin(AGENT_ROLE) == DEFAULT_ADMIN_ROLE
    with boa.env.prank(system.agent), boa.reverts(MISSING_ROLE):
        registry.grantRole(AGENT_ROLE, new_agent)

    with boa.env.prank(admin):
        registry.grantRole(AGENT_ROLE, new_agent)
    [granted] = events(registry)
    assert granted["event"] == "RoleGranted"
    assert (granted["role"], granted["account"], granted["sender"]) == (
        AGENT_ROLE,
        new_agent,
        admin,
    )
    assert registry.hasRole(AGENT_ROLE, new_agent)
    with boa.env.prank(new_agent):
        registry.registerIdentity(wallet, investor_id(1), INDIA, RETAIL)

    with boa.env.prank(admin):
        registry.revokeRole(AGENT_ROLE, new_agent)
    assert not registry.hasRole(AGENT_ROLE, new_agent)
    with boa.env.prank(new_agent), boa.reverts(MISSING_ROLE):
        registry.deleteIdentity(wallet)


def test_the_last_admin_can_be_neither_revoked_nor_renounced(system: System, admin: str) -> None:
    registry, second = system.registry, new_wallet("admin2")
    assert registry.adminCount() == 1
    with boa.env.prank(admin):
        with boa.reverts("roles: cannot remove the last admin"):
            registry.revokeRole(DEFAULT_ADMIN_ROLE, admin)
        with boa.reverts("roles: cannot remove the last admin"):
            registry.renounceRole(DEFAULT_ADMIN_ROLE, admin)
        registry.grantRole(DEFAULT_ADMIN_ROLE, second)
    assert registry.adminCount() == 2
    with boa.env.prank(second):
        registry.revokeRole(DEFAULT_ADMIN_ROLE, admin)
    assert not registry.hasRole(DEFAULT_ADMIN_ROLE, admin)
    assert registry.adminCount() == 1


def test_a_role_can_only_be_renounced_by_its_holder(system: System, admin: str) -> None:
    registry = system.registry
    with boa.env.prank(admin), boa.reverts("roles: can only renounce for self"):
        registry.renounceRole(AGENT_ROLE, system.agent)
    with boa.env.prank(system.agent):
        registry.renounceRole(AGENT_ROLE, system.agent)
    [revoked] = events(registry)
    assert revoked["event"] == "RoleRevoked"
    assert not registry.hasRole(AGENT_ROLE, system.agent)


def test_roles_refuse_the_zero_address(system: System, admin: str) -> None:
    with boa.env.prank(admin), boa.reverts("roles: account is the zero address"):
        system.registry.grantRole(AGENT_ROLE, "0x" + "00" * 20)
    with pytest.raises(Revert) as failure:
        deploy("IdentityRegistry", "0x" + "00" * 20, system.agent)
    assert b"roles: admin is the zero address" in failure.value.args[0]
