"""The on-chain settlement of a trade as an explicit transition table (pure).

A trade in a tokenized bond settles in the ledger when it executes; its token leg then follows
on chain as a settlement instruction. The instruction is `pending` until a DvP batch carries it
(`submitted`), and `settled` once the chain confirms its `Settled` event, or once the chain
says its settlement id is spent (a confirmation that was dropped, then found). A batch that
reverts, or whose confirmation never came, puts it back to `pending` to be retried; after
`MAX_ATTEMPTS` tries it `failed` and is `unwound`: compensating ledger entries give the buyer
its cash back and the seller its units, and it shows in the breaks queue. Where the buyer no
longer holds the units to give back, it stays `failed` for operations, who may `retry` it
(after, say, a forced transfer fixed the seller's wallet), `unwind` it once they can, or
`write_off` it.

The seller's proceeds of such a trade wait in the ledger (settling) until its instruction
is `settled` or `written_off`, when they are paid, or `unwound`, when they go back to the buyer
(:mod:`liquibond.chain.cash_leg`).

The settlement id is spent before any token moves and at most once (the DvP contract's rule),
so however often an instruction is retried or its confirmation repeated, it settles once.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

#: Tries before an instruction fails into the breaks queue.
MAX_ATTEMPTS = 3


class SettlementStatus(StrEnum):
    """Where a trade's token leg is."""

    PENDING = "pending"  # waiting for the next batch
    SUBMITTED = "submitted"  # in a transaction sent to the chain
    SETTLED = "settled"  # confirmed on chain
    FAILED = "failed"  # out of tries: in the breaks queue
    UNWOUND = "unwound"  # given up: the ledger reversed the trade
    WRITTEN_OFF = "written_off"  # operations settled it outside the venue's chain flow


class SettlementStep(StrEnum):
    """What happens to a settlement instruction."""

    SUBMIT = "submit"
    CONFIRM = "confirm"  # its Settled event, or its id found spent on chain
    REVERT = "revert"  # its batch reverted or its confirmation never came: try again
    FAIL = "fail"  # reverted on its last try
    RETRY = "retry"  # operations put a failed one back
    WRITE_OFF = "write_off"
    UNWIND = "unwind"  # reverse the trade in the ledger; the chain never moved its units
    REISSUE = "reissue"  # a rebuilt chain minted the ledger's holdings, this trade included


S = SettlementStatus

SETTLEMENT_TRANSITIONS: Mapping[tuple[SettlementStatus, SettlementStep], SettlementStatus] = {
    (S.PENDING, SettlementStep.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, SettlementStep.CONFIRM): S.SETTLED,
    (S.SUBMITTED, SettlementStep.REVERT): S.PENDING,
    (S.SUBMITTED, SettlementStep.FAIL): S.FAILED,
    (S.FAILED, SettlementStep.RETRY): S.PENDING,
    (S.FAILED, SettlementStep.WRITE_OFF): S.WRITTEN_OFF,
    (S.FAILED, SettlementStep.UNWIND): S.UNWOUND,
    # A confirmation that arrives late, for an instruction already put back or failed:
    # the chain is the judge of whether the id is spent.
    (S.PENDING, SettlementStep.CONFIRM): S.SETTLED,
    (S.FAILED, SettlementStep.CONFIRM): S.SETTLED,
    (S.PENDING, SettlementStep.REISSUE): S.SETTLED,
    (S.SUBMITTED, SettlementStep.REISSUE): S.SETTLED,
    (S.FAILED, SettlementStep.REISSUE): S.SETTLED,
}

#: Statuses whose token leg has not moved yet (their units are in flight between wallets).
IN_FLIGHT = frozenset({S.PENDING, S.SUBMITTED, S.FAILED})


def next_settlement_status(
    current: SettlementStatus, step: SettlementStep
) -> SettlementStatus | None:
    """The instruction's status after `step`, or None if `step` is not allowed from `current`."""
    return SETTLEMENT_TRANSITIONS.get((current, step))


def after_revert(attempts: int) -> SettlementStep:
    """What a reverted try leads to: another try, or the breaks queue after the last."""
    return SettlementStep.FAIL if attempts >= MAX_ATTEMPTS else SettlementStep.REVERT
