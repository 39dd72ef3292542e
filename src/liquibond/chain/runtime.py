"""The chain's part of the app's lifespan: start the configured chain adapter, put the venue's
contracts on it (re-issuing from the ledger where the chain forgot them), give every newly
verified investor a custodial wallet, record KYC revocations and supply changes, and run the
chain's jobs: list new wallets in the identity registry, freeze revoked investors' wallets,
mint and burn what auctions and redemptions changed, settle trades in tokenized bonds on
chain, reconcile chain and ledger."""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI

from liquibond.chain import identity, supply
from liquibond.chain.custody import process_withdrawals
from liquibond.chain.keystore import LocalKeystore
from liquibond.chain.metrics import ChainMetrics
from liquibond.chain.port import Chain, Signer
from liquibond.chain.service import ChainComponents, register_pending, start
from liquibond.chain.settlement import reconcile, settle_due
from liquibond.chain.transfers import transfer_job
from liquibond.chain.venue import Venue
from liquibond.config import Settings
from liquibond.platform.crypto import FieldCipher
from liquibond.platform.jobs import Job, scheduled
from liquibond.platform.outbox import ConsumerBody, Event, EventBus, idempotent_consumer
from liquibond.platform.uow import UnitOfWork

log = structlog.get_logger(__name__)

#: Gives each newly verified investor a custodial wallet (the registrar lists it).
WALLET_CONSUMER = "chain.wallets"


def make_chain(settings: Settings, signer: Signer) -> Chain:
    """The adapter `settings.chain` names."""
    match settings.chain:
        case "embedded":
            from liquibond.chain.embedded import EmbeddedChain

            return EmbeddedChain(signer)
        case "anvil":
            from liquibond.chain.anvil import AnvilChain

            return AnvilChain(
                signer,
                state_file=settings.data_dir / "anvil-state.json",
                binary=settings.chain_anvil_path,
            )
        case "rpc":
            from liquibond.chain.rpc import RpcChain

            if not settings.chain_rpc_url:
                raise ValueError("chain=rpc needs chain_rpc_url")
            return RpcChain(
                signer, settings.chain_rpc_url, confirmations=settings.chain_confirmations
            )
    raise ValueError(f"no chain adapter {settings.chain!r}")


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Install `app.state.chain` (None when the chain is off) while the app serves."""
    settings: Settings = app.state.settings
    if settings.chain == "off":
        app.state.chain = None
        yield
        return
    keystore = LocalKeystore(app.state.database, FieldCipher(settings.field_encryption_key))
    adapter = make_chain(settings, keystore)
    await adapter.start()
    metrics = ChainMetrics(app.state.metrics.registry)
    try:
        chain = ChainComponents(
            app.state.database,
            Venue(adapter, keystore),
            app.state.credentials,
            settings,
            metrics=metrics,
        )
        # Subscribed before the venue starts: an event relayed meanwhile must not go unheard.
        consumers: list[tuple[str, str, ConsumerBody]] = [
            ("kyc.verified.v1", WALLET_CONSUMER, functools.partial(_give_wallet, chain)),
            ("kyc.revoked.v1", identity.REVOKED_CONSUMER, identity.record_revocation),
            ("kyc.verified.v1", identity.VERIFIED_CONSUMER, identity.record_verification),
            ("auction.settled.v1", supply.ALLOTMENT_CONSUMER, supply.record_allotment),
            ("corporate_action.paid.v1", supply.REDEMPTION_CONSUMER, supply.record_redemption),
        ]
        bus: EventBus = app.state.bus
        for pattern, name, body in consumers:
            bus.subscribe(pattern, idempotent_consumer(app.state.database, name, body))
        await start(chain)
        # A rebuilt chain listed every wallet again: freeze the revoked before anything moves.
        await identity.sync_freezes(chain)
        if settings.demo_mode:
            from liquibond.demo import tokenize_demo_bond  # the demo builds on every domain

            await tokenize_demo_bond(chain)
        app.state.chain = chain
        jobs = [
            Job(
                "chain.registrar",
                settings.chain_interval_seconds,
                functools.partial(register_pending, chain),
            ),
            Job(
                "chain.identity",
                settings.chain_interval_seconds,
                functools.partial(identity.sync_freezes, chain),
            ),
            Job(
                "chain.supply",
                settings.chain_interval_seconds,
                functools.partial(supply.apply_supply_changes, chain),
            ),
            Job(
                "chain.settlement",
                settings.chain_settlement_interval_seconds,
                functools.partial(settle_due, chain),
            ),
            Job(
                "chain.custody",
                settings.chain_settlement_interval_seconds,
                functools.partial(process_withdrawals, chain),
            ),
            Job(
                "chain.reconcile",
                settings.chain_reconcile_interval_seconds,
                functools.partial(reconcile, chain),
            ),
            transfer_job(chain),
        ]
        async with scheduled(jobs):
            yield
    finally:
        metrics.unregister()
        await adapter.stop()


async def _give_wallet(chain: ChainComponents, uow: UnitOfWork, event: Event) -> None:
    user_id = uuid.UUID(event.data["user_id"])
    await chain.service(uow.session).custodial_wallets([user_id], chain.settings.chain_country)
