"""The local keystore, the default :class:`~liquibond.chain.port.Signer`: keys generated here,
stored sealed (AES-GCM under the platform's field key) and decrypted only to sign."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.chain.models import ChainKey, KeyPurpose
from liquibond.chain.port import Address, ChainError
from liquibond.platform.crypto import FieldCipher
from liquibond.platform.db import Database
from liquibond.platform.uow import UnitOfWork


def _context(address: str) -> str:
    return f"chain.key:{address}"


class LocalKeystore:
    """Generates and holds private keys in the database, sealed; signs transactions with them.

    Unsealed keys are kept in memory once used: the operator's key signs every settlement
    batch, and a database read plus an AES decryption per signature would be waste."""

    def __init__(self, database: Database, cipher: FieldCipher) -> None:
        self._database = database
        self._cipher = cipher
        self._unsealed: dict[str, LocalAccount] = {}

    def new_key(self, session: AsyncSession, purpose: KeyPurpose) -> Address:
        """Generate a key in the caller's transaction (it exists once that commits)."""
        account: LocalAccount = Account.create()
        address = Address(account.address)
        sealed = self._cipher.encrypt(bytes(account.key), _context(address))
        session.add(ChainKey(address=address, purpose=purpose.value, sealed_key=sealed))
        self._unsealed[address] = account
        return address

    async def operator(self) -> Address:
        """The venue's operator address, created on first use."""
        async with UnitOfWork(self._database) as uow:
            found = await uow.session.scalar(
                select(ChainKey.address)
                .where(ChainKey.purpose == KeyPurpose.OPERATOR.value)
                .order_by(ChainKey.created_at)
                .limit(1)
            )
            if found is not None:
                return Address(found)
            address = self.new_key(uow.session, KeyPurpose.OPERATOR)
            await uow.commit()
            return address

    async def sign_transaction(self, address: Address, transaction: Mapping[str, Any]) -> bytes:
        """The raw signed transaction; ChainError if no key of this keystore is `address`'s."""
        account = self._unsealed.get(address) or await self._unseal(address)
        return bytes(account.sign_transaction(dict(transaction)).raw_transaction)

    async def _unseal(self, address: Address) -> LocalAccount:
        async with UnitOfWork(self._database, write=False) as uow:
            sealed = await uow.session.scalar(
                select(ChainKey.sealed_key).where(ChainKey.address == address)
            )
        if sealed is None:
            raise ChainError(f"the keystore holds no key for {address}")
        account: LocalAccount = Account.from_key(self._cipher.decrypt(sealed, _context(address)))
        self._unsealed[address] = account
        return account


class MemoryKeys:
    """A :class:`~liquibond.chain.port.Signer` holding fresh keys in memory only: for tests,
    benches and throwaway chains, never for wallets that hold anything."""

    def __init__(self) -> None:
        self._accounts: dict[Address, LocalAccount] = {}

    def new(self) -> Address:
        """A new key's address."""
        account: LocalAccount = Account.create()
        self._accounts[Address(account.address)] = account
        return Address(account.address)

    async def sign_transaction(self, address: Address, transaction: Mapping[str, Any]) -> bytes:
        """The raw transaction signed by `address`'s key; ChainError if it holds none."""
        account = self._accounts.get(address)
        if account is None:
            raise ChainError(f"no key for {address}")
        return bytes(account.sign_transaction(dict(transaction)).raw_transaction)
