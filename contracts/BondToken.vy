# pragma version ==0.4.3
# pragma evm-version cancun
"""
@title Liquibond bond token
@custom:contract-name BondToken
@license Apache-2.0
@notice One bond (or other security) as a permissioned token: ERC-20 with
        the controls of ERC-3643 / ERC-1400 (see `permissioned_token` for
        the transfer rules, reason codes and the agent's powers), plus the
        hash and URI of the bond's offer document.

        Roles (see `roles`): `DEFAULT_ADMIN_ROLE` manages roles, the identity
        registry, the allowed investor categories and the offer document;
        `AGENT_ROLE` (the platform) mints, burns, freezes, pauses, forces
        transfers and recovers wallets; `SETTLEMENT_ROLE` is given to the DvP
        contract so that it can settle trades without allowances.
"""

from .modules import roles
from .modules import pausable
from .modules import permissioned_token as token

initializes: roles
initializes: pausable[roles := roles]
initializes: token[roles := roles, pausable := pausable]

exports: (roles.__interface__, pausable.__interface__, token.__interface__)


# @dev The hash (e.g. SHA-256) of the offer document (prospectus,
# information memorandum or term sheet).
offerDocumentHash: public(bytes32)

# @dev Where the offer document can be fetched.
offerDocumentURI: public(String[256])


event OfferDocumentUpdated:
    documentHash: indexed(bytes32)
    uri: String[256]


@deploy
def __init__(
    name_: String[64],
    symbol_: String[32],
    decimals_: uint8,
    registry: address,
    admin: address,
    agent: address,
    documentHash: bytes32,
    documentURI: String[256],
):
    """
    @param name_ The token's name (e.g. the bond's name and ISIN).
    @param symbol_ The token's symbol.
    @param decimals_ The decimals of one unit of the bond.
    @param registry The `IdentityRegistry` checked on every transfer.
    @param admin The first holder of `DEFAULT_ADMIN_ROLE`.
    @param agent The first holder of `AGENT_ROLE` (may be zero).
    @param documentHash The offer document's hash.
    @param documentURI The offer document's URI.
    """
    roles.__init__(admin, agent)
    token.__init__(name_, symbol_, decimals_, token.IIdentityRegistry(registry))
    self._set_offer_document(documentHash, documentURI)


@external
def setOfferDocument(documentHash: bytes32, documentURI: String[256]):
    """
    @dev Replaces the offer document's hash and URI (admin only), e.g. for
         an addendum. Every version stays on record in the events.
    """
    roles._check_role(roles.DEFAULT_ADMIN_ROLE, msg.sender)
    self._set_offer_document(documentHash, documentURI)


@external
@view
def offerDocument() -> (bytes32, String[256]):
    """
    @dev The offer document's hash and URI in one call.
    """
    return self.offerDocumentHash, self.offerDocumentURI


@internal
def _set_offer_document(document_hash: bytes32, document_uri: String[256]):
    self.offerDocumentHash = document_hash
    self.offerDocumentURI = document_uri
    log OfferDocumentUpdated(documentHash=document_hash, uri=document_uri)
