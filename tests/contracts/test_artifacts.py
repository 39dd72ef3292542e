"""The committed artifacts: current, complete, deployable.

`contracts/build.py --check` (run by `make lint`) recompiles everything and
compares byte for byte; these cheaper checks catch a source edited without
rebuilding before any test runs against stale bytecode.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import vyper

from .chain import ARTIFACTS, artifact

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
NAMES = ["BondToken", "CashToken", "DvP", "IdentityRegistry"]


def test_there_is_one_artifact_per_contract() -> None:
    assert sorted(p.stem for p in CONTRACTS.glob("*.vy")) == NAMES
    assert sorted(p.stem for p in ARTIFACTS.glob("*.json")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_an_artifact_was_built_from_the_current_sources(name: str) -> None:
    art = artifact(name)
    assert art["compiler"] == {
        "name": "vyper",
        "version": vyper.__version__,
        "evmVersion": "cancun",
        "optimize": "gas",
    }
    for source, digest in art["sources"].items():
        path = CONTRACTS / source
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, (
            f"{source} changed since {name}.json was built: run `make contracts`"
        )
    used = {Path(s).as_posix() for s in art["sources"]}
    assert f"{name}.vy" in used


@pytest.mark.parametrize("name", NAMES)
def test_an_artifact_fits_on_chain(name: str) -> None:
    art = artifact(name)
    runtime = bytes.fromhex(art["runtimeBytecode"][2:])
    assert len(runtime) == art["runtimeSize"] <= 24_576  # EIP-170
    assert len(bytes.fromhex(art["bytecode"][2:])) <= 49_152  # EIP-3860


ERC20 = {
    "transfer",
    "transferFrom",
    "approve",
    "balanceOf",
    "allowance",
    "totalSupply",
    "name",
    "symbol",
    "decimals",
}
ERC3643 = {
    "canTransfer",
    "identityRegistry",
    "setIdentityRegistry",
    "pause",
    "unpause",
    "paused",
    "isFrozen",
    "getFrozenTokens",
    "setAddressFrozen",
    "freezePartialTokens",
    "unfreezePartialTokens",
    "forcedTransfer",
    "recoveryAddress",
    "mint",
    "burn",
    "batchTransfer",
    "batchMint",
    "batchBurn",
    "batchForcedTransfer",
    "batchSetAddressFrozen",
    "batchFreezePartialTokens",
    "batchUnfreezePartialTokens",
}
ROLES = {
    "hasRole",
    "grantRole",
    "revokeRole",
    "renounceRole",
    "getRoleAdmin",
    "DEFAULT_ADMIN_ROLE",
    "AGENT_ROLE",
    "SETTLEMENT_ROLE",
}


def functions(name: str) -> set[str]:
    return {item["name"] for item in artifact(name)["abi"] if item["type"] == "function"}


def test_the_tokens_expose_erc20_and_the_erc3643_controls() -> None:
    for name in ("BondToken", "CashToken"):
        assert (ERC20 | ERC3643 | ROLES).issubset(functions(name))
    offer_document = {"offerDocument", "offerDocumentHash", "offerDocumentURI", "setOfferDocument"}
    assert offer_document.issubset(functions("BondToken") - functions("CashToken"))
    dvp = {"settle", "settleBatch", "isSettled", "pause", "unpause"} | ROLES
    assert dvp.issubset(functions("DvP"))
