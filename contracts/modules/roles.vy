# pragma version ==0.4.3
"""
@title Roles: admin and agent access control
@custom:contract-name roles
@license Apache-2.0
@notice A small role-based access control module shared by every Liquibond
        contract. Roles are `bytes32` identifiers:

        - `DEFAULT_ADMIN_ROLE` (the owner/admin: the platform's governance key
          or the issuer's) grants and revokes every role, including itself,
          and changes configuration (identity registry, offer document...).
        - `AGENT_ROLE` (the platform's operational key) runs day-to-day
          operations: minting, burning, freezes, forced transfers, recovery,
          identity registration, pause and settlement.
        - `SETTLEMENT_ROLE` (given to the DvP contract only) may move tokens
          between eligible holders without an allowance; every transfer
          rule still applies (see `permissioned_token`).

        The admin role is the admin of every role. The last holder of
        `DEFAULT_ADMIN_ROLE` can neither be revoked nor renounce it, so a
        contract can never be left without an admin by mistake.
        Events and function names follow OpenZeppelin's `IAccessControl`,
        so existing tooling can index them.
"""


# @dev The owner/admin role (the zero hash, as in OpenZeppelin).
DEFAULT_ADMIN_ROLE: public(constant(bytes32)) = empty(bytes32)

# @dev The platform's agent.
AGENT_ROLE: public(constant(bytes32)) = keccak256("AGENT_ROLE")

# @dev A settlement contract (DvP) moving tokens without allowances.
SETTLEMENT_ROLE: public(constant(bytes32)) = keccak256("SETTLEMENT_ROLE")


# @dev Whether `account` holds `role`.
hasRole: public(HashMap[bytes32, HashMap[address, bool]])

# @dev How many accounts hold `DEFAULT_ADMIN_ROLE` (never falls to zero).
adminCount: public(uint256)


event RoleGranted:
    role: indexed(bytes32)
    account: indexed(address)
    sender: indexed(address)


event RoleRevoked:
    role: indexed(bytes32)
    account: indexed(address)
    sender: indexed(address)


@deploy
def __init__(admin: address, agent: address):
    """
    @dev Grants the admin role to `admin` and the agent role to `agent`.
    @param admin The first holder of `DEFAULT_ADMIN_ROLE` (not zero).
    @param agent The first holder of `AGENT_ROLE`, or the zero address
           to appoint one later.
    """
    assert admin != empty(address), "roles: admin is the zero address"
    self._grant_role(DEFAULT_ADMIN_ROLE, admin)
    if agent != empty(address):
        self._grant_role(AGENT_ROLE, agent)


@external
@pure
def getRoleAdmin(role: bytes32) -> bytes32:
    """
    @dev The role that administers `role`: always `DEFAULT_ADMIN_ROLE`.
    @param role Any role.
    @return bytes32 `DEFAULT_ADMIN_ROLE`.
    """
    return DEFAULT_ADMIN_ROLE


@external
def grantRole(role: bytes32, account: address):
    """
    @dev Grants `role` to `account` (admin only). A no-op if it already
         holds it.
    @param role The role to grant.
    @param account The account (not zero).
    """
    self._check_role(DEFAULT_ADMIN_ROLE, msg.sender)
    assert account != empty(address), "roles: account is the zero address"
    self._grant_role(role, account)


@external
def revokeRole(role: bytes32, account: address):
    """
    @dev Revokes `role` from `account` (admin only). A no-op if it does
         not hold it. The last admin cannot be revoked.
    @param role The role to revoke.
    @param account The account.
    """
    self._check_role(DEFAULT_ADMIN_ROLE, msg.sender)
    self._revoke_role(role, account)


@external
def renounceRole(role: bytes32, account: address):
    """
    @dev Gives up one of the caller's own roles (for a compromised key).
         The last admin cannot renounce.
    @param role The role to give up.
    @param account Must be the caller (a guard against mistakes).
    """
    assert account == msg.sender, "roles: can only renounce for self"
    self._revoke_role(role, account)


@internal
@view
def _check_role(role: bytes32, account: address):
    """
    @dev Reverts unless `account` holds `role`.
    """
    assert self.hasRole[role][account], "roles: account is missing role"


@internal
def _grant_role(role: bytes32, account: address):
    if not self.hasRole[role][account]:
        self.hasRole[role][account] = True
        if role == DEFAULT_ADMIN_ROLE:
            self.adminCount += 1
        log RoleGranted(role=role, account=account, sender=msg.sender)


@internal
def _revoke_role(role: bytes32, account: address):
    if self.hasRole[role][account]:
        if role == DEFAULT_ADMIN_ROLE:
            assert self.adminCount > 1, "roles: cannot remove the last admin"
            self.adminCount -= 1
        self.hasRole[role][account] = False
        log RoleRevoked(role=role, account=account, sender=msg.sender)
