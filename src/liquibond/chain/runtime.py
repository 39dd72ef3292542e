"""The chain's part of the app's lifespan: start the configured chain adapter, put the venue's
contracts on it (re-issuing from the ledger where the chain forgot them), give every newly
verified investor a custodial wallet, and run the chain's jobs: list new wallets in the
identity registry, settle trades in tokenized bonds on chain, reconcile chain and ledger."""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI

from liquibond.chain.keystore import LocalKeystore
from liquibond.chain.metrics import ChainMetrics
from liquibond.chain.port import Chain, Signer
from liquibond.chain.service import ChainComponents, register_pending, start
from liquibond.chain.settlement import reconcile, settle_due
from liquibond.chain.venue import Venue
from liquibond.config import Settings
from liquibond.platform.crypto import FieldCipher
from liquibond.platform.jobs import Job, scheduled
from liquibond.platform.outbox import Event, EventBus, idempotent_consumer
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
        await start(chain)
        if settings.demo_mode:
            from liquibond.demo import tokenize_demo_bond  # the demo builds on every domain

            await tokenize_demo_bond(chain)
        app.state.chain = chain
        bus: EventBus = app.state.bus
        bus.subscribe(
            "kyc.verified.v1",
            idempotent_consumer(
                app.state.database, WALLET_CONSUMER, functools.partial(_give_wallet, chain)
            ),
        )
        jobs = [
            Job(
                "chain.registrar",
                settings.chain_interval_seconds,
                functools.partial(register_pending, chain),
            ),
            Job(
                "chain.settlement",
                settings.chain_settlement_interval_seconds,
                functools.partial(settle_due, chain),
            ),
            Job(
                "chain.reconcile",
                settings.chain_reconcile_interval_seconds,
                functools.partial(reconcile, chain),
            ),
        ]
        async with scheduled(jobs):
            yield
    finally:
        metrics.unregister()
        await adapter.stop()


async def _give_wallet(chain: ChainComponents, uow: UnitOfWork, event: Event) -> None:
    user_id = uuid.UUID(event.data["user_id"])
    await chain.service(uow.session).custodial_wallets([user_id], chain.settings.chain_country)
