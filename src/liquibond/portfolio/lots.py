"""FIFO tax lots and realised P&L of one position (pure: no I/O, integers in minor units).

A position is the sequence of its movements in the order they happened. An acquisition opens
a lot; a disposal consumes the oldest lots first (FIFO). Amounts are clean (accrued interest
is interest, not price P&L) and fees are kept beside them, never inside:

* a bought lot carries its clean cost and the buyer's fee; units received otherwise (an
  issuer's minted issue, a transfer) open a lot of unknown cost;
* a sale realises, for the units it takes from lots of known cost, `pnl = proceeds - cost`
  (gross of fees) and `fees` = its share of the sell fee plus the consumed share of the buy
  fees, so the net P&L is `pnl - fees`;
* units without a known cost, and units leaving otherwise than by a sale (a transfer out),
  realise nothing: they are counted as "unmatched", with what they carried.

A lot partly consumed keeps the remainder of its cost: the part taken is
`round(cost * taken / units)` (half to even), so the parts always add up exactly, and the
proceeds and fee of a disposal are shared the same way over the lots it consumes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Movement:
    """One change of a position: `units` > 0 acquired, < 0 disposed of.

    `amount` is the clean cost of an acquisition or the clean proceeds of a sale, in minor
    units; None when the units did not move by a trade (so have no price).
    """

    on: date
    units: int
    amount: int | None
    fee: int = 0
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Lot:
    """Units still held from one acquisition, with what is left of its cost and fee."""

    acquired_on: date
    units: int
    cost: int | None  # None: unknown (the units were not bought)
    fee: int
    reference: str | None


@dataclass(frozen=True, slots=True)
class Disposal:
    """What one disposal realised. `matched_units` came from lots of known cost and were
    sold: their `proceeds`, `cost` and `fees` make the realised P&L. The rest are unmatched."""

    on: date
    reference: str | None
    units: int
    matched_units: int
    proceeds: int
    cost: int
    fees: int
    unmatched_proceeds: int  # proceeds of units of unknown cost
    unmatched_cost: int  # known cost of units that left without a sale
    unmatched_fees: int

    @property
    def pnl(self) -> int:
        """Realised P&L, clean and gross of fees."""
        return self.proceeds - self.cost

    @property
    def net_pnl(self) -> int:
        """Realised P&L after the fees of the units it realised."""
        return self.pnl - self.fees


@dataclass(frozen=True, slots=True)
class Position:
    """The FIFO state of a position after its movements."""

    lots: tuple[Lot, ...]
    disposals: tuple[Disposal, ...]
    fees_paid: int  # every fee of every movement
    #: Units disposed of beyond what was held (a history that does not add up); never > 0
    #: for a ledger's history, which cannot go short.
    excess_units: int = 0

    @property
    def units(self) -> int:
        """Units held."""
        return sum(lot.units for lot in self.lots)

    @property
    def units_with_cost(self) -> int:
        """Units held whose cost is known."""
        return sum(lot.units for lot in self.lots if lot.cost is not None)

    @property
    def units_without_cost(self) -> int:
        """Units held whose cost is unknown."""
        return self.units - self.units_with_cost

    @property
    def cost(self) -> int:
        """Clean cost of the units held whose cost is known."""
        return sum(lot.cost for lot in self.lots if lot.cost is not None)

    @property
    def open_fees(self) -> int:
        """Buy fees still carried by the lots held."""
        return sum(lot.fee for lot in self.lots)

    @property
    def realised_pnl(self) -> int:
        """Realised P&L, clean and gross of fees."""
        return sum(disposal.pnl for disposal in self.disposals)

    @property
    def realised_fees(self) -> int:
        """Fees of the realised units (their sell fees and consumed buy fees)."""
        return sum(disposal.fees for disposal in self.disposals)


def share(amount: int, part: int, whole: int) -> int:
    """`amount * part / whole` rounded half to even (all of it when `part == whole`)."""
    if part == whole:
        return amount
    return round(Fraction(amount * part, whole))


@dataclass(slots=True)
class _Open:
    acquired_on: date
    units: int
    cost: int | None
    fee: int
    reference: str | None

    def take(self, units: int) -> tuple[int | None, int]:
        """Remove `units`; the cost and fee they carry."""
        cost = None if self.cost is None else share(self.cost, units, self.units)
        fee = share(self.fee, units, self.units)
        self.units -= units
        if self.cost is not None and cost is not None:
            self.cost -= cost
        self.fee -= fee
        return cost, fee


@dataclass(slots=True)
class _Book:
    lots: deque[_Open] = field(default_factory=deque)
    disposals: list[Disposal] = field(default_factory=list)
    fees_paid: int = 0
    excess_units: int = 0

    def apply(self, movement: Movement) -> None:
        self.fees_paid += movement.fee
        if movement.units > 0:
            self.lots.append(
                _Open(
                    movement.on, movement.units, movement.amount, movement.fee, movement.reference
                )
            )
        elif movement.units < 0:
            self.dispose(movement)

    def dispose(self, movement: Movement) -> None:
        units = -movement.units
        sold = movement.amount is not None
        proceeds_left, fee_left, units_left = movement.amount or 0, movement.fee, units
        matched = proceeds = cost = fees = 0
        unmatched_proceeds = unmatched_cost = unmatched_fees = 0
        while units_left and self.lots:
            lot = self.lots[0]
            taken = min(lot.units, units_left)
            lot_cost, lot_fee = lot.take(taken)
            part_proceeds = share(proceeds_left, taken, units_left)
            part_fee = share(fee_left, taken, units_left)
            proceeds_left -= part_proceeds
            fee_left -= part_fee
            units_left -= taken
            if not lot.units:
                self.lots.popleft()
            if sold and lot_cost is not None:
                matched += taken
                proceeds += part_proceeds
                cost += lot_cost
                fees += part_fee + lot_fee
            else:
                unmatched_proceeds += part_proceeds
                unmatched_cost += lot_cost or 0
                unmatched_fees += part_fee + lot_fee
        # Beyond the lots held (a short the ledger never allows): nothing to match.
        self.excess_units += units_left
        unmatched_proceeds += proceeds_left
        unmatched_fees += fee_left
        self.disposals.append(
            Disposal(
                on=movement.on,
                reference=movement.reference,
                units=units,
                matched_units=matched,
                proceeds=proceeds,
                cost=cost,
                fees=fees,
                unmatched_proceeds=unmatched_proceeds,
                unmatched_cost=unmatched_cost,
                unmatched_fees=unmatched_fees,
            )
        )


def fifo(movements: Iterable[Movement]) -> Position:
    """The lots held and the disposals realised after `movements`, in order."""
    book = _Book()
    for movement in movements:
        book.apply(movement)
    return Position(
        lots=tuple(
            Lot(lot.acquired_on, lot.units, lot.cost, lot.fee, lot.reference) for lot in book.lots
        ),
        disposals=tuple(book.disposals),
        fees_paid=book.fees_paid,
        excess_units=book.excess_units,
    )
