"""The settlement lifecycle's transition table (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from liquibond.chain.lifecycle import (
    MAX_ATTEMPTS,
    SETTLEMENT_TRANSITIONS,
    SettlementStatus,
    SettlementStep,
    after_revert,
    next_settlement_status,
)

S, Step = SettlementStatus, SettlementStep


def test_a_settled_or_written_off_instruction_never_moves_again() -> None:
    for final in (S.SETTLED, S.WRITTEN_OFF):
        assert all(next_settlement_status(final, step) is None for step in Step)


def test_only_a_failed_instruction_can_be_retried_or_written_off() -> None:
    for step in (Step.RETRY, Step.WRITE_OFF):
        allowed = {status for status in S if next_settlement_status(status, step) is not None}
        assert allowed == {S.FAILED}


def test_tries_run_out_after_the_last_attempt() -> None:
    assert [after_revert(n) for n in range(1, MAX_ATTEMPTS + 1)] == [
        *([Step.REVERT] * (MAX_ATTEMPTS - 1)),
        Step.FAIL,
    ]


@given(st.lists(st.sampled_from(list(Step)), max_size=30))
def test_any_sequence_of_steps_settles_at_most_once(steps: list[SettlementStep]) -> None:
    status, settled = S.PENDING, 0
    for step in steps:
        target = next_settlement_status(status, step)
        if target is None:
            continue
        settled += target is S.SETTLED
        status = target
    assert settled <= 1
    assert set(SETTLEMENT_TRANSITIONS.values()) <= set(S)
