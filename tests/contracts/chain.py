"""Deploy the committed contract artifacts on titanoboa's in-process EVM.

The tests run the exact bytecode in `src/liquibond/chain/artifacts/` (what the platform
will deploy), not a fresh compile; `contracts/build.py --check` (in `make lint`)
proves the artifacts match the sources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boa
from boa.contracts.abi.abi_contract import ABIContract, ABIContractFactory
from eth_abi import encode
from eth_utils import keccak

ARTIFACTS = Path(__file__).resolve().parents[2] / "src" / "liquibond" / "chain" / "artifacts"
ZERO = "0x" + "00" * 20

DEFAULT_ADMIN_ROLE = b"\x00" * 32
AGENT_ROLE = keccak(text="AGENT_ROLE")
SETTLEMENT_ROLE = keccak(text="SETTLEMENT_ROLE")

# canTransfer's reason codes, in the order the rules are checked.
OK = 0
PAUSED = 1
SENDER_FROZEN = 2
RECEIVER_FROZEN = 3
SENDER_NOT_VERIFIED = 4
RECEIVER_NOT_VERIFIED = 5
RECEIVER_CATEGORY_NOT_ALLOWED = 6
INSUFFICIENT_BALANCE = 7
INSUFFICIENT_UNFROZEN_BALANCE = 8

REASONS = {
    PAUSED: "paused",
    SENDER_FROZEN: "sender frozen",
    RECEIVER_FROZEN: "receiver frozen",
    SENDER_NOT_VERIFIED: "sender not verified",
    RECEIVER_NOT_VERIFIED: "receiver not verified",
    RECEIVER_CATEGORY_NOT_ALLOWED: "receiver category not allowed",
    INSUFFICIENT_BALANCE: "insufficient balance",
    INSUFFICIENT_UNFROZEN_BALANCE: "insufficient unfrozen balance",
}

INDIA = 356
RETAIL, INSTITUTIONAL = 1, 3


def restricted(code: int) -> str:
    """The revert message of a transfer refused with `code`."""
    return f"transfer restricted: {REASONS[code]}"


def investor_id(n: int) -> bytes:
    return n.to_bytes(32, "big")


def settlement_id(n: int) -> bytes:
    return (10**9 + n).to_bytes(32, "big")


@cache
def artifact(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ARTIFACTS / f"{name}.json").read_text())
    return data


@cache
def factory(name: str) -> ABIContractFactory:
    return boa.loads_abi(json.dumps(artifact(name)["abi"]), name=name)


def deploy(name: str, *args: Any, sender: str | None = None) -> ABIContract:
    """Deploy the artifact `name` with constructor `args`."""
    art = artifact(name)
    constructor = next(item for item in art["abi"] if item["type"] == "constructor")
    types = [arg["type"] for arg in constructor["inputs"]]
    code = bytes.fromhex(art["bytecode"][2:]) + encode(types, list(args))
    address, _ = boa.env.deploy_code(bytecode=code, sender=sender)
    return factory(name).at(address)


@dataclass
class System:
    """One deployment: the registry, a bond, the cash token and the DvP."""

    admin: str
    agent: str
    registry: ABIContract
    bond: ABIContract
    cash: ABIContract
    dvp: ABIContract

    def register(self, wallet: str, n: int, category: int = RETAIL) -> None:
        with boa.env.prank(self.agent):
            self.registry.registerIdentity(wallet, investor_id(n), INDIA, category)

    def mint(self, token: ABIContract, wallet: str, amount: int) -> None:
        with boa.env.prank(self.agent):
            token.mint(wallet, amount)

    def another_bond(self) -> ABIContract:
        """A second bond on the same registry, which the DvP may settle too."""
        other = deploy(
            "BondToken",
            "Other bond",
            "OTH",
            0,
            self.registry.address,
            self.admin,
            self.agent,
            DOC_HASH,
            DOC_URI,
        )
        with boa.env.prank(self.admin):
            other.grantRole(SETTLEMENT_ROLE, self.dvp.address)
        return other


DOC_HASH = keccak(text="offer document v1")
DOC_URI = "https://liquibond.example/offers/IN0020230085.pdf"


def deploy_system(admin: str, agent: str) -> System:
    registry = deploy("IdentityRegistry", admin, agent)
    bond = deploy(
        "BondToken",
        "7.26% GOI 2033 (IN0020230085)",
        "GS2033",
        0,
        registry.address,
        admin,
        agent,
        DOC_HASH,
        DOC_URI,
    )
    cash = deploy("CashToken", "Liquibond INR", "LBINR", 2, registry.address, admin, agent)
    dvp = deploy("DvP", admin, agent)
    with boa.env.prank(admin):
        bond.grantRole(SETTLEMENT_ROLE, dvp.address)
        cash.grantRole(SETTLEMENT_ROLE, dvp.address)
    return System(admin, agent, registry, bond, cash, dvp)


def events(contract: ABIContract, name: str | None = None) -> list[dict[str, Any]]:
    """The events of `contract`'s last call (its children's too), as dicts with
    the event's name under "event" and the emitting contract under "address";
    addresses are plain checksummed strings."""
    found = []
    for log in contract.get_logs(strict=False):
        fields = getattr(log, "_asdict", None)
        if fields is None:  # a log no known ABI decodes
            continue
        entry = {
            key: str(value) if hasattr(value, "canonical_address") else value
            for key, value in fields().items()
        }
        entry["event"] = type(log).__name__
        if name is None or entry["event"] == name:
            found.append(entry)
    return found
