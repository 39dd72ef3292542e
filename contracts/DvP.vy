# pragma version ==0.4.3
# pragma evm-version cancun
"""
@title Liquibond delivery-versus-payment settlement
@custom:contract-name DvP
@license Apache-2.0
@notice Settles trades atomically: the bond leg (seller -> buyer) and the
        cash leg (buyer -> seller) both happen, or neither does. A batch is
        all or nothing too: one failing leg reverts the whole batch.

        Two modes, one call:
        - on-chain cash: `cash` is a cash token and `cashAmount` > 0;
        - hybrid (cash moves in the platform's ledger): `cash` is the zero
          address and `cashAmount` is 0; only the bond leg moves
          (free of payment), still guarded by the settlement id.

        Exactly once: every settlement carries the platform's settlement id
        (e.g. the trade's UUID in a `bytes32`). An id that has settled is
        refused forever (`isSettled`), also inside one batch, so a retried
        or replayed transaction can never settle a trade twice; a reverted
        attempt leaves no mark, so it can be retried. Each settlement emits
        `Settled` with the id, for the platform's listener to match trades.

        Legs move with `transferFrom`. Liquibond's tokens let this contract
        do so without allowances once it holds their `SETTLEMENT_ROLE`, and
        apply all their transfer rules (verified wallets, freezes, pause);
        any other ERC-20 cash token needs the buyer's allowance.

        Netted (hybrid mode only): `settleNet` settles a whole batch of
        trades by its net bond deliveries (net seller -> net buyer, per
        bond), under one batch id from the same id space as settlement ids,
        so one storage write spends the whole batch.
@dev Roles: `DEFAULT_ADMIN_ROLE` manages roles; `AGENT_ROLE` (the
     platform) settles and may pause settlement.
"""

from ethereum.ercs import IERC20

from .modules import roles
from .modules import pausable

initializes: roles
initializes: pausable[roles := roles]

exports: (roles.__interface__, pausable.__interface__)


struct Settlement:
    # @dev The platform's settlement id (non-zero, never used before).
    settlementId: bytes32
    # @dev The bond token delivered by the seller.
    bond: IERC20
    seller: address
    buyer: address
    # @dev Bond units delivered (non-zero).
    bondAmount: uint256
    # @dev The cash token paid by the buyer, or zero in hybrid mode.
    cash: IERC20
    # @dev Cash paid (zero exactly when `cash` is zero).
    cashAmount: uint256


struct Delivery:
    # @dev The bond token delivered.
    bond: IERC20
    # @dev A net seller of the batch.
    sender: address
    # @dev A net buyer of the batch.
    receiver: address
    # @dev Bond units delivered (non-zero).
    amount: uint256


# @dev The largest batch `settleBatch` (settlements) and `settleNet`
#      (deliveries) accept.
MAX_BATCH: public(constant(uint256)) = 500

# @dev Settlement ids already settled.
isSettled: public(HashMap[bytes32, bool])


event Settled:
    settlementId: indexed(bytes32)
    bond: indexed(address)
    cash: indexed(address)
    seller: address
    buyer: address
    bondAmount: uint256
    cashAmount: uint256


event NetSettled:
    batchId: indexed(bytes32)
    # @dev How many trades the batch nets (informational).
    trades: uint256
    # @dev How many deliveries it made.
    deliveries: uint256


@deploy
def __init__(admin: address, agent: address):
    """
    @param admin The first holder of `DEFAULT_ADMIN_ROLE`.
    @param agent The first holder of `AGENT_ROLE` (may be zero).
    """
    roles.__init__(admin, agent)


@external
@nonreentrant
def settle(settlement: Settlement):
    """
    @dev Settles one trade (agent only), atomically.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    pausable._require_not_paused()
    self._settle(settlement)


@external
@nonreentrant
def settleBatch(settlements: DynArray[Settlement, MAX_BATCH]):
    """
    @dev Settles many trades in one transaction (agent only): all or
         nothing.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    pausable._require_not_paused()
    for settlement: Settlement in settlements:
        self._settle(settlement)


@external
@nonreentrant
def settleNet(batchId: bytes32, trades: uint256, deliveries: DynArray[Delivery, MAX_BATCH]):
    """
    @dev Settles a batch of trades by its net deliveries (agent only): all
         or nothing. Hybrid mode only: bond legs move here, the cash stays
         in the platform's ledger. The platform nets the batch's trades
         (per bond, each wallet's bought minus sold units) into deliveries
         from net sellers to net buyers; the contract moves exactly those,
         under every transfer rule of the bond, and spends `batchId` once.
         Batch ids and settlement ids are one id space (`isSettled`): an id
         spent by either kind is refused by both.
    @param batchId The platform's batch id (non-zero, never used before).
    @param trades How many trades the batch nets (non-zero; informational,
           for `NetSettled`).
    @param deliveries The net deliveries (at least one, each non-zero).
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    pausable._require_not_paused()
    assert batchId != empty(bytes32), "dvp: settlement id is zero"
    assert not self.isSettled[batchId], "dvp: settlement id already used"
    assert trades != 0, "dvp: no trades"
    assert len(deliveries) != 0, "dvp: no deliveries"
    # Effects before interactions: the id is spent before any token moves.
    self.isSettled[batchId] = True
    for d: Delivery in deliveries:
        assert d.amount != 0, "dvp: bond amount is zero"
        assert extcall d.bond.transferFrom(d.sender, d.receiver, d.amount, default_return_value=True), "dvp: bond leg failed"
    log NetSettled(batchId=batchId, trades=trades, deliveries=len(deliveries))


@internal
def _settle(s: Settlement):
    assert s.settlementId != empty(bytes32), "dvp: settlement id is zero"
    assert not self.isSettled[s.settlementId], "dvp: settlement id already used"
    assert s.bondAmount != 0, "dvp: bond amount is zero"
    assert (s.cash.address == empty(address)) == (s.cashAmount == 0), "dvp: incomplete cash leg"
    # Effects before interactions: the id is spent before any token moves.
    self.isSettled[s.settlementId] = True
    assert extcall s.bond.transferFrom(s.seller, s.buyer, s.bondAmount, default_return_value=True), "dvp: bond leg failed"
    if s.cashAmount != 0:
        assert extcall s.cash.transferFrom(s.buyer, s.seller, s.cashAmount, default_return_value=True), "dvp: cash leg failed"
    log Settled(
        settlementId=s.settlementId,
        bond=s.bond.address,
        cash=s.cash.address,
        seller=s.seller,
        buyer=s.buyer,
        bondAmount=s.bondAmount,
        cashAmount=s.cashAmount,
    )
