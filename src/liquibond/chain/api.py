"""Chain HTTP API: the venue's network, my wallets, and tokenized bonds (admins tokenize).

Tokenizing calls the chain between commits (see :mod:`liquibond.chain.service`), so its route
commits the request's unit of work first and runs the flow's own."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Annotated, TypeVar

from fastapi import APIRouter, BackgroundTasks, Depends, Request, status

from liquibond.chain.custody import CustodyService, deliver_soon, read_deposit
from liquibond.chain.models import TokenizedBond, Wallet, WalletCustody
from liquibond.chain.port import Address
from liquibond.chain.runtime import lifespan
from liquibond.chain.schemas import (
    BreakOut,
    BreaksOut,
    NetworkOut,
    SettlementOut,
    SiweChallenge,
    SiweRequest,
    TokenDepositOut,
    TokenDepositRequest,
    TokenOut,
    TokenWithdrawalOut,
    TokenWithdrawalRequest,
    TransferOut,
    WalletLink,
    WalletOut,
)
from liquibond.chain.service import ChainComponents, offer_document_uri, term_sheet, tokenize
from liquibond.chain.settlement import reconcile, retry_failed, unwind_failed
from liquibond.chain.transfers import ZERO_ADDRESS, transfers_page
from liquibond.chain.venue import offer_document_hash
from liquibond.identity.deps import CurrentPrincipal, require_role
from liquibond.identity.models import Role
from liquibond.identity.service import Principal
from liquibond.instruments.models import Instrument
from liquibond.instruments.service import InstrumentService
from liquibond.platform.errors import Forbidden, ServiceUnavailable, not_found
from liquibond.platform.routing import Session, TransactionalRoute, Uow
from liquibond.platform.schemas import Page, PageCursor, PageLimit
from liquibond.platform.uow import UnitOfWork

_T = TypeVar("_T")

chain = APIRouter(
    prefix="/api/v1", tags=["chain"], route_class=TransactionalRoute, lifespan=lifespan
)

Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
Operations = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.COMPLIANCE))]


def _chain(request: Request) -> ChainComponents:
    components: ChainComponents | None = request.app.state.chain
    if components is None or components.network_id is None:
        raise ServiceUnavailable(
            code="chain.off", detail="This venue runs without a chain: nothing is tokenized."
        )
    return components


Chain = Annotated[ChainComponents, Depends(_chain)]


@chain.get("/chain", responses={503: {"description": "The venue runs without a chain"}})
async def get_network(components: Chain, session: Session) -> NetworkOut:
    """The chain the venue runs on, its latest block and the venue's contracts there."""
    network = await components.service(session).network()
    assert network is not None  # a started chain has recorded its network
    adapter = components.venue.chain
    return NetworkOut(
        kind=network.kind,
        persistent=adapter.persistent,
        chain_id=network.chain_id,
        block=await adapter.block_number(),
        operator=network.operator,
        registry=network.registry_address,
        dvp=network.dvp_address,
        deployed_at=network.created_at,
        reason=network.reason,
        wallets=network.wallets,
        tokens=network.tokens,
    )


@chain.get("/wallets")
async def list_my_wallets(
    principal: CurrentPrincipal, components: Chain, session: Session
) -> list[WalletOut]:
    """My wallets: the custodial one the venue holds for me once my KYC is verified."""
    wallets = await components.service(session).wallets(principal.user_id)
    return [_wallet_out(components, wallet) for wallet in wallets]


def _wallet_out(components: ChainComponents, wallet: Wallet) -> WalletOut:
    return WalletOut(
        address=wallet.address,
        custody=WalletCustody(wallet.custody),
        category=wallet.category,
        country=wallet.country,
        listed=wallet.network_id == components.network_id and wallet.frozen_at is None,
        frozen_at=wallet.frozen_at,
        created_at=wallet.created_at,
    )


@chain.post("/wallets/siwe", status_code=status.HTTP_201_CREATED)
async def ask_to_link_wallet(
    body: SiweRequest,
    principal: CurrentPrincipal,
    components: Chain,
    session: Session,
    request: Request,
) -> SiweChallenge:
    """The Sign-In with Ethereum message that links a wallet I control: sign it as it is
    (personal_sign) within ten minutes and send it to `POST /wallets/link`."""
    message, issued = await components.service(session).siwe_challenge(
        principal.user_id,
        body.address,
        domain=request.url.netloc,
        uri=str(request.base_url).rstrip("/"),
        chain_id=await components.venue.chain.chain_id(),
    )
    return SiweChallenge(message=message, nonce=issued.nonce, expires_at=issued.expires_at)


@chain.post(
    "/wallets/link",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "Replayed, or the wallet is linked already"}},
)
async def link_wallet(
    body: WalletLink,
    principal: CurrentPrincipal,
    components: Chain,
    session: Session,
    request: Request,
) -> WalletOut:
    """Link a self-custody wallet by its signed message: the identity registry lists it once
    my KYC is verified, and it can then receive my tokens."""
    wallet = await components.service(session).link_wallet(
        principal.user_id,
        body.message,
        body.signature,
        domain=request.url.netloc,
        chain_id=await components.venue.chain.chain_id(),
        country=components.settings.chain_country,
    )
    return _wallet_out(components, wallet)


@chain.post(
    "/instruments/{instrument_id}/tokenize",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "Already tokenized, or not listed"}},
)
async def tokenize_bond(
    instrument_id: uuid.UUID, admin: Admin, components: Chain, uow: Uow
) -> TokenOut:
    """Tokenize a listed bond: deploy its permissioned token, list its holders' wallets and
    mint each the units the ledger says they hold."""
    token = await _outside_request(uow, tokenize(components, admin, instrument_id))
    instrument = await InstrumentService(uow.session).get(admin, instrument_id)
    return await _token_out(components, token, instrument)


@chain.get("/instruments/{instrument_id}/token")
async def get_token(instrument_id: uuid.UUID, components: Chain, session: Session) -> TokenOut:
    """A tokenized bond's token: contract, deployment, supply and offer document."""
    instrument = await InstrumentService(session).get(None, instrument_id)
    token = await components.service(session).token(instrument_id)
    if token is None:
        raise not_found("token")
    return await _token_out(components, token, instrument)


async def _token_out(
    components: ChainComponents, token: TokenizedBond, instrument: Instrument
) -> TokenOut:
    return TokenOut(
        instrument_id=token.instrument_id,
        address=token.address,
        deploy_tx=token.deploy_tx,
        deploy_block=token.deploy_block,
        minted_units=token.minted_units,
        total_supply=await components.venue.total_supply(Address(token.address)),
        offer_document_hash="0x" + offer_document_hash(term_sheet(instrument)).hex(),
        offer_document_uri=offer_document_uri(instrument),
        tokenized_at=token.created_at,
    )


@chain.get("/trades/{trade_id}/settlement", responses={404: {"description": "No such settlement"}})
async def get_settlement(
    trade_id: uuid.UUID, principal: CurrentPrincipal, components: Chain, session: Session
) -> SettlementOut:
    """A trade's token leg on chain: its status and transaction (the trade's parties and
    operations only). 404 until a trade in a tokenized bond has its instruction."""
    row = await components.service(session).settlement(trade_id)
    mine = row is not None and principal.user_id in (row.buyer_id, row.seller_id)
    if row is None or not (mine or principal.has_role(Role.ADMIN, Role.COMPLIANCE)):
        raise not_found("settlement")
    return SettlementOut.model_validate(row)


@chain.get("/chain/breaks")
async def get_breaks(_: Operations, components: Chain, session: Session) -> BreaksOut:
    """The breaks queue: settlements out of tries and reconciliation breaks still open."""
    service = components.service(session)
    return BreaksOut(
        failed_settlements=[
            SettlementOut.model_validate(r) for r in await service.failed_settlements()
        ],
        reconciliation=[BreakOut.model_validate(b) for b in await service.open_breaks()],
    )


@chain.post("/chain/settlements/{trade_id}/retry", responses={409: {"description": "Not failed"}})
async def retry_settlement(
    trade_id: uuid.UUID, admin: Admin, components: Chain, uow: Uow
) -> SettlementOut:
    """Put a failed settlement back for the next run (once what failed it is fixed)."""
    row = await _outside_request(uow, retry_failed(components, admin.user_id, trade_id))
    return SettlementOut.model_validate(row)


@chain.post(
    "/chain/settlements/{trade_id}/unwind",
    responses={409: {"description": "Not failed"}, 422: {"description": "Cannot unwind yet"}},
)
async def unwind_settlement(
    trade_id: uuid.UUID, admin: Admin, components: Chain, uow: Uow
) -> SettlementOut:
    """Reverse a failed trade in the ledger: the buyer's cash back, the units to the seller."""
    row = await _outside_request(uow, unwind_failed(components, admin.user_id, trade_id))
    return SettlementOut.model_validate(row)


@chain.post("/chain/reconcile")
async def reconcile_now(_: Admin, components: Chain, uow: Uow) -> list[BreakOut]:
    """Compare every wallet's tokens with the ledger now; the breaks still open after it."""
    await _outside_request(uow, reconcile(components))
    return [BreakOut.model_validate(b) for b in await components.service(uow.session).open_breaks()]


async def _outside_request(uow: UnitOfWork, flow: Awaitable[_T]) -> _T:
    """Run a chain flow, which commits in units of work of its own between chain calls, after
    committing the request's; the answer is then read (and the Idempotency-Key stored) in a
    new transaction of the request's."""
    await uow.commit()
    try:
        return await flow
    finally:
        await uow.begin()


routers = [chain]


# -- self-custody: tokens to and from the wallets I linked -------------------------------------


@chain.post(
    "/wallets/withdrawals",
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {"description": "The bond is not tokenized"},
        409: {"description": "The identity registry does not list the wallet yet"},
        422: {"description": "Not a wallet I linked, or not that many units available"},
    },
)
async def withdraw_tokens(
    body: TokenWithdrawalRequest,
    principal: CurrentPrincipal,
    components: Chain,
    session: Session,
    background: BackgroundTasks,
) -> TokenWithdrawalOut:
    """Withdraw units of a tokenized bond to a wallet I linked: they leave my available balance
    at once (in self-custody they cannot be sold here) and reach the wallet when the chain
    confirms the delivery (`confirmed`); a delivery that keeps failing gives them back
    (`failed`)."""
    row = await CustodyService(session).withdraw(
        principal.user_id,
        body.instrument_id,
        body.wallet,
        body.quantity,
        network_id=components.network_id,
    )
    background.add_task(deliver_soon, components)
    return TokenWithdrawalOut.model_validate(row)


@chain.get("/wallets/withdrawals")
async def list_my_withdrawals(
    principal: CurrentPrincipal,
    _: Chain,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
) -> Page[TokenWithdrawalOut]:
    """My withdrawals of tokens to linked wallets, newest first."""
    rows, next_cursor = await CustodyService(session).withdrawals(
        principal.user_id, limit=limit, cursor=cursor
    )
    return Page[TokenWithdrawalOut](
        items=[TokenWithdrawalOut.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@chain.post(
    "/wallets/deposits",
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {"description": "The bond is not tokenized"},
        409: {"description": "Credited already, or not confirmed yet"},
        422: {"description": "Unknown or reverted transaction, or not a deposit of mine"},
    },
)
async def deposit_tokens(
    body: TokenDepositRequest, principal: CurrentPrincipal, components: Chain, uow: Uow
) -> list[TokenDepositOut]:
    """Report a transaction that sent a tokenized bond from a wallet I linked to my custodial
    wallet (an ERC-20 `transfer`): each such transfer in it is credited back to my available
    balance once, up to what I hold in self-custody (any more is flagged for operations)."""
    receipt, confirmed_block = await _outside_request(uow, read_deposit(components, body.tx_hash))
    rows = await CustodyService(uow.session).credit_deposit(
        principal.user_id, body.instrument_id, receipt, confirmed_block
    )
    return [TokenDepositOut.model_validate(row) for row in rows]


@chain.get("/wallets/deposits")
async def list_my_deposits(
    principal: CurrentPrincipal,
    _: Chain,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
) -> Page[TokenDepositOut]:
    """My deposits of tokens from linked wallets, newest first."""
    rows, next_cursor = await CustodyService(session).deposits(
        principal.user_id, limit=limit, cursor=cursor
    )
    return Page[TokenDepositOut](
        items=[TokenDepositOut.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@chain.get("/chain/deposits/flagged")
async def get_flagged_deposits(_: Operations, __: Chain, session: Session) -> list[TokenDepositOut]:
    """Deposits that brought more tokens than their sender had withdrawn: the rest sits in the
    custodial wallet, outside the ledger, until operations resolve it."""
    rows = await CustodyService(session).flagged_deposits()
    return [TokenDepositOut.model_validate(row) for row in rows]


@chain.get(
    "/instruments/{instrument_id}/token/transfers",
    responses={
        403: {"description": "Not the bond's issuer, an admin or compliance"},
        404: {"description": "The bond is not tokenized"},
    },
)
async def list_token_transfers(
    instrument_id: uuid.UUID,
    principal: CurrentPrincipal,
    components: Chain,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
) -> Page[TransferOut]:
    """A tokenized bond's Transfer history on chain as indexed so far (its mints, burns and
    transfers), newest first: for the bond's issuer, admins and compliance."""
    instrument = await InstrumentService(session).get(principal, instrument_id)
    allowed = principal.has_role(Role.ADMIN, Role.COMPLIANCE)
    if not allowed and instrument.issuer_id != principal.user_id:
        raise Forbidden(
            code="chain.not_issuer",
            detail="Only the bond's issuer, admins and compliance see its transfers.",
        )
    token = await components.service(session).token(instrument_id)
    if token is None:
        raise not_found("token")
    rows, owners, next_cursor = await transfers_page(session, token, limit=limit, cursor=cursor)
    return Page[TransferOut](
        items=[
            TransferOut(
                block=row.block,
                block_time=row.block_time,
                tx_hash=row.tx_hash,
                log_index=row.log_index,
                kind="mint"
                if row.sender == ZERO_ADDRESS
                else "burn"
                if row.receiver == ZERO_ADDRESS
                else "transfer",
                sender=row.sender,
                sender_user_id=owners.get(row.sender),
                receiver=row.receiver,
                receiver_user_id=owners.get(row.receiver),
                amount=row.amount,
            )
            for row in rows
        ],
        next_cursor=next_cursor,
    )
