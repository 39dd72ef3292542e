"""The cash leg on chain, for on-chain settlement mode: each currency's permissioned cash
token, found or deployed per network, funded just in time and swept after.

A DvP batch in this mode pays for the bonds in cash tokens in the same transaction that
delivers them. The cash itself stays in the ledger (the seller's proceeds wait there, settling,
as in hybrid mode), so the tokens are its on-chain image for the length of one batch: the
settlement job tops each buyer's wallet up to what the batch makes it pay (:func:`fund`) and,
whatever happened, burns every token the batch's wallets hold afterwards (:func:`sweep`).
Both work from balances read on chain, so a crash between any two of the calls is mended by
the next run: between runs no wallet holds cash tokens, and reconciliation can say so.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import select

from liquibond.chain.models import CashToken
from liquibond.chain.port import Address, Call
from liquibond.chain.venue import MAX_BATCH, SETTLEMENT_ROLE, Venue
from liquibond.platform.db import Database
from liquibond.platform.uow import UnitOfWork


async def cash_token(
    database: Database, venue: Venue, network_id: uuid.UUID, currency: str, scale: int
) -> Address:
    """The currency's cash token on the network, deployed (and allowed to the DvP) the first
    time it is needed. Call under the chain lock."""
    async with UnitOfWork(database, write=False) as uow:
        known = await uow.session.scalar(
            select(CashToken.address).where(
                CashToken.network_id == network_id, CashToken.currency == currency
            )
        )
    if known is not None:
        return Address(known)
    contracts = venue.require_contracts()
    args = [f"Liquibond {currency}", currency, scale, contracts.registry]
    deployed = await venue.chain.deploy(
        "CashToken", [*args, contracts.operator, contracts.operator], sender=contracts.operator
    )
    assert deployed.contract_address is not None
    address = deployed.contract_address
    await venue.chain.send(
        Call("CashToken", address, "grantRole", (SETTLEMENT_ROLE, contracts.dvp)),
        sender=contracts.operator,
    )
    async with UnitOfWork(database) as uow:
        uow.session.add(
            CashToken(
                network_id=network_id,
                currency=currency,
                address=address,
                deploy_tx=deployed.tx_hash,
            )
        )
        await uow.commit()
    return address


async def fund(venue: Venue, token: Address, needs: Mapping[Address, int]) -> None:
    """Top each wallet up to the cash tokens it needs (minting only what it lacks)."""
    short = {
        wallet: need - await _balance(venue, token, wallet)
        for wallet, need in needs.items()
        if need
    }
    short = {wallet: amount for wallet, amount in short.items() if amount > 0}
    if short:
        await venue.chain.send(
            Call("CashToken", token, "batchMint", (list(short), list(short.values()))),
            sender=venue.require_contracts().operator,
        )


async def sweep(venue: Venue, token: Address, wallets: Iterable[Address]) -> None:
    """Burn every cash token the wallets hold."""
    held = {wallet: await _balance(venue, token, wallet) for wallet in set(wallets)}
    owners = [wallet for wallet, amount in held.items() if amount]
    for start in range(0, len(owners), MAX_BATCH):
        batch = owners[start : start + MAX_BATCH]
        await venue.chain.send(
            Call("CashToken", token, "batchBurn", (batch, [held[wallet] for wallet in batch])),
            sender=venue.require_contracts().operator,
        )


async def _balance(venue: Venue, token: Address, wallet: Address) -> int:
    return int(await venue.chain.read(Call("CashToken", token, "balanceOf", (wallet,))))
