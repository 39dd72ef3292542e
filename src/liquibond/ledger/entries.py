"""Value objects of the ledger (pure): owners, legs and balanced entries."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from liquibond.ledger.models import Bucket


class UnbalancedEntry(ValueError):
    """An entry whose postings do not sum to zero per asset, or that is otherwise malformed."""


@dataclass(frozen=True, slots=True, order=True)
class Owner:
    """Who an account belongs to: a user, or the venue itself (a named system account)."""

    key: str

    @classmethod
    def user(cls, user_id: uuid.UUID) -> Owner:
        """A user's accounts."""
        return cls(f"user:{user_id}")

    @classmethod
    def system(cls, name: str) -> Owner:
        """A venue account, which may go negative (e.g. money at the bank, issued units)."""
        return cls(f"system:{name}")

    @property
    def is_system(self) -> bool:
        """True for venue accounts."""
        return self.key.startswith("system:")

    @property
    def user_id(self) -> uuid.UUID | None:
        """The user behind a user owner."""
        return None if self.is_system else uuid.UUID(self.key.removeprefix("user:"))


#: Venue accounts.
RAIL_IN_TRANSIT = Owner.system("rail_in_transit")  # cash between the bank rail and the venue
ISSUANCE = Owner.system("issuance")  # the source of issued bond units
FEES = Owner.system("fees")
FAUCET = Owner.system("demo_faucet")
TAX_WITHHELD = Owner.system("tax_withheld")  # withheld from coupons, owed to the tax authority


@dataclass(frozen=True, slots=True)
class AccountKey:
    """Identifies an account: owner, asset and bucket."""

    owner: Owner
    asset: str
    bucket: Bucket

    def __post_init__(self) -> None:
        if self.owner.is_system != (self.bucket is Bucket.SYSTEM):
            raise UnbalancedEntry("system accounts use the system bucket, and only they do")


@dataclass(frozen=True, slots=True)
class Leg:
    """A signed amount, in the asset's minor units, on one account."""

    account: AccountKey
    amount: int


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """A journal entry to post: legs summing to zero per asset."""

    kind: str
    description: str
    legs: tuple[Leg, ...]
    reference: str | None = None
    actor_id: uuid.UUID | None = None
    reverses_id: uuid.UUID | None = field(default=None)

    def __post_init__(self) -> None:
        if not self.legs:
            raise UnbalancedEntry("an entry needs postings")
        totals: dict[str, int] = defaultdict(int)
        for leg in self.legs:
            if type(leg.amount) is not int or leg.amount == 0:
                raise UnbalancedEntry("amounts are non-zero integers in minor units")
            totals[leg.account.asset] += leg.amount
        unbalanced = {asset: total for asset, total in totals.items() if total}
        if unbalanced:
            raise UnbalancedEntry(f"postings do not sum to zero: {unbalanced}")


def move(
    kind: str,
    description: str,
    *,
    source: AccountKey,
    destination: AccountKey,
    amount: int,
    reference: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> EntryDraft:
    """A two-leg entry moving a positive `amount` of one asset from `source` to `destination`."""
    if source.asset != destination.asset:
        raise UnbalancedEntry("a move stays within one asset")
    if type(amount) is not int or amount <= 0:
        raise UnbalancedEntry("a move needs a positive integer amount")
    return EntryDraft(
        kind=kind,
        description=description,
        legs=(Leg(source, -amount), Leg(destination, amount)),
        reference=reference,
        actor_id=actor_id,
    )


def reservation(
    user_id: uuid.UUID,
    asset: str,
    amount: int,
    *,
    to: Bucket = Bucket.LOCKED,
    reference: str | None = None,
    description: str = "Reserved",
) -> EntryDraft:
    """An entry moving `amount` from the user's available balance into `to` (locked, escrow...)."""
    owner = Owner.user(user_id)
    return move(
        "reserve",
        description,
        source=AccountKey(owner, asset, Bucket.AVAILABLE),
        destination=AccountKey(owner, asset, to),
        amount=amount,
        reference=reference,
        actor_id=user_id,
    )


def release(
    user_id: uuid.UUID,
    asset: str,
    amount: int,
    *,
    from_: Bucket = Bucket.LOCKED,
    reference: str | None = None,
    description: str = "Released",
) -> EntryDraft:
    """An entry moving `amount` back from `from_` into the user's available balance."""
    owner = Owner.user(user_id)
    return move(
        "release",
        description,
        source=AccountKey(owner, asset, from_),
        destination=AccountKey(owner, asset, Bucket.AVAILABLE),
        amount=amount,
        reference=reference,
        actor_id=user_id,
    )
