"""The KYC status machine as an explicit transition table (pure).

A verification can be revoked by compliance. A revoked investor may apply again: their
resubmission is a fresh application (`pending`), which compliance reviews in person (see
`KycService.verification_request`); a rejection, unlike a revocation, is final."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from liquibond.kyc.models import KycStatus

#: Which status may follow which; `None` is an application not yet submitted.
TRANSITIONS: Final[Mapping[KycStatus | None, frozenset[KycStatus]]] = MappingProxyType(
    {
        None: frozenset({KycStatus.PENDING}),
        KycStatus.PENDING: frozenset(
            {KycStatus.VERIFIED, KycStatus.REJECTED, KycStatus.NEEDS_INFO}
        ),
        KycStatus.NEEDS_INFO: frozenset({KycStatus.PENDING}),
        KycStatus.VERIFIED: frozenset({KycStatus.REVOKED}),
        KycStatus.REJECTED: frozenset(),
        KycStatus.REVOKED: frozenset({KycStatus.PENDING}),
    }
)


def can_move(current: KycStatus | None, target: KycStatus) -> bool:
    """True if an application in `current` may become `target`."""
    return target in TRANSITIONS[current]
