"""Self-custody: withdrawing a tokenized bond's units to a wallet the user linked, depositing
them back, and checking the linked wallets against the ledger.

A withdrawal is asked for in one transaction: the ledger moves the units from the owner's
available balance to self-custody (so they can no longer be sold, locked or escrowed on the
venue) and a `pending` withdrawal is written. :func:`process_withdrawals` (run right after the
request and as a job) then delivers the tokens under the chain lock the way the settlement
saga settles trades: it commits `submitted` before the chain call and the outcome after it.
The delivery is a DvP settlement free of payment, custodial wallet -> linked wallet, signed by
the operator. Unlike a forced transfer it keeps every transfer rule of the token (pause,
freezes, the identity registry, categories); unlike a transfer signed with the custodial key it
needs no gas in the custodial wallet; and it spends a settlement id derived from the
withdrawal's id, so a retried or recovered delivery never moves the tokens twice. A submitted
withdrawal whose answer was lost is found on chain by that id. One whose delivery reverts on its
last try fails, and its units go back to the available balance in the same transaction.

A deposit is the user's own ERC-20 transfer from a linked wallet to their custodial wallet.
Told its transaction, the venue reads the receipt's Transfer logs and credits each once (one
row per log) from self-custody back to the available balance. It credits at most what the user
holds in self-custody less what is still on its way out. More (tokens bought elsewhere on
chain) is not refused: the chain has moved them already and a refusal would undo nothing, and
it would deny the user the units that were theirs. The excess is recorded (status `flagged`),
audited for operations, and shows as a break of the custodial wallet until they resolve it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import structlog
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.chain.custody_lifecycle import (
    WITHDRAWALS_IN_FLIGHT,
    DepositStatus,
    WithdrawalStatus,
    WithdrawalStep,
    after_delivery_reverted,
    credit_deposits,
    next_withdrawal_status,
)
from liquibond.chain.lifecycle import SettlementStatus
from liquibond.chain.models import (
    ChainSettlement,
    CustodyDeposit,
    CustodyWithdrawal,
    TokenizedBond,
    Wallet,
    WalletCustody,
)
from liquibond.chain.port import (
    MAX_EVENT_SPAN,
    Address,
    Call,
    Receipt,
    TransactionReverted,
    TxHash,
)
from liquibond.chain.service import ChainComponents
from liquibond.instruments.models import Instrument
from liquibond.instruments.service import InstrumentService
from liquibond.kyc.service import KycChecks
from liquibond.ledger.entries import AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import InsufficientFunds, LedgerService
from liquibond.platform.audit import record_audit
from liquibond.platform.db import new_id
from liquibond.platform.errors import Conflict, FieldError, Unprocessable, not_found
from liquibond.platform.outbox import record_event
from liquibond.platform.schemas import as_uuid, cursor_value, encode_cursor
from liquibond.platform.transitions import apply_step
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.service import OrderService

if TYPE_CHECKING:
    from liquibond.chain.settlement import Difference

log = structlog.get_logger(__name__)

_ZERO = Address("0x" + "00" * 20)
#: Pending withdrawals one run delivers, oldest first.
MAX_DELIVERIES = 100

_Row = TypeVar("_Row", CustodyWithdrawal, CustodyDeposit)


def withdrawal_settlement_id(withdrawal_id: uuid.UUID) -> bytes:
    """The DvP settlement id of a withdrawal's delivery: a hash of its id, apart from trade ids
    and netted batch ids, so the chain delivers each withdrawal at most once."""
    return keccak(b"liquibond.withdrawal:" + withdrawal_id.bytes)


class CustodyService:
    """Withdrawals and deposits over one unit of work's session; never commits, never calls the
    chain."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._ledger = LedgerService(session)

    async def withdraw(
        self,
        user_id: uuid.UUID,
        instrument_id: uuid.UUID,
        wallet: str,
        quantity: int,
        *,
        network_id: uuid.UUID | None,
    ) -> CustodyWithdrawal:
        """Move `quantity` units of a tokenized bond from the user's available balance to
        self-custody and write a pending withdrawal to `wallet`, a wallet the user linked that
        the network's registry lists: 404 `token.not_found`, 422 `chain.wallet_not_linked` /
        `chain.insufficient_units`, 409 `chain.wallet_not_listed`, 403 `kyc.not_verified`."""
        await KycChecks(self._session).require_verified(user_id)
        token, instrument = await self._tokenized(instrument_id)
        linked = await self._session.scalar(
            select(Wallet).where(Wallet.address == to_checksum_address(wallet))
        )
        if linked is None or (linked.user_id, linked.custody) != (user_id, WalletCustody.LINKED):
            raise Unprocessable(
                code="chain.wallet_not_linked",
                detail="This is not a wallet you linked.",
                errors=[FieldError("body.wallet", "not one of your linked wallets")],
            )
        if linked.network_id is None or linked.network_id != network_id:
            raise Conflict(
                code="chain.wallet_not_listed",
                detail="The identity registry does not list this wallet yet: try again shortly.",
            )
        row = CustodyWithdrawal(
            id=new_id(),
            user_id=user_id,
            instrument_id=token.instrument_id,
            wallet=linked.address,
            quantity=quantity,
            status=WithdrawalStatus.PENDING.value,
        )
        owner = Owner.user(user_id)
        try:
            await self._ledger.move(
                "token_withdrawal",
                f"Withdrawn to my wallet {linked.address}",
                source=AccountKey(owner, instrument.isin, Bucket.AVAILABLE),
                destination=AccountKey(owner, instrument.isin, Bucket.SELF_CUSTODY),
                amount=quantity,
                reference=f"chain.withdrawal:{row.id}",
                actor_id=user_id,
            )
        except InsufficientFunds as exc:
            raise Unprocessable(
                code="chain.insufficient_units",
                detail=f"You have fewer than {quantity} units of {instrument.isin} available.",
                errors=[FieldError("body.quantity", "more than available")],
                extra={"asset": instrument.isin, "required": quantity},
            ) from exc
        self._session.add(row)
        await self._session.flush()
        details = _withdrawal_details(row)
        await record_audit(
            self._session,
            actor_id=user_id,
            action="chain.withdrawal_requested",
            target=f"withdrawal:{row.id}",
            payload=details,
        )
        record_event(self._session, "chain.withdrawal_requested.v1", details)
        return row

    async def credit_deposit(
        self, user_id: uuid.UUID, instrument_id: uuid.UUID, receipt: Receipt, confirmed_block: int
    ) -> list[CustodyDeposit]:
        """Credit the Transfers of the bond's token in `receipt` from one of the user's linked
        wallets to their custodial wallet, each from self-custody back to the available balance
        (see the module docstring for more than was withdrawn): 404 `token.not_found`, 422
        `chain.deposit_wrong_token` / `chain.deposit_not_your_wallet` /
        `chain.deposit_not_to_custodial`, 409 `chain.deposit_already_credited` /
        `chain.deposit_unconfirmed` (mined after `confirmed_block`)."""
        token, instrument = await self._tokenized(instrument_id)
        transfers = [
            event
            for event in receipt.named("Transfer")
            if event.address.lower() == token.address.lower()
        ]
        if not transfers:
            raise Unprocessable(
                code="chain.deposit_wrong_token",
                detail=f"This transaction moved no {instrument.isin} tokens.",
            )
        wallets = list(await self._session.scalars(select(Wallet).where(Wallet.user_id == user_id)))
        linked = {w.address for w in wallets if w.custody == WalletCustody.LINKED}
        custodial = {w.address for w in wallets if w.custody == WalletCustody.CUSTODIAL}
        from_mine = [event for event in transfers if event.args["sender"] in linked]
        if not from_mine:
            raise Unprocessable(
                code="chain.deposit_not_your_wallet",
                detail="These tokens did not come from a wallet you linked.",
            )
        received = [event for event in from_mine if event.args["receiver"] in custodial]
        if not received:
            raise Unprocessable(
                code="chain.deposit_not_to_custodial",
                detail="These tokens did not go to your custodial wallet: send them there.",
            )
        if await self._session.scalar(
            select(func.count())
            .select_from(CustodyDeposit)
            .where(
                CustodyDeposit.tx_hash == receipt.tx_hash,
                CustodyDeposit.log_index.in_([event.log_index for event in received]),
            )
        ):
            raise _already_credited()
        if receipt.block > confirmed_block:
            raise Conflict(
                code="chain.deposit_unconfirmed",
                detail="This transaction is not confirmed yet: try again in a few blocks.",
            )
        self_custody = AccountKey(Owner.user(user_id), instrument.isin, Bucket.SELF_CUSTODY)
        # Lock and read self-custody before what is still leaving it: a withdrawal asked for
        # or failed meanwhile changes both under this lock, and one confirmed meanwhile only
        # lowers what is leaving, so a read in this order never credits more than is there.
        await self._ledger.batch().hold([self_custody])
        held = await self._ledger.balance(self_custody)
        leaving = (await units_leaving(self._session, token.instrument_id, [user_id])).get(
            user_id, 0
        )
        amounts = [int(event.args["value"]) for event in received]
        rows = [
            CustodyDeposit(
                id=new_id(),
                user_id=user_id,
                instrument_id=token.instrument_id,
                tx_hash=receipt.tx_hash,
                log_index=event.log_index,
                block=event.block,
                wallet=event.args["sender"],
                quantity=amount,
                credited=credit,
                status=(
                    DepositStatus.CREDITED if credit == amount else DepositStatus.FLAGGED
                ).value,
            )
            for event, amount, credit in zip(
                received, amounts, credit_deposits(amounts, held - leaving), strict=True
            )
        ]
        self._session.add_all(rows)
        try:
            await self._session.flush()
        except IntegrityError as exc:  # the same transfer, credited by a concurrent request
            raise _already_credited() from exc
        for row in rows:
            await self._record_deposit(row, self_custody)
        return rows

    async def _record_deposit(self, row: CustodyDeposit, self_custody: AccountKey) -> None:
        if row.credited:
            await self._ledger.move(
                "token_deposit",
                f"Deposited from my wallet {row.wallet}",
                source=self_custody,
                destination=AccountKey(self_custody.owner, self_custody.asset, Bucket.AVAILABLE),
                amount=row.credited,
                reference=f"chain.deposit:{row.id}",
                actor_id=row.user_id,
            )
        details = {
            "deposit_id": str(row.id),
            "user_id": str(row.user_id),
            "instrument_id": str(row.instrument_id),
            "tx_hash": row.tx_hash,
            "log_index": row.log_index,
            "wallet": row.wallet,
            "quantity": row.quantity,
            "credited": row.credited,
            "status": row.status,
        }
        await record_audit(
            self._session,
            actor_id=row.user_id,
            action=(
                "chain.deposit_flagged"
                if row.status == DepositStatus.FLAGGED
                else "chain.deposit_credited"
            ),
            target=f"deposit:{row.id}",
            payload=details,
        )
        record_event(self._session, "chain.deposit_credited.v1", details)
        if row.status == DepositStatus.FLAGGED:
            log.warning("chain.deposit_flagged", **details)

    async def withdrawals(
        self, user_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[CustodyWithdrawal], str | None]:
        """The user's withdrawals, newest first, one page at a time."""
        return await self._page(CustodyWithdrawal, user_id, limit, cursor)

    async def deposits(
        self, user_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[CustodyDeposit], str | None]:
        """The user's deposits, newest first, one page at a time."""
        return await self._page(CustodyDeposit, user_id, limit, cursor)

    async def flagged_deposits(self) -> list[CustodyDeposit]:
        """Deposits that brought more than their sender had withdrawn, oldest first."""
        query = select(CustodyDeposit).where(CustodyDeposit.status == DepositStatus.FLAGGED.value)
        return list(await self._session.scalars(query.order_by(CustodyDeposit.id)))

    async def _page(
        self, model: type[_Row], user_id: uuid.UUID, limit: int, cursor: str | None
    ) -> tuple[list[_Row], str | None]:
        query = select(model).where(model.user_id == user_id).order_by(model.id.desc())
        before = cursor_value(cursor, "before", as_uuid)
        if before is not None:
            query = query.where(model.id < before)  # ids are time-ordered (UUIDv7)
        rows = list(await self._session.scalars(query.limit(limit + 1)))
        page = rows[:limit]
        return page, encode_cursor({"before": str(page[-1].id)}) if len(rows) > limit else None

    async def _tokenized(self, instrument_id: uuid.UUID) -> tuple[TokenizedBond, Instrument]:
        token = await self._session.get(TokenizedBond, instrument_id)
        if token is None:
            raise not_found("token")
        [instrument] = await InstrumentService(self._session).find(ids=[instrument_id])
        return token, instrument


def _already_credited() -> Conflict:
    return Conflict(
        code="chain.deposit_already_credited", detail="This transfer was credited already."
    )


def _withdrawal_details(row: CustodyWithdrawal) -> dict[str, object]:
    return {
        "withdrawal_id": str(row.id),
        "user_id": str(row.user_id),
        "instrument_id": str(row.instrument_id),
        "wallet": row.wallet,
        "quantity": row.quantity,
        "status": row.status,
        "tx_hash": row.tx_hash,
    }


async def units_leaving(
    session: AsyncSession, instrument_id: uuid.UUID, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Units of the bond in self-custody whose withdrawal has not delivered them yet, by user."""
    rows = await session.execute(
        select(CustodyWithdrawal.user_id, func.sum(CustodyWithdrawal.quantity))
        .where(
            CustodyWithdrawal.instrument_id == instrument_id,
            CustodyWithdrawal.user_id.in_(list(user_ids)),
            CustodyWithdrawal.status.in_([status.value for status in WITHDRAWALS_IN_FLIGHT]),
        )
        .group_by(CustodyWithdrawal.user_id)
    )
    return {user_id: int(units) for user_id, units in rows}


async def read_deposit(chain: ChainComponents, tx_hash: str) -> tuple[Receipt, int]:
    """The receipt of a transaction said to deposit tokens, and the latest confirmed block: 422
    `chain.deposit_unknown_tx` / `chain.deposit_reverted`."""
    try:
        receipt = await chain.venue.chain.receipt(TxHash(tx_hash.lower()))
    except TransactionReverted as exc:
        raise Unprocessable(
            code="chain.deposit_reverted", detail="This transaction reverted: it moved nothing."
        ) from exc
    if receipt is None:
        raise Unprocessable(
            code="chain.deposit_unknown_tx",
            detail="The chain has no mined transaction with this hash (if you have just sent "
            "it, wait until it is mined).",
        )
    return receipt, await chain.venue.chain.block_number()


# -- delivering withdrawals -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WithdrawalReport:
    """What one run of :func:`process_withdrawals` did."""

    confirmed: int = 0
    retried: int = 0
    failed: int = 0

    def __add__(self, other: WithdrawalReport) -> WithdrawalReport:
        return WithdrawalReport(
            self.confirmed + other.confirmed,
            self.retried + other.retried,
            self.failed + other.failed,
        )


async def process_withdrawals(chain: ChainComponents) -> WithdrawalReport:
    """One run of the withdrawal deliveries, under the chain lock: find what happened to those a
    previous run submitted but never heard back about, then deliver the pending ones whose
    owner has no trade in the bond still settling, one DvP transaction each, oldest first."""
    async with chain.lock:
        if chain.network_id is None:
            return WithdrawalReport()
        recovered = await _recover_submitted(chain)
        return recovered + await _deliver_pending(chain)


async def deliver_soon(chain: ChainComponents) -> None:
    """:func:`process_withdrawals` after a request: a failure is logged (the job tries again)."""
    try:
        await process_withdrawals(chain)
    except Exception:
        log.exception("chain.withdrawal_delivery_failed")


async def _recover_submitted(chain: ChainComponents) -> WithdrawalReport:
    async with UnitOfWork(chain.database, write=False) as uow:
        stranded = await _in_status(uow.session, WithdrawalStatus.SUBMITTED)
    if not stranded:
        return WithdrawalReport()
    spent = {row.id: await _is_spent(chain, row.id) for row in stranded}
    found = await _find_deliveries(chain, [row for row in stranded if spent[row.id]])
    async with UnitOfWork(chain.database) as uow:
        for row in await _in_status(uow.session, WithdrawalStatus.SUBMITTED):
            if spent.get(row.id):
                tx_hash, block = found.get(row.id, (None, None))
                await _confirm(uow.session, row, tx_hash, block)
            elif row.id in spent:
                # Never a failure: a delivery not known to be mined may still be mined later.
                _advance(row, WithdrawalStep.REVERT, last_error="no confirmation came")
        await uow.commit()
    return WithdrawalReport(confirmed=sum(spent.values()))


async def _deliver_pending(chain: ChainComponents) -> WithdrawalReport:
    async with UnitOfWork(chain.database, write=False) as uow:
        pending = await _in_status(uow.session, WithdrawalStatus.PENDING, limit=MAX_DELIVERIES)
        if not pending:
            return WithdrawalReport()
        service = chain.service(uow.session)
        tokens = {token.instrument_id: token for token in await service.tokens()}
        custodial = await service.find_custodial({row.user_id for row in pending})
        deliveries = [
            (
                row.id,
                Address(tokens[row.instrument_id].address),
                Address(custodial[row.user_id].address),
            )
            for row in pending
            if row.user_id in custodial
            and not await _legs_in_flight(uow.session, tokens[row.instrument_id], row.user_id)
        ]
    report = WithdrawalReport()
    for withdrawal_id, token, source in deliveries:
        report += await _deliver(chain, withdrawal_id, token, source)
    return report


async def _legs_in_flight(session: AsyncSession, token: TokenizedBond, user_id: uuid.UUID) -> bool:
    """Whether a trade in the bond may still move tokens in or out of the user's custodial
    wallet (a trade not instructed yet, or the user's pending or submitted): delivering before
    it settles could find the tokens not there yet, or take those its leg needs."""
    if await OrderService(session).trades_after(
        token.instrument_id, token.instructed_trade_seq, limit=1
    ):
        return True
    settling = await session.scalar(
        select(ChainSettlement.id)
        .where(
            ChainSettlement.instrument_id == token.instrument_id,
            ChainSettlement.status.in_([SettlementStatus.PENDING, SettlementStatus.SUBMITTED]),
            or_(ChainSettlement.seller_id == user_id, ChainSettlement.buyer_id == user_id),
        )
        .limit(1)
    )
    return settling is not None


async def _deliver(
    chain: ChainComponents, withdrawal_id: uuid.UUID, token: Address, source: Address
) -> WithdrawalReport:
    contracts = chain.venue.require_contracts()
    submitted_block = await chain.venue.chain.block_number()
    async with UnitOfWork(chain.database) as uow:
        row = await uow.session.get_one(CustodyWithdrawal, withdrawal_id)
        if row.status != WithdrawalStatus.PENDING:
            return WithdrawalReport()
        _advance(
            row,
            WithdrawalStep.SUBMIT,
            attempts=row.attempts + 1,
            submitted_block=submitted_block,
        )
        await uow.commit()
        delivery = (
            withdrawal_settlement_id(row.id),
            token,
            source,
            Address(row.wallet),
            row.quantity,
            _ZERO,
            0,
        )
    try:
        receipt = await chain.venue.chain.send(
            Call("DvP", contracts.dvp, "settle", (delivery,)), sender=contracts.operator
        )
    except TransactionReverted as reverted:
        return await _record_revert(chain, withdrawal_id, reverted.reason)
    async with UnitOfWork(chain.database) as uow:
        row = await uow.session.get_one(CustodyWithdrawal, withdrawal_id)
        await _confirm(uow.session, row, receipt.tx_hash, receipt.block)
        await uow.commit()
    return WithdrawalReport(confirmed=1)


async def _record_revert(
    chain: ChainComponents, withdrawal_id: uuid.UUID, reason: str
) -> WithdrawalReport:
    delivered = "already used" in reason and await _is_spent(chain, withdrawal_id)
    async with UnitOfWork(chain.database, write=False) as uow:
        row = await uow.session.get_one(CustodyWithdrawal, withdrawal_id)
    found = await _find_deliveries(chain, [row]) if delivered else {}
    async with UnitOfWork(chain.database) as uow:
        row = await uow.session.get_one(CustodyWithdrawal, withdrawal_id)
        if delivered:  # an earlier try did deliver it
            tx_hash, block = found.get(row.id, (None, None))
            await _confirm(uow.session, row, tx_hash, block)
            await uow.commit()
            return WithdrawalReport(confirmed=1)
        step = after_delivery_reverted(row.attempts)
        if step is WithdrawalStep.FAIL:
            await _fail(uow.session, row, reason)
        else:
            _advance(row, step, last_error=reason[:500])
        await uow.commit()
    log.warning(
        "chain.withdrawal_reverted", withdrawal_id=str(withdrawal_id), reason=reason, step=step
    )
    return (
        WithdrawalReport(failed=1) if step is WithdrawalStep.FAIL else WithdrawalReport(retried=1)
    )


async def _confirm(
    session: AsyncSession, row: CustodyWithdrawal, tx_hash: str | None, block: int | None
) -> None:
    # A delivery found spent but not in the blocks searched keeps the transaction known before.
    found = {"tx_hash": tx_hash, "block": block} if tx_hash is not None else {}
    _advance(row, WithdrawalStep.CONFIRM, last_error=None, **found)
    details = _withdrawal_details(row)
    await record_audit(
        session,
        actor_id=None,
        action="chain.withdrawal_confirmed",
        target=f"withdrawal:{row.id}",
        payload=details,
    )
    record_event(session, "chain.withdrawal_confirmed.v1", details)


async def _fail(session: AsyncSession, row: CustodyWithdrawal, reason: str) -> None:
    """Fail the withdrawal and give its units back to the available balance (compensation)."""
    _advance(row, WithdrawalStep.FAIL, last_error=reason[:500])
    [instrument] = await InstrumentService(session).find(ids=[row.instrument_id])
    owner = Owner.user(row.user_id)
    await LedgerService(session).move(
        "token_withdrawal_failed",
        "Withdrawal to my wallet failed: units back",
        source=AccountKey(owner, instrument.isin, Bucket.SELF_CUSTODY),
        destination=AccountKey(owner, instrument.isin, Bucket.AVAILABLE),
        amount=row.quantity,
        reference=f"chain.withdrawal:{row.id}:failed",
    )
    details = {**_withdrawal_details(row), "reason": row.last_error, "attempts": row.attempts}
    await record_audit(
        session,
        actor_id=None,
        action="chain.withdrawal_failed",
        target=f"withdrawal:{row.id}",
        payload=details,
    )
    record_event(session, "chain.withdrawal_failed.v1", details)


def _advance(row: CustodyWithdrawal, step: WithdrawalStep, **changes: object) -> None:
    """Move a withdrawal along its lifecycle (the one place its status changes)."""
    target = next_withdrawal_status(WithdrawalStatus(row.status), step)
    apply_step(row, target, step, code="chain.withdrawal_state", noun="withdrawal", **changes)
    if target not in WITHDRAWALS_IN_FLIGHT:
        row.completed_at = row.updated_at


async def _in_status(
    session: AsyncSession, status: WithdrawalStatus, *, limit: int | None = None
) -> list[CustodyWithdrawal]:
    """Withdrawals in `status`, oldest first (at most `limit`)."""
    query = (
        select(CustodyWithdrawal)
        .where(CustodyWithdrawal.status == status.value)
        .order_by(CustodyWithdrawal.id)
        .limit(limit)
    )
    return list(await session.scalars(query))


async def _is_spent(chain: ChainComponents, withdrawal_id: uuid.UUID) -> bool:
    dvp = chain.venue.require_contracts().dvp
    spent_id = withdrawal_settlement_id(withdrawal_id)
    return bool(await chain.venue.chain.read(Call("DvP", dvp, "isSettled", (spent_id,))))


async def _find_deliveries(
    chain: ChainComponents, rows: Sequence[CustodyWithdrawal]
) -> dict[uuid.UUID, tuple[str, int]]:
    """The transaction (hash and block) that delivered each withdrawal, from the DvP's `Settled`
    events since it was submitted (bounded block ranges, no scans)."""
    wanted = {withdrawal_settlement_id(row.id): row.id for row in rows}
    if not wanted:
        return {}
    dvp = chain.venue.require_contracts().dvp
    latest = await chain.venue.chain.block_number()
    start = min(row.submitted_block or 0 for row in rows)
    found: dict[uuid.UUID, tuple[str, int]] = {}
    while start <= latest and len(found) < len(wanted):
        end = min(start + MAX_EVENT_SPAN - 1, latest)
        for event in await chain.venue.chain.events([dvp], start, end):
            spent = event.args.get("settlementId")
            if event.name == "Settled" and isinstance(spent, str):
                withdrawal_id = wanted.get(bytes.fromhex(spent.removeprefix("0x")))
                if withdrawal_id is not None:
                    found[withdrawal_id] = (event.tx_hash, event.block)
        start = end + 1
    return found


# -- reconciliation ---------------------------------------------------------------------------


async def self_custody_differences(
    chain: ChainComponents, session: AsyncSession
) -> list[Difference]:
    """Per tokenized bond, each user whose linked wallets together hold fewer tokens than the
    ledger holds for them in self-custody, less withdrawals still on their way. Not wallet by
    wallet: the user may move tokens between their own wallets, and holding more (bought
    elsewhere on chain) is no break. A difference names the user's first linked wallet."""
    from liquibond.chain.settlement import Difference  # settlement's reconcile calls this

    tokens = await chain.service(session).tokens()
    instruments = {
        instrument.id: instrument
        for instrument in await InstrumentService(session).find(
            ids=[token.instrument_id for token in tokens]
        )
    }
    ledger = LedgerService(session)
    differences = []
    for token in tokens:
        isin = instruments[token.instrument_id].isin
        held = await ledger.holders(isin, (Bucket.SELF_CUSTODY,))
        if not held:
            continue
        users = [user_id for user_id, _ in held]
        leaving = await units_leaving(session, token.instrument_id, users)
        wallets = await _linked_wallets(session, users)
        for user_id, units in held:
            expected = units - leaving.get(user_id, 0)
            mine = wallets.get(user_id, [])
            on_chain = sum(
                [await chain.venue.balance_of(Address(token.address), wallet) for wallet in mine]
            )
            if on_chain < expected:
                named = mine[0] if mine else _ZERO
                differences.append(
                    Difference(token.instrument_id, user_id, named, expected, on_chain)
                )
    return differences


async def _linked_wallets(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Address]]:
    """The users' linked wallets, oldest first, by user."""
    query = (
        select(Wallet.user_id, Wallet.address)
        .where(Wallet.user_id.in_(list(user_ids)), Wallet.custody == WalletCustody.LINKED.value)
        .order_by(Wallet.created_at, Wallet.id)
    )
    wallets: dict[uuid.UUID, list[Address]] = defaultdict(list)
    for user_id, address in await session.execute(query):
        wallets[user_id].append(Address(address))
    return wallets
