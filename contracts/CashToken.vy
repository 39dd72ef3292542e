# pragma version ==0.4.3
# pragma evm-version cancun
"""
@title Liquibond cash token
@custom:contract-name CashToken
@license Apache-2.0
@notice A permissioned cash token for the on-chain cash mode (e.g. tokenized
        INR held 1:1 against the platform's client-money account): the same
        rules as a bond token (only verified wallets, pause, freezes, forced
        transfer, recovery; see `permissioned_token`), minted by the agent on
        a deposit and burnt on a withdrawal. The DvP contract, holding
        `SETTLEMENT_ROLE`, pays for bonds with it.
"""

from .modules import roles
from .modules import pausable
from .modules import permissioned_token as token

initializes: roles
initializes: pausable[roles := roles]
initializes: token[roles := roles, pausable := pausable]

exports: (roles.__interface__, pausable.__interface__, token.__interface__)


@deploy
def __init__(name_: String[64], symbol_: String[32], decimals_: uint8, registry: address, admin: address, agent: address):
    """
    @param name_ The token's name (e.g. "Liquibond INR").
    @param symbol_ The token's symbol.
    @param decimals_ The currency's minor units (2 for INR paise).
    @param registry The `IdentityRegistry` checked on every transfer.
    @param admin The first holder of `DEFAULT_ADMIN_ROLE`.
    @param agent The first holder of `AGENT_ROLE` (may be zero).
    """
    roles.__init__(admin, agent)
    token.__init__(name_, symbol_, decimals_, token.IIdentityRegistry(registry))
