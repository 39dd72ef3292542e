# pragma version ==0.4.3
"""
@title Permissioned token: ERC-20 with ERC-3643 / ERC-1400 style controls
@custom:contract-name permissioned_token
@license Apache-2.0
@notice The token core shared by `BondToken` and `CashToken`.

        Transfer rules. An ordinary transfer (`transfer`, `transferFrom`,
        `batchTransfer`, and settlement by the DvP contract) is allowed only
        if every rule below holds. `canTransfer(from, to, amount)` evaluates
        them in this order and returns `(ok, reasonCode)` with the first one
        that fails; a refused transfer reverts with the message shown.

        | code | rule that failed                          | revert message                                  |
        |------|-------------------------------------------|-------------------------------------------------|
        | 0    | none: the transfer is allowed             |                                                 |
        | 1    | the token is paused                       | `transfer restricted: paused`                   |
        | 2    | the sender's address is frozen            | `transfer restricted: sender frozen`            |
        | 3    | the receiver's address is frozen          | `transfer restricted: receiver frozen`          |
        | 4    | the sender is not in the identity registry| `transfer restricted: sender not verified`      |
        | 5    | the receiver is not in the registry       | `transfer restricted: receiver not verified`    |
        | 6    | the receiver's investor category is not   | `transfer restricted: receiver category not     |
        |      | allowed for this token                    | allowed`                                        |
        | 7    | the sender's balance is below the amount  | `transfer restricted: insufficient balance`     |
        | 8    | the sender's unfrozen balance (balance    | `transfer restricted: insufficient unfrozen     |
        |      | minus partially frozen tokens) is below   | balance`                                        |

        `transferFrom` also needs an allowance, except when the caller holds
        `SETTLEMENT_ROLE` (the DvP contract): it then moves tokens between
        eligible holders without one, like an ERC-1400 operator; every
        rule above still applies.

        The agent's powers (`AGENT_ROLE`, the platform) work while paused and
        regardless of address freezes, as in ERC-3643:
        - `mint` (receiver verified and of an allowed category) and `burn`;
        - `forcedTransfer` (receiver verified): bypasses pause, freezes and
          categories, and unfreezes as many partially frozen tokens as the
          amount needs;
        - `recoveryAddress`: moves a lost wallet's whole balance, its frozen
          tokens and its frozen flag to a new verified wallet of the same
          investor;
        - `setAddressFrozen`, `freezePartialTokens`, `unfreezePartialTokens`;
        - batch forms of all of these, all or nothing.

        Invariants: `totalSupply` is the sum of all balances;
        `getFrozenTokens[w] <= balanceOf[w]`; no path credits tokens to a
        wallet outside the identity registry.
"""

from ethereum.ercs import IERC20

implements: IERC20

from ethereum.ercs import IERC20Detailed

implements: IERC20Detailed

from ..interfaces import IIdentityRegistry
from . import roles
from . import pausable

uses: roles
uses: pausable


# @dev The largest batch any batch function accepts.
MAX_BATCH: public(constant(uint256)) = 500

# @dev Reason codes of `canTransfer` (see the table above).
OK: constant(uint8) = 0
PAUSED: constant(uint8) = 1
SENDER_FROZEN: constant(uint8) = 2
RECEIVER_FROZEN: constant(uint8) = 3
SENDER_NOT_VERIFIED: constant(uint8) = 4
RECEIVER_NOT_VERIFIED: constant(uint8) = 5
RECEIVER_CATEGORY_NOT_ALLOWED: constant(uint8) = 6
INSUFFICIENT_BALANCE: constant(uint8) = 7
INSUFFICIENT_UNFROZEN_BALANCE: constant(uint8) = 8


name: public(immutable(String[64]))
symbol: public(immutable(String[32]))
decimals: public(immutable(uint8))

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
totalSupply: public(uint256)

# @dev The registry of verified wallets checked on every transfer.
identityRegistry: public(IIdentityRegistry)

# @dev Bit `c` set: investors of category `c` may receive the token.
allowedCategories: public(uint256)

# @dev Address freezes: a frozen wallet can neither send nor receive.
isFrozen: public(HashMap[address, bool])

# @dev Partially frozen tokens: the part of a balance that cannot move.
getFrozenTokens: public(HashMap[address, uint256])


event Minted:
    agent: indexed(address)
    to: indexed(address)
    amount: uint256


event Burned:
    agent: indexed(address)
    owner: indexed(address)
    amount: uint256


event ForcedTransfer:
    agent: indexed(address)
    sender: indexed(address)
    receiver: indexed(address)
    amount: uint256


event RecoverySuccess:
    lostWallet: indexed(address)
    newWallet: indexed(address)
    investorId: indexed(bytes32)
    amount: uint256


event AddressFrozen:
    wallet: indexed(address)
    isFrozen: indexed(bool)
    agent: indexed(address)


event TokensFrozen:
    wallet: indexed(address)
    amount: uint256


event TokensUnfrozen:
    wallet: indexed(address)
    amount: uint256


event IdentityRegistryAdded:
    identityRegistry: indexed(address)


event AllowedCategoriesUpdated:
    allowedCategories: uint256


@deploy
def __init__(name_: String[64], symbol_: String[32], decimals_: uint8, registry: IIdentityRegistry):
    """
    @param name_ The token's name.
    @param symbol_ The token's symbol.
    @param decimals_ The token's decimals (a bond's unit scale, the cash
           asset's minor units).
    @param registry The identity registry (not zero).
    """
    name = name_
    symbol = symbol_
    decimals = decimals_
    self._set_identity_registry(registry)
    self.allowedCategories = max_value(uint256)
    log AllowedCategoriesUpdated(allowedCategories=max_value(uint256))


# ---------------------------------------------------------------- ERC-20


@external
def transfer(to: address, amount: uint256) -> bool:
    """
    @dev Moves `amount` of the caller's tokens to `to`, if the transfer
         rules allow it.
    """
    self._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @dev Moves `amount` of `owner`'s tokens to `to`, spending the caller's
         allowance, or with none if the caller holds `SETTLEMENT_ROLE`.
    """
    if not roles.hasRole[roles.SETTLEMENT_ROLE][msg.sender]:
        current: uint256 = self.allowance[owner][msg.sender]
        if current != max_value(uint256):
            assert current >= amount, "token: insufficient allowance"
            self._approve(owner, msg.sender, unsafe_sub(current, amount))
    self._transfer(owner, to, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @dev Lets `spender` move up to `amount` of the caller's tokens (the
         maximum value is an unlimited allowance).
    """
    self._approve(msg.sender, spender, amount)
    return True


@external
def batchTransfer(to: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]):
    """
    @dev Moves tokens from the caller to many receivers; all or nothing.
    @param to The receivers.
    @param amounts The amounts, index for index.
    """
    assert len(to) == len(amounts), "token: length mismatch"
    for i: uint256 in range(len(to), bound=MAX_BATCH):
        self._transfer(msg.sender, to[i], amounts[i])


@external
@view
def canTransfer(sender: address, receiver: address, amount: uint256) -> (bool, uint8):
    """
    @dev Whether an ordinary transfer would be allowed now (allowances
         aside), and if not, the reason code of the first rule that fails.
    @return (ok, reasonCode) See the table in the module's notice.
    """
    code: uint8 = self._check(sender, receiver, amount)
    return code == OK, code


# ---------------------------------------------------------------- admin


@external
def setIdentityRegistry(registry: IIdentityRegistry):
    """
    @dev Points the token at another identity registry (admin only).
    """
    roles._check_role(roles.DEFAULT_ADMIN_ROLE, msg.sender)
    self._set_identity_registry(registry)


@external
def setAllowedCategories(mask: uint256):
    """
    @dev Sets which investor categories may receive the token (admin only):
         bit `c` set allows category `c`; all bits set (the default) allows
         every category.
    """
    roles._check_role(roles.DEFAULT_ADMIN_ROLE, msg.sender)
    self.allowedCategories = mask
    log AllowedCategoriesUpdated(allowedCategories=mask)


# ---------------------------------------------------------------- agent


@external
def mint(to: address, amount: uint256):
    """
    @dev Creates tokens for a verified wallet of an allowed category
         (agent only).
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    self._mint(to, amount)


@external
def batchMint(to: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]):
    """
    @dev Creates tokens for many wallets (agent only); all or nothing.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert len(to) == len(amounts), "token: length mismatch"
    for i: uint256 in range(len(to), bound=MAX_BATCH):
        self._mint(to[i], amounts[i])


@external
def burn(owner: address, amount: uint256):
    """
    @dev Destroys `owner`'s tokens (agent only), unfreezing partially
         frozen tokens if the unfrozen balance falls short.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    self._burn(owner, amount)


@external
def batchBurn(owners: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]):
    """
    @dev Destroys tokens of many wallets (agent only); all or nothing.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert len(owners) == len(amounts), "token: length mismatch"
    for i: uint256 in range(len(owners), bound=MAX_BATCH):
        self._burn(owners[i], amounts[i])


@external
def forcedTransfer(sender: address, receiver: address, amount: uint256) -> bool:
    """
    @dev Moves tokens between wallets without the holder's consent (agent
         only), e.g. by court order: needs only a verified receiver and the
         sender's balance; unfreezes partially frozen tokens as needed.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    self._forced_transfer(sender, receiver, amount)
    return True


@external
def batchForcedTransfer(
    senders: DynArray[address, MAX_BATCH],
    receivers: DynArray[address, MAX_BATCH],
    amounts: DynArray[uint256, MAX_BATCH],
):
    """
    @dev Many forced transfers (agent only); all or nothing.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert len(senders) == len(amounts) and len(receivers) == len(amounts), "token: length mismatch"
    for i: uint256 in range(len(senders), bound=MAX_BATCH):
        self._forced_transfer(senders[i], receivers[i], amounts[i])


@external
def recoveryAddress(lostWallet: address, newWallet: address) -> bool:
    """
    @dev Moves a lost wallet's whole balance to a new wallet of the same
         investor (agent only), with its partially frozen tokens and its
         frozen flag. The new wallet must be verified; if the lost wallet
         is still registered, both must have the same investor id.
    @param lostWallet The wallet whose key was lost (holds tokens).
    @param newWallet The investor's new wallet.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert lostWallet != newWallet, "token: same wallet"
    amount: uint256 = self.balanceOf[lostWallet]
    assert amount != 0, "token: no tokens to recover"
    registry: IIdentityRegistry = self.identityRegistry
    assert staticcall registry.isVerified(newWallet), "token: new wallet not verified"
    investor_id: bytes32 = staticcall registry.investorIdOf(newWallet)
    lost_investor_id: bytes32 = staticcall registry.investorIdOf(lostWallet)
    assert lost_investor_id == empty(bytes32) or lost_investor_id == investor_id, "token: wallets of different investors"

    self.balanceOf[lostWallet] = 0
    self.balanceOf[newWallet] += amount
    log IERC20.Transfer(sender=lostWallet, receiver=newWallet, value=amount)

    frozen: uint256 = self.getFrozenTokens[lostWallet]
    if frozen != 0:
        self.getFrozenTokens[lostWallet] = 0
        log TokensUnfrozen(wallet=lostWallet, amount=frozen)
        self.getFrozenTokens[newWallet] += frozen
        log TokensFrozen(wallet=newWallet, amount=frozen)
    if self.isFrozen[lostWallet] and not self.isFrozen[newWallet]:
        self.isFrozen[newWallet] = True
        log AddressFrozen(wallet=newWallet, isFrozen=True, agent=msg.sender)

    log RecoverySuccess(lostWallet=lostWallet, newWallet=newWallet, investorId=investor_id, amount=amount)
    return True


@external
def setAddressFrozen(wallet: address, freeze: bool):
    """
    @dev Freezes (or unfreezes) a wallet: a frozen wallet can neither send
         nor receive by ordinary transfers (agent only).
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    self._set_address_frozen(wallet, freeze)


@external
def batchSetAddressFrozen(wallets: DynArray[address, MAX_BATCH], freeze: DynArray[bool, MAX_BATCH]):
    """
    @dev Freezes or unfreezes many wallets (agent only).
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert len(wallets) == len(freeze), "token: length mismatch"
    for i: uint256 in range(len(wallets), bound=MAX_BATCH):
        self._set_address_frozen(wallets[i], freeze[i])


@external
def freezePartialTokens(wallet: address, amount: uint256):
    """
    @dev Freezes `amount` more of `wallet`'s balance (agent only); the
         frozen part cannot exceed the balance.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    self._freeze_tokens(wallet, amount)


@external
def batchFreezePartialTokens(wallets: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]):
    """
    @dev `freezePartialTokens` for many wallets (agent only); all or nothing.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert len(wallets) == len(amounts), "token: length mismatch"
    for i: uint256 in range(len(wallets), bound=MAX_BATCH):
        self._freeze_tokens(wallets[i], amounts[i])


@external
def unfreezePartialTokens(wallet: address, amount: uint256):
    """
    @dev Releases `amount` of `wallet`'s frozen tokens (agent only).
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    self._unfreeze_tokens(wallet, amount)


@external
def batchUnfreezePartialTokens(wallets: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]):
    """
    @dev `unfreezePartialTokens` for many wallets (agent only); all or nothing.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert len(wallets) == len(amounts), "token: length mismatch"
    for i: uint256 in range(len(wallets), bound=MAX_BATCH):
        self._unfreeze_tokens(wallets[i], amounts[i])


# ---------------------------------------------------------------- internals


@internal
@view
def _check(sender: address, receiver: address, amount: uint256) -> uint8:
    """
    @dev The reason code of the first transfer rule that fails, or `OK`.
    """
    if pausable.paused:
        return PAUSED
    if self.isFrozen[sender]:
        return SENDER_FROZEN
    if self.isFrozen[receiver]:
        return RECEIVER_FROZEN
    sender_verified: bool = False
    receiver_verified: bool = False
    category: uint8 = 0
    sender_verified, receiver_verified, category = staticcall self.identityRegistry.transferEligibility(
        sender, receiver
    )
    if not sender_verified:
        return SENDER_NOT_VERIFIED
    if not receiver_verified:
        return RECEIVER_NOT_VERIFIED
    if not self._category_allowed(category):
        return RECEIVER_CATEGORY_NOT_ALLOWED
    balance: uint256 = self.balanceOf[sender]
    if balance < amount:
        return INSUFFICIENT_BALANCE
    if unsafe_sub(balance, amount) < self.getFrozenTokens[sender]:
        return INSUFFICIENT_UNFROZEN_BALANCE
    return OK


@internal
@view
def _category_allowed(category: uint8) -> bool:
    return (self.allowedCategories >> convert(category, uint256)) & 1 == 1


@internal
@pure
def _restricted(code: uint8):
    """
    @dev Reverts with the message of reason `code` (not `OK`).
    """
    if code == PAUSED:
        raise "transfer restricted: paused"
    if code == SENDER_FROZEN:
        raise "transfer restricted: sender frozen"
    if code == RECEIVER_FROZEN:
        raise "transfer restricted: receiver frozen"
    if code == SENDER_NOT_VERIFIED:
        raise "transfer restricted: sender not verified"
    if code == RECEIVER_NOT_VERIFIED:
        raise "transfer restricted: receiver not verified"
    if code == RECEIVER_CATEGORY_NOT_ALLOWED:
        raise "transfer restricted: receiver category not allowed"
    if code == INSUFFICIENT_BALANCE:
        raise "transfer restricted: insufficient balance"
    raise "transfer restricted: insufficient unfrozen balance"


@internal
def _transfer(sender: address, receiver: address, amount: uint256):
    """
    @dev An ordinary transfer: every rule applies.
    """
    code: uint8 = self._check(sender, receiver, amount)
    if code != OK:
        self._restricted(code)
    # `_check` proved the balance covers the amount, and no balance can
    # exceed the total supply, so neither operation can wrap.
    self.balanceOf[sender] = unsafe_sub(self.balanceOf[sender], amount)
    self.balanceOf[receiver] = unsafe_add(self.balanceOf[receiver], amount)
    log IERC20.Transfer(sender=sender, receiver=receiver, value=amount)


@internal
def _approve(owner: address, spender: address, amount: uint256):
    assert spender != empty(address), "token: approve to the zero address"
    self.allowance[owner][spender] = amount
    log IERC20.Approval(owner=owner, spender=spender, value=amount)


@internal
def _release_frozen(wallet: address, balance: uint256, amount: uint256):
    """
    @dev Before the agent takes `amount` out of `wallet` (holding
         `balance >= amount`), unfreezes whatever part of it is frozen.
    """
    frozen: uint256 = self.getFrozenTokens[wallet]
    free: uint256 = unsafe_sub(balance, min(frozen, balance))
    if amount > free:
        shortfall: uint256 = unsafe_sub(amount, free)
        self.getFrozenTokens[wallet] = unsafe_sub(frozen, shortfall)
        log TokensUnfrozen(wallet=wallet, amount=shortfall)


@internal
def _mint(to: address, amount: uint256):
    verified: bool = False
    category: uint8 = 0
    verified, category = staticcall self.identityRegistry.eligibility(to)
    assert verified, "token: receiver not verified"
    assert self._category_allowed(category), "token: receiver category not allowed"
    self.totalSupply += amount
    self.balanceOf[to] = unsafe_add(self.balanceOf[to], amount)
    log IERC20.Transfer(sender=empty(address), receiver=to, value=amount)
    log Minted(agent=msg.sender, to=to, amount=amount)


@internal
def _burn(owner: address, amount: uint256):
    balance: uint256 = self.balanceOf[owner]
    assert balance >= amount, "token: burn amount exceeds balance"
    self._release_frozen(owner, balance, amount)
    self.balanceOf[owner] = unsafe_sub(balance, amount)
    self.totalSupply = unsafe_sub(self.totalSupply, amount)
    log IERC20.Transfer(sender=owner, receiver=empty(address), value=amount)
    log Burned(agent=msg.sender, owner=owner, amount=amount)


@internal
def _forced_transfer(sender: address, receiver: address, amount: uint256):
    assert staticcall self.identityRegistry.isVerified(receiver), "token: receiver not verified"
    balance: uint256 = self.balanceOf[sender]
    assert balance >= amount, "token: amount exceeds balance"
    self._release_frozen(sender, balance, amount)
    self.balanceOf[sender] = unsafe_sub(balance, amount)
    self.balanceOf[receiver] = unsafe_add(self.balanceOf[receiver], amount)
    log IERC20.Transfer(sender=sender, receiver=receiver, value=amount)
    log ForcedTransfer(agent=msg.sender, sender=sender, receiver=receiver, amount=amount)


@internal
def _set_address_frozen(wallet: address, freeze: bool):
    self.isFrozen[wallet] = freeze
    log AddressFrozen(wallet=wallet, isFrozen=freeze, agent=msg.sender)


@internal
def _freeze_tokens(wallet: address, amount: uint256):
    frozen: uint256 = self.getFrozenTokens[wallet] + amount
    assert frozen <= self.balanceOf[wallet], "token: amount exceeds unfrozen balance"
    self.getFrozenTokens[wallet] = frozen
    log TokensFrozen(wallet=wallet, amount=amount)


@internal
def _unfreeze_tokens(wallet: address, amount: uint256):
    frozen: uint256 = self.getFrozenTokens[wallet]
    assert frozen >= amount, "token: amount exceeds frozen tokens"
    self.getFrozenTokens[wallet] = unsafe_sub(frozen, amount)
    log TokensUnfrozen(wallet=wallet, amount=amount)


@internal
def _set_identity_registry(registry: IIdentityRegistry):
    assert registry.address != empty(address), "token: registry is the zero address"
    self.identityRegistry = registry
    log IdentityRegistryAdded(identityRegistry=registry.address)
