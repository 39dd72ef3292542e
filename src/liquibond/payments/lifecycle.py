"""Payment lifecycles as explicit transition tables (pure)."""

from __future__ import annotations

from liquibond.payments.models import PaymentKind as K
from liquibond.payments.models import PaymentStatus as S

TRANSITIONS: dict[K, dict[S, frozenset[S]]] = {
    K.DEPOSIT: {S.PENDING: frozenset({S.CONFIRMED, S.FAILED, S.EXPIRED})},
    K.WITHDRAWAL: {S.PENDING: frozenset({S.SETTLED, S.RETURNED})},
}


def can_move(kind: K, current: S, target: S) -> bool:
    """True if a `kind` payment may go from `current` to `target`."""
    return target in TRANSITIONS[kind].get(current, frozenset())
