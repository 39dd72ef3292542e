# pragma version ==0.4.3
"""
@title Pausable: an emergency stop run by the agent
@custom:contract-name pausable
@license Apache-2.0
@notice While paused, a token refuses ordinary transfers (holders'
        transfers and settlement) and the DvP contract refuses
        settlements. The agent's corrective powers (mint, burn, forced
        transfer, recovery, freezes) keep working, as in ERC-3643.
"""

from . import roles

uses: roles


# @dev Whether the contract is paused.
paused: public(bool)


event Paused:
    account: indexed(address)


event Unpaused:
    account: indexed(address)


@external
def pause():
    """
    @dev Pauses the contract (agent only; reverts if already paused).
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert not self.paused, "pausable: paused"
    self.paused = True
    log Paused(account=msg.sender)


@external
def unpause():
    """
    @dev Unpauses the contract (agent only; reverts if not paused).
    """
    roles._check_role(roles.AGENT_ROLE, msg.sender)
    assert self.paused, "pausable: not paused"
    self.paused = False
    log Unpaused(account=msg.sender)


@internal
@view
def _require_not_paused():
    """
    @dev Reverts while the contract is paused.
    """
    assert not self.paused, "pausable: paused"
