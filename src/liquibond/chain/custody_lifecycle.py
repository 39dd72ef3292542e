"""A token withdrawal to a linked (self-custody) wallet as an explicit transition table (pure).

A withdrawal moves the units out of the owner's available balance into self-custody in the
ledger when it is asked for; it is then `pending` until the venue sends its delivery
(custodial wallet -> linked wallet, free of payment through the DvP) to the chain
(`submitted`), and `confirmed` once the chain confirms it, or says its settlement id is spent
(a confirmation that was lost, then found). A delivery that reverts, or whose confirmation
never came, puts it back to `pending` to be retried; a delivery that reverts on its last try
`failed` it, and the units go back to the owner's available balance. Both ends are final.

A deposit (tokens sent back from a linked wallet) is credited when the venue is told of it,
and is born final: `credited`, or `flagged` when it brought more than the owner had withdrawn
(the rest waits for operations).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

#: Tries (deliveries that reverted) before a withdrawal fails and its units go back.
MAX_WITHDRAWAL_ATTEMPTS = 3


class WithdrawalStatus(StrEnum):
    """Where a withdrawal is."""

    PENDING = "pending"  # its units are in self-custody in the ledger; the delivery is to come
    SUBMITTED = "submitted"  # its delivery is in a transaction sent to the chain
    CONFIRMED = "confirmed"  # the tokens are in the linked wallet
    FAILED = "failed"  # out of tries: the units are back in the available balance


class WithdrawalStep(StrEnum):
    """What happens to a withdrawal."""

    SUBMIT = "submit"
    CONFIRM = "confirm"  # its delivery was mined, or its settlement id found spent on chain
    REVERT = "revert"  # its delivery reverted or its confirmation never came: try again
    FAIL = "fail"  # its delivery reverted on the last try: compensate


W = WithdrawalStatus

WITHDRAWAL_TRANSITIONS: Mapping[tuple[WithdrawalStatus, WithdrawalStep], WithdrawalStatus] = {
    (W.PENDING, WithdrawalStep.SUBMIT): W.SUBMITTED,
    (W.SUBMITTED, WithdrawalStep.CONFIRM): W.CONFIRMED,
    (W.SUBMITTED, WithdrawalStep.REVERT): W.PENDING,
    (W.SUBMITTED, WithdrawalStep.FAIL): W.FAILED,
}

#: Withdrawals whose tokens have not left the custodial wallet yet (but may be leaving).
WITHDRAWALS_IN_FLIGHT = frozenset({W.PENDING, W.SUBMITTED})


def next_withdrawal_status(
    current: WithdrawalStatus, step: WithdrawalStep
) -> WithdrawalStatus | None:
    """The withdrawal's status after `step`, or None if `step` is not allowed from `current`."""
    return WITHDRAWAL_TRANSITIONS.get((current, step))


def after_delivery_reverted(attempts: int) -> WithdrawalStep:
    """What a reverted delivery leads to: another try, or failure after the last."""
    return WithdrawalStep.FAIL if attempts >= MAX_WITHDRAWAL_ATTEMPTS else WithdrawalStep.REVERT


class DepositStatus(StrEnum):
    """How a deposit from a linked wallet was credited."""

    CREDITED = "credited"  # all of it went back to the available balance
    FLAGGED = "flagged"  # more than was in self-custody: the rest waits for operations


def credit_deposits(amounts: list[int], self_custody: int) -> list[int]:
    """How much of each transfer (in log order) to credit from `self_custody` units: each in
    full while they last, then what is left, then nothing."""
    credits = []
    room = max(self_custody, 0)
    for amount in amounts:
        credit = min(amount, room)
        credits.append(credit)
        room -= credit
    return credits
