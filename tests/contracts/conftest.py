"""Fixtures for the contract tests: one deployment per module, every test isolated.

Each test runs inside `boa.env.anchor()`, which rolls the in-process chain
back afterwards, so tests never see each other's state (with or without
titanoboa's own pytest plugin, which does the same).
"""

from __future__ import annotations

from collections.abc import Iterator

import boa
import pytest

from .chain import INSTITUTIONAL, System, deploy_system


@pytest.fixture(scope="module")
def admin() -> str:
    return str(boa.env.generate_address("admin"))


@pytest.fixture(scope="module")
def agent() -> str:
    return str(boa.env.generate_address("agent"))


@pytest.fixture(scope="module")
def outsider() -> str:
    """A wallet that is never in the identity registry."""
    return str(boa.env.generate_address("outsider"))


@pytest.fixture(scope="module")
def system(admin: str, agent: str) -> Iterator[System]:
    with boa.env.anchor():
        yield deploy_system(admin, agent)


@pytest.fixture(scope="module")
def investors(system: System) -> Iterator[list[str]]:
    """Four verified wallets (the last one institutional), each holding 1,000
    bond units and 1,000,000.00 of cash."""
    with boa.env.anchor():
        wallets = [str(boa.env.generate_address(f"investor{i}")) for i in range(4)]
        for n, wallet in enumerate(wallets, start=1):
            system.register(wallet, n, INSTITUTIONAL if n == 4 else 1)
            system.mint(system.bond, wallet, 1_000)
            system.mint(system.cash, wallet, 100_000_000)
        yield wallets


@pytest.fixture(autouse=True)
def isolated() -> Iterator[None]:
    with boa.env.anchor():
        yield
