"""Chain use cases: starting the venue on its chain (the embedded chain rebuilt from the
ledger), custodial wallets and their listing in the identity registry, and tokenizing a bond.

:class:`ChainService` reads and records over one unit of work and never calls the chain. The
flows that do call it (:func:`start`, :func:`register_pending`, :func:`tokenize`) commit what
they decided before each chain call and what the chain did after it, so a crash between the
two leaves a state the next run completes (a wallet not yet listed is listed by the registrar;
a tokenization that deployed but did not record is simply redone)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from eth_utils.address import to_checksum_address
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.chain import siwe
from liquibond.chain.cash_leg import advance
from liquibond.chain.keystore import LocalKeystore
from liquibond.chain.lifecycle import (
    IN_FLIGHT,
    SettlementStatus,
    SettlementStep,
)
from liquibond.chain.metrics import ChainMetrics
from liquibond.chain.models import (
    ChainBreak,
    ChainSettlement,
    KeyPurpose,
    Network,
    SiweNonce,
    TokenizedBond,
    Wallet,
    WalletCustody,
)
from liquibond.chain.port import Address, Call, Receipt
from liquibond.chain.venue import (
    Identity,
    InvestorCategory,
    Venue,
    VenueContracts,
    offer_document_hash,
)
from liquibond.config import Settings
from liquibond.identity.models import Role
from liquibond.identity.service import Credentials, IdentityService, Principal
from liquibond.instruments.models import Instrument, InstrumentStatus
from liquibond.instruments.service import InstrumentService
from liquibond.kyc.service import KycChecks
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.audit import record_audit
from liquibond.platform.db import Database, utcnow
from liquibond.platform.errors import Conflict, ServiceUnavailable, Unprocessable
from liquibond.platform.outbox import record_event
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.service import OrderService

log = structlog.get_logger(__name__)


#: How long a Sign-In with Ethereum message may be signed and sent back.
SIWE_TTL = timedelta(minutes=10)

#: How long the breaks queue shows an unwound trade.
UNWOUND_SHOWN_FOR = timedelta(days=7)

#: Instructions one trade-by-trade DvP batch (`settleBatch`) settles: the contract's limit.
MAX_INSTRUCTIONS = 500

#: Trades one netted DvP batch may carry (and one run instructs per bond): the contract bounds
#: a batch's deliveries, not its trades, and netting more trades among the same wallets costs
#: no more gas.
MAX_NETTED_TRADES = 5_000


def investor_id(user_id: uuid.UUID) -> bytes:
    """The registry's 32-byte investor id of a user: all of a user's wallets share it."""
    return user_id.bytes.rjust(32, b"\0")


def term_sheet(instrument: Instrument) -> bytes:
    """The bond's terms as canonical JSON: what the token's offer document hash is over."""
    terms = {
        "isin": instrument.isin,
        "name": instrument.name,
        "currency": instrument.currency,
        "face_value": instrument.face_value,
        "coupon_rate": str(instrument.coupon_rate),
        "coupon_frequency": instrument.coupon_frequency,
        "day_count": instrument.day_count,
        "issue_date": instrument.issue_date.isoformat(),
        "maturity_date": instrument.maturity_date.isoformat(),
        "issue_size_units": instrument.issue_size_units,
    }
    return json.dumps(terms, sort_keys=True, separators=(",", ":")).encode()


def offer_document_uri(instrument: Instrument) -> str:
    """Where the bond's offer document (its term sheet) is served."""
    return f"/api/v1/instruments/{instrument.id}"


class ChainService:
    """Chain records over one unit of work's session; never commits, never calls the chain."""

    def __init__(
        self, session: AsyncSession, keystore: LocalKeystore, credentials: Credentials
    ) -> None:
        self._session = session
        self._keystore = keystore
        self._credentials = credentials

    async def network(self, kind: str | None = None, chain_id: int | None = None) -> Network | None:
        """The network deployed last (of this kind and chain id, if given)."""
        query = select(Network).order_by(Network.created_at.desc(), Network.id.desc()).limit(1)
        if kind is not None:
            query = query.where(Network.kind == kind, Network.chain_id == chain_id)
        return await self._session.scalar(query)

    async def wallets(self, user_id: uuid.UUID) -> list[Wallet]:
        """A user's wallets, custodial first."""
        query = select(Wallet).where(Wallet.user_id == user_id).order_by(Wallet.created_at)
        return sorted(await self._session.scalars(query), key=lambda w: w.custody != "custodial")

    async def find_custodial(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Wallet]:
        """The custodial wallets these users have, by user."""
        query = select(Wallet).where(
            Wallet.user_id.in_(set(user_ids)), Wallet.custody == WalletCustody.CUSTODIAL.value
        )
        return {wallet.user_id: wallet for wallet in await self._session.scalars(query)}

    async def first_linked(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Wallet]:
        """The oldest wallet each of these users linked, by user (those who linked one)."""
        query = (
            select(Wallet)
            .where(Wallet.user_id.in_(set(user_ids)), Wallet.custody == WalletCustody.LINKED.value)
            .order_by(Wallet.created_at.desc())
        )
        return {wallet.user_id: wallet for wallet in await self._session.scalars(query)}

    async def custodial_wallets(
        self, user_ids: Collection[uuid.UUID], country: int
    ) -> dict[uuid.UUID, Wallet]:
        """Each user's custodial wallet, created (key and all) where the user has none yet.
        Not in a snapshot transaction: a wallet another transaction creates at the same time
        must be visible to it once its insert collides."""
        wanted = set(user_ids)
        found = await self.find_custodial(wanted)
        identities = IdentityService(self._session, self._credentials)
        for user_id in sorted(wanted - found.keys()):
            roles = await identities.roles_of(user_id)
            try:
                async with self._session.begin_nested():
                    wallet = Wallet(
                        user_id=user_id,
                        address=self._keystore.new_key(self._session, KeyPurpose.CUSTODY),
                        custody=WalletCustody.CUSTODIAL.value,
                        category=_category(roles),
                        country=country,
                    )
                    self._session.add(wallet)
                    await self._session.flush()
            except IntegrityError:  # another transaction gave the user one first: use it
                wallet = (await self.find_custodial([user_id]))[user_id]
            found[user_id] = wallet
        return found

    async def unlisted(self, network_id: uuid.UUID | None) -> list[Wallet]:
        """Wallets the network's identity registry does not list yet (None: a network not
        deployed yet, which lists none)."""
        query = select(Wallet).order_by(Wallet.created_at, Wallet.id)
        if network_id is not None:
            query = query.where(or_(Wallet.network_id.is_(None), Wallet.network_id != network_id))
        return list(await self._session.scalars(query))

    async def mark_listed(self, wallet_ids: Collection[uuid.UUID], network_id: uuid.UUID) -> None:
        """Record that the network's registry lists these wallets."""
        await self._session.execute(
            update(Wallet).where(Wallet.id.in_(list(wallet_ids))).values(network_id=network_id)
        )

    async def instruct(self, token: TokenizedBond, *, up_to: int | None = None) -> int:
        """Give the bond's trades after the last instructed one (up to trade `up_to`, and at
        most :data:`MAX_NETTED_TRADES`) their settlement instructions, in trade order; how many."""
        trades = await OrderService(self._session).trades_after(
            token.instrument_id, token.instructed_trade_seq, limit=MAX_NETTED_TRADES
        )
        trades = [t for t in trades if up_to is None or t.trade_seq <= up_to]
        for trade in trades:
            self._session.add(
                ChainSettlement(
                    trade_id=trade.id,
                    instrument_id=trade.instrument_id,
                    trade_seq=trade.trade_seq,
                    seller_id=trade.seller_id,
                    buyer_id=trade.buyer_id,
                    quantity=trade.quantity,
                    status=SettlementStatus.PENDING.value,
                )
            )
            token.instructed_trade_seq = trade.trade_seq
        await self._session.flush()
        return len(trades)

    async def reissued(self, token: TokenizedBond, trade_seq: int) -> None:
        """Settle the bond's instructions up to trade `trade_seq`: a rebuilt chain minted the
        ledger's holdings as of that trade, which their trades had already moved."""
        while token.instructed_trade_seq < trade_seq and await self.instruct(
            token, up_to=trade_seq
        ):
            pass
        query = select(ChainSettlement).where(
            ChainSettlement.instrument_id == token.instrument_id,
            ChainSettlement.trade_seq <= trade_seq,
            ChainSettlement.status.in_([status.value for status in IN_FLIGHT]),
        )
        rows = list(await self._session.scalars(query))
        await advance(self._session, rows, SettlementStep.REISSUE, last_error=None)

    async def siwe_challenge(
        self, user_id: uuid.UUID, address: str, *, domain: str, uri: str, chain_id: int
    ) -> tuple[str, SiweNonce]:
        """The EIP-4361 message that links `address` to the user once signed, and its nonce
        (issued to this user and address, usable once, for :data:`SIWE_TTL`)."""
        now = utcnow()
        try:
            message = siwe.SiweMessage(
                domain=domain,
                address=to_checksum_address(address),
                statement="Link this wallet to my Liquibond account.",
                uri=uri,
                chain_id=chain_id,
                nonce=siwe.new_nonce(),
                issued_at=now,
                expiration_time=now + SIWE_TTL,
            )
        except siwe.SiweError as exc:
            raise Unprocessable(code=exc.code, detail=exc.detail) from exc
        issued = SiweNonce(
            nonce=message.nonce,
            user_id=user_id,
            address=message.address,
            issued_at=now,
            expires_at=now + SIWE_TTL,
        )
        self._session.add(issued)
        return siwe.render(message), issued

    async def link_wallet(
        self,
        user_id: uuid.UUID,
        text: str,
        signature: str,
        *,
        domain: str,
        chain_id: int,
        country: int,
    ) -> Wallet:
        """Link the wallet a signed EIP-4361 message proves a KYC-verified user controls: 422
        with the message's problem (`siwe.*`), 409 `siwe.nonce_used` for a replay, 409
        `chain.wallet_taken` for a wallet already linked, 403 `kyc.not_verified`."""
        await KycChecks(self._session).require_verified(user_id)
        try:
            nonce = siwe.parse(text).nonce
            issued = await self._session.scalar(
                select(SiweNonce).where(SiweNonce.nonce == nonce).with_for_update()
            )
            if issued is None or issued.user_id != user_id:
                raise siwe.SiweError("siwe.nonce_mismatch", "This nonce was not issued to you.")
            if issued.used_at is not None:
                raise Conflict(code="siwe.nonce_used", detail="This message was used already.")
            if issued.expires_at <= utcnow():
                raise siwe.SiweError("siwe.expired", "This message expired; ask for a new one.")
            message = siwe.verify(
                text, signature, domain=domain, nonce=issued.nonce, now=utcnow(), chain_id=chain_id
            )
        except siwe.SiweError as exc:
            raise Unprocessable(code=exc.code, detail=exc.detail) from exc
        if message.address != issued.address:
            raise Unprocessable(code="siwe.address_mismatch", detail="Not the wallet asked for.")
        issued.used_at = utcnow()
        if await self._session.scalar(select(Wallet).where(Wallet.address == message.address)):
            raise Conflict(code="chain.wallet_taken", detail="This wallet is linked already.")
        roles = await IdentityService(self._session, self._credentials).roles_of(user_id)
        wallet = Wallet(
            user_id=user_id,
            address=message.address,
            custody=WalletCustody.LINKED.value,
            category=_category(roles),
            country=country,
        )
        self._session.add(wallet)
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=user_id,
            action="chain.wallet_linked",
            target=f"user:{user_id}",
            payload={"address": wallet.address, "nonce": issued.nonce},
        )
        return wallet

    async def settlement(self, trade_id: uuid.UUID) -> ChainSettlement | None:
        """The token leg of a trade, once it has an instruction."""
        query = select(ChainSettlement).where(ChainSettlement.trade_id == trade_id)
        return await self._session.scalar(query)

    async def failed_settlements(self) -> list[ChainSettlement]:
        """Instructions out of tries, oldest first: those still failed, and those unwound in
        the last week."""
        query = select(ChainSettlement).where(
            or_(
                ChainSettlement.status == SettlementStatus.FAILED.value,
                (ChainSettlement.status == SettlementStatus.UNWOUND.value)
                & (ChainSettlement.updated_at >= utcnow() - UNWOUND_SHOWN_FOR),
            )
        )
        return list(await self._session.scalars(query.order_by(ChainSettlement.created_at)))

    async def open_breaks(self) -> list[ChainBreak]:
        """Reconciliation breaks not yet resolved, oldest first."""
        query = select(ChainBreak).where(ChainBreak.resolved_at.is_(None))
        return list(await self._session.scalars(query.order_by(ChainBreak.created_at)))

    async def token(self, instrument_id: uuid.UUID) -> TokenizedBond | None:
        """The bond's token, if it is tokenized."""
        return await self._session.get(TokenizedBond, instrument_id)

    async def tokens(self) -> list[TokenizedBond]:
        """Every tokenized bond."""
        return list(await self._session.scalars(select(TokenizedBond)))


def _category(roles: frozenset[Role]) -> int:
    if Role.ISSUER in roles:
        return InvestorCategory.ISSUER
    if Role.DEALER in roles:
        return InvestorCategory.INSTITUTIONAL
    return InvestorCategory.RETAIL


def listing_identity(wallet: Wallet) -> Identity:
    return Identity(
        Address(wallet.address), investor_id(wallet.user_id), wallet.country, wallet.category
    )


@dataclass
class ChainComponents:
    """What the chain's flows need; on `app.state.chain` while the venue is on a chain."""

    database: Database
    venue: Venue
    credentials: Credentials
    settings: Settings
    #: The network the venue's contracts are on (set by :func:`start`).
    network_id: uuid.UUID | None = None
    metrics: ChainMetrics | None = None

    def __post_init__(self) -> None:
        # One chain-changing flow at a time in this process: they share the operator's nonces
        # and each reads the state the previous one recorded.
        self.lock = asyncio.Lock()

    def service(self, session: AsyncSession) -> ChainService:
        """The chain service over `session`."""
        return ChainService(session, self.venue.keystore, self.credentials)


async def start(chain: ChainComponents) -> Network:
    """Put the venue on its chain: reuse the contracts a persistent chain still has, else
    deploy them and re-issue from the ledger: list every wallet, re-deploy every tokenized
    bond and mint its current holdings (the embedded chain forgets all of it on restart)."""
    venue = chain.venue
    operator = await venue.keystore.operator()
    chain_id = await venue.chain.chain_id()
    async with UnitOfWork(chain.database, write=False) as uow:
        last = await chain.service(uow.session).network(venue.chain.kind, chain_id)
    if last is not None and venue.chain.persistent and await _still_there(chain, last):
        venue.contracts = venue_contracts(last)
        chain.network_id = last.id
        return last
    reason = (
        "first start"
        if last is None
        else "embedded chain restarted"
        if not venue.chain.persistent
        else "contracts missing on the chain"
    )
    async with chain.lock:
        return await _deploy_and_reissue(chain, operator, chain_id, reason)


def venue_contracts(network: Network) -> VenueContracts:
    """The venue's contracts as a network row records them."""
    return VenueContracts(
        Address(network.operator), Address(network.registry_address), Address(network.dvp_address)
    )


async def _still_there(chain: ChainComponents, network: Network) -> bool:
    probe = Call(
        "IdentityRegistry", Address(network.registry_address), "isVerified", (network.operator,)
    )
    try:
        await chain.venue.chain.read(probe)
    except Exception as exc:  # no code at the address: the node was reset
        log.warning("chain.contracts_missing", registry=network.registry_address, error=str(exc))
        return False
    return True


async def _deploy_and_reissue(
    chain: ChainComponents, operator: Address, chain_id: int, reason: str
) -> Network:
    venue = chain.venue
    async with UnitOfWork(chain.database, write=False, snapshot=True) as uow:
        tokens = await chain.service(uow.session).tokens()
        instruments = {
            i.id: i
            for i in await InstrumentService(uow.session).find(
                ids=[t.instrument_id for t in tokens]
            )
        }
        holdings = {
            t.instrument_id: await _holdings(uow.session, instruments[t.instrument_id])
            for t in tokens
        }
        linked = await chain.service(uow.session).first_linked(
            {user_id for snap in holdings.values() for user_id, _ in snap.self_custody}
        )
    holders = {user_id for snap in holdings.values() for user_id, _ in snap.held}
    wallets = await _give_wallets(chain, holders)
    async with UnitOfWork(chain.database, write=False) as uow:
        everyone = await chain.service(uow.session).unlisted(None)

    contracts = await venue.deploy_contracts(operator)
    await venue.register([listing_identity(wallet) for wallet in everyone])
    deployed = {
        token.instrument_id: await _deploy_and_mint(
            venue, instruments[token.instrument_id], holdings[token.instrument_id], wallets, linked
        )
        for token in tokens
    }

    async with UnitOfWork(chain.database) as uow:
        network = Network(
            kind=venue.chain.kind,
            chain_id=chain_id,
            operator=contracts.operator,
            registry_address=contracts.registry,
            dvp_address=contracts.dvp,
            reason=reason,
            wallets=len(everyone),
            tokens=len(deployed),
        )
        uow.session.add(network)
        await uow.session.flush()
        service = chain.service(uow.session)
        await service.mark_listed([w.id for w in everyone], network.id)
        for token in await service.tokens():
            receipt, snap = deployed[token.instrument_id]
            assert receipt.contract_address is not None
            token.network_id = network.id
            token.address = receipt.contract_address
            token.deploy_tx = receipt.tx_hash
            token.deploy_block = receipt.block
            token.minted_units = snap.units
            token.minted_trade_seq = snap.trade_seq
            token.updated_at = utcnow()
            await service.reissued(token, snap.trade_seq)
        await record_audit(
            uow.session,
            actor_id=None,
            action="chain.deployed",
            target=f"network:{network.id}",
            payload={
                "kind": network.kind,
                "chain_id": chain_id,
                "reason": reason,
                "registry": network.registry_address,
                "dvp": network.dvp_address,
                "wallets": network.wallets,
                "tokens": network.tokens,
            },
        )
        await uow.commit()
    chain.network_id = network.id
    log.info(
        "chain.deployed",
        kind=network.kind,
        reason=reason,
        wallets=network.wallets,
        tokens=network.tokens,
    )
    return network


@dataclass(frozen=True, slots=True)
class Holdings:
    """Who holds a bond per the ledger, as of its trade numbered `trade_seq`: in the venue's
    custody (`held`), and withdrawn to the holders' own linked wallets (`self_custody`)."""

    held: list[tuple[uuid.UUID, int]]
    trade_seq: int
    self_custody: list[tuple[uuid.UUID, int]] = field(default_factory=list)

    @property
    def units(self) -> int:
        """All units held."""
        return sum(units for _, units in [*self.held, *self.self_custody])


async def _give_wallets(
    chain: ChainComponents, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Wallet]:
    """The users' custodial wallets, created where missing, in a transaction of their own."""
    async with UnitOfWork(chain.database) as uow:
        wallets = await chain.service(uow.session).custodial_wallets(
            user_ids, chain.settings.chain_country
        )
        await uow.commit()
    return wallets


async def _holdings(session: AsyncSession, instrument: Instrument) -> Holdings:
    """The bond's holders and the trade they reflect (read in one snapshot: a trade moves
    units and numbers itself in one commit)."""
    trade_seq = await OrderService(session).last_trade_seq(instrument.id)
    ledger = LedgerService(session)
    return Holdings(
        await ledger.holders(instrument.isin),
        trade_seq,
        await ledger.holders(instrument.isin, (Bucket.SELF_CUSTODY,)),
    )


async def _deploy_and_mint(
    venue: Venue,
    instrument: Instrument,
    holdings: Holdings,
    wallets: Mapping[uuid.UUID, Wallet],
    linked: Mapping[uuid.UUID, Wallet],
) -> tuple[Receipt, Holdings]:
    """Deploy the bond's token and mint each holder's units to their custodial wallet, and
    their units in self-custody (a rebuilt chain forgot them) to a linked wallet of theirs."""
    receipt = await venue.deploy_token(
        instrument.name,
        instrument.isin,
        offer_document_hash(term_sheet(instrument)),
        offer_document_uri(instrument),
    )
    assert receipt.contract_address is not None
    allocations = [(Address(wallets[user].address), units) for user, units in holdings.held]
    allocations += [(Address(linked[user].address), units) for user, units in holdings.self_custody]
    await venue.mint(receipt.contract_address, allocations)
    return receipt, holdings


async def register_pending(chain: ChainComponents) -> int:
    """List the wallets the current network's registry does not list yet; how many it listed."""
    async with chain.lock:
        return await list_unlisted(chain)


async def list_unlisted(chain: ChainComponents) -> int:
    """List the wallets the registry does not list yet (the caller holds the chain lock)."""
    network_id = chain.network_id
    if network_id is None:
        return 0
    async with UnitOfWork(chain.database, write=False) as uow:
        pending = await chain.service(uow.session).unlisted(network_id)
    if pending:
        await chain.venue.register([listing_identity(wallet) for wallet in pending])
        async with UnitOfWork(chain.database) as uow:
            await chain.service(uow.session).mark_listed([w.id for w in pending], network_id)
            await uow.commit()
    return len(pending)


async def tokenize(
    chain: ChainComponents, principal: Principal, instrument_id: uuid.UUID
) -> TokenizedBond:
    """Tokenize a listed bond: deploy its token, list its holders' wallets and mint each the
    units the ledger says they hold. 409 `chain.already_tokenized` / `chain.not_listed`."""
    async with chain.lock:
        if chain.network_id is None:
            raise ServiceUnavailable(code="chain.not_started", detail="The chain is not up yet.")
        async with UnitOfWork(chain.database, write=False, snapshot=True) as uow:
            service = chain.service(uow.session)
            instrument = await InstrumentService(uow.session).get(principal, instrument_id)
            if await service.token(instrument_id) is not None:
                raise Conflict(
                    code="chain.already_tokenized", detail=f"{instrument.isin} is tokenized."
                )
            if instrument.status != InstrumentStatus.LISTED:
                raise Conflict(
                    code="chain.not_listed",
                    detail=f"Only a listed bond can be tokenized; {instrument.isin} is "
                    f"{instrument.status}.",
                )
            snap = await _holdings(uow.session, instrument)
        from liquibond.chain import identity  # it builds on this module

        holders = [user_id for user_id, _ in snap.held]
        wallets = await _give_wallets(chain, holders)
        await list_unlisted(chain)
        frozen = await identity.hold_open(chain, holders)  # a revoked holder's units mint too
        receipt, _ = await _deploy_and_mint(chain.venue, instrument, snap, wallets, {})
        assert receipt.contract_address is not None
        async with UnitOfWork(chain.database) as uow:
            token = TokenizedBond(
                instrument_id=instrument.id,
                network_id=chain.network_id,
                address=receipt.contract_address,
                deploy_tx=receipt.tx_hash,
                deploy_block=receipt.block,
                minted_units=snap.units,
                minted_trade_seq=snap.trade_seq,
                instructed_trade_seq=snap.trade_seq,
                tokenized_by=principal.user_id,
            )
            uow.session.add(token)
            await InstrumentService(uow.session).settle_on_chain(instrument.id)
            details = {
                "instrument_id": str(instrument.id),
                "isin": instrument.isin,
                "address": token.address,
                "deploy_tx": token.deploy_tx,
                "minted_units": token.minted_units,
                "holders": len(snap.held),
            }
            await record_audit(
                uow.session,
                actor_id=principal.user_id,
                action="chain.tokenized",
                target=f"instrument:{instrument.id}",
                payload=details,
            )
            record_event(uow.session, "chain.tokenized.v1", details)
            await uow.commit()
        await identity.apply_freezes(chain, frozen)  # ... and freeze again, on this token too
        return token
