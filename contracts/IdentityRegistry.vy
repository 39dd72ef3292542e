# pragma version ==0.4.3
# pragma evm-version cancun
"""
@title Liquibond identity registry
@custom:contract-name IdentityRegistry
@license Apache-2.0
@notice The allow-list of verified investor wallets, shared by every bond
        token and the cash token (ERC-3643's identity registry, without
        on-chain claims: the platform runs KYC off chain and its agent
        records the outcome here).

        A wallet is verified exactly while it is registered. Each entry holds:
        - `investorId`: an opaque, non-zero id of the investor that owns the
          wallet (e.g. a salted hash of the platform's user id); one investor
          may have several wallets, and wallet recovery requires the new
          wallet to belong to the same investor;
        - `country`: ISO 3166-1 numeric code (356 = India);
        - `category`: the investor category (0..255, defined by the platform,
          e.g. retail, HNI, institutional); tokens may restrict which
          categories can receive them.

        Country and category are packed in one storage slot with the
        registered flag, and `transferEligibility` answers everything a
        token checks for a transfer in one call, to keep batches cheap.
@dev Roles: `DEFAULT_ADMIN_ROLE` manages roles; `AGENT_ROLE` (the platform)
     registers, updates and deletes identities.
"""

from .modules import roles

initializes: roles

exports: roles.__interface__


# @dev The largest batch `batchRegisterIdentity` accepts.
MAX_BATCH: public(constant(uint256)) = 500

# @dev Packed profile: bit 24 registered, bits 8..23 country, bits 0..7 category.
_REGISTERED: constant(uint256) = 1 << 24

# @dev The packed profile of each wallet (zero: not registered).
_profile: HashMap[address, uint256]

# @dev The investor that owns a registered wallet (zero: not registered).
investorIdOf: public(HashMap[address, bytes32])


event IdentityRegistered:
    wallet: indexed(address)
    investorId: indexed(bytes32)
    country: uint16
    category: uint8


event IdentityUpdated:
    wallet: indexed(address)
    investorId: indexed(bytes32)
    country: uint16
    category: uint8


event IdentityRemoved:
    wallet: indexed(address)
    investorId: indexed(bytes32)


@deploy
def __init__(admin: address, agent: address):
    """
    @param admin The first holder of `DEFAULT_ADMIN_ROLE`.
    @param agent The first holder of `AGENT_ROLE` (may be zero).
    """
    roles.__init__(admin, agent)


@external
def registerIdentity(wallet: address, investorId: bytes32, country: uint16, category: uint8):
    """
    @dev Registers (verifies) a wallet (agent only).
    @param wallet The wallet; not zero, not already registered.
    @param investorId The investor owning it; not zero.
    @param country ISO 3166-1 numeric country code.
    @param category The investor category.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    self._register(wallet, investorId, country, category)


@external
def batchRegisterIdentity(
    wallets: DynArray[address, MAX_BATCH],
    investorIds: DynArray[bytes32, MAX_BATCH],
    countries: DynArray[uint16, MAX_BATCH],
    categories: DynArray[uint8, MAX_BATCH],
):
    """
    @dev Registers many wallets at once (agent only); all or nothing.
    @param wallets The wallets.
    @param investorIds Their investors, index for index.
    @param countries Their countries, index for index.
    @param categories Their categories, index for index.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    n: uint256 = len(wallets)
    assert len(investorIds) == n and len(countries) == n and len(categories) == n, "registry: length mismatch"
    for i: uint256 in range(n, bound=MAX_BATCH):
        self._register(wallets[i], investorIds[i], countries[i], categories[i])


@external
def updateIdentity(wallet: address, country: uint16, category: uint8):
    """
    @dev Changes a registered wallet's country and category (agent only).
    @param wallet A registered wallet.
    @param country The new ISO 3166-1 numeric country code.
    @param category The new investor category.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert self._profile[wallet] != 0, "registry: wallet not registered"
    self._profile[wallet] = self._pack(country, category)
    log IdentityUpdated(wallet=wallet, investorId=self.investorIdOf[wallet], country=country, category=category)


@external
def deleteIdentity(wallet: address):
    """
    @dev Removes a wallet from the registry (agent only): it can no
         longer send or receive tokens, except by the agent's forced
         transfer out of it, burn or recovery.
    @param wallet A registered wallet.
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert self._profile[wallet] != 0, "registry: wallet not registered"
    investor_id: bytes32 = self.investorIdOf[wallet]
    self._profile[wallet] = 0
    self.investorIdOf[wallet] = empty(bytes32)
    log IdentityRemoved(wallet=wallet, investorId=investor_id)


@external
@view
def isVerified(wallet: address) -> bool:
    """
    @dev Whether `wallet` is registered, i.e. may hold and move tokens.
    """
    return self._profile[wallet] != 0


@external
@view
def eligibility(wallet: address) -> (bool, uint8):
    """
    @dev What a token checks on each transfer, in one storage read.
    @return (verified, category)
    """
    profile: uint256 = self._profile[wallet]
    return profile != 0, convert(profile & 255, uint8)


@external
@view
def transferEligibility(sender: address, receiver: address) -> (bool, bool, uint8):
    """
    @dev What a token checks on an ordinary transfer, in one call.
    @return (senderVerified, receiverVerified, receiverCategory)
    """
    receiver_profile: uint256 = self._profile[receiver]
    return self._profile[sender] != 0, receiver_profile != 0, convert(receiver_profile & 255, uint8)


@external
@view
def investorCountry(wallet: address) -> uint16:
    """
    @dev The wallet's ISO 3166-1 numeric country (0 if not registered).
    """
    return convert((self._profile[wallet] >> 8) & 65535, uint16)


@external
@view
def investorCategory(wallet: address) -> uint8:
    """
    @dev The wallet's investor category (0 if not registered).
    """
    return convert(self._profile[wallet] & 255, uint8)


@internal
@pure
def _pack(country: uint16, category: uint8) -> uint256:
    return _REGISTERED | (convert(country, uint256) << 8) | convert(category, uint256)


@internal
def _register(wallet: address, investor_id: bytes32, country: uint16, category: uint8):
    assert wallet != empty(address), "registry: wallet is the zero address"
    assert investor_id != empty(bytes32), "registry: investor id is zero"
    assert self._profile[wallet] == 0, "registry: wallet already registered"
    self._profile[wallet] = self._pack(country, category)
    self.investorIdOf[wallet] = investor_id
    log IdentityRegistered(wallet=wallet, investorId=investor_id, country=country, category=category)
