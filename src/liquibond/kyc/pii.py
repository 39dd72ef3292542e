"""PAN rules and masking, and the sealing of KYC PII at field level.

A PAN is `AAAAA9999A`: three letters, the holder type, the first letter of the holder's
(sur)name, four digits and a check letter. The API never shows PII in full: a PAN as
`XXXXX1234X`, a date of birth as its year, an address as the area of its PIN code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from typing import Final

from liquibond.platform.crypto import FieldCipher

PAN_PATTERN: Final = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")

#: The fourth character of a PAN says who holds it.
HOLDER_TYPES: Final = {
    "P": "individual",
    "C": "company",
    "H": "Hindu undivided family",
    "F": "firm",
    "A": "association of persons",
    "T": "trust",
    "B": "body of individuals",
    "L": "local authority",
    "J": "artificial juridical person",
    "G": "government",
}
INDIVIDUAL: Final = HOLDER_TYPES["P"]
_HOLDER_TYPE_INDEX = 3


def normalise_pan(value: str) -> str:
    """The PAN in upper case; ValueError unless it is well-formed with a known holder type."""
    pan = value.strip().upper()
    if not PAN_PATTERN.fullmatch(pan) or pan[_HOLDER_TYPE_INDEX] not in HOLDER_TYPES:
        raise ValueError("a PAN is five letters (the 4th a holder type), four digits, a letter")
    return pan


def holder_type(pan: str) -> str:
    """Who holds a well-formed PAN (`individual`, `company`, ...)."""
    return HOLDER_TYPES[pan[_HOLDER_TYPE_INDEX]]


def mask_pan(pan: str) -> str:
    """`ABCPE1234F` as `XXXXX1234X`: only the four digits remain."""
    return f"XXXXX{pan[5:9]}X"


def mask_pincode(pincode: str) -> str:
    """`400001` as `400XXX`: the sorting district, not the post office."""
    return f"{pincode[:3]}XXX"


class PiiSealer:
    """Encrypts KYC fields and documents bound to their record, and fingerprints PANs."""

    def __init__(self, key: bytes) -> None:
        self._cipher = FieldCipher(key)
        self._index_key = hmac.new(key, b"liquibond.kyc.pan-index", hashlib.sha256).digest()

    def seal(self, value: bytes, field: str, record_id: uuid.UUID) -> bytes:
        """Ciphertext of `value` that only opens for this field of this record."""
        return self._cipher.encrypt(value, _context(field, record_id))

    def open(self, blob: bytes, field: str, record_id: uuid.UUID) -> bytes:
        """The plaintext sealed by `seal` with the same field and record."""
        return self._cipher.decrypt(blob, _context(field, record_id))

    def pan_digest(self, pan: str) -> str:
        """A keyed hash of the PAN: equal PANs match, the PAN cannot be recovered or guessed."""
        return hmac.new(self._index_key, pan.encode(), hashlib.sha256).hexdigest()


def _context(field: str, record_id: uuid.UUID) -> str:
    return f"kyc.{field}:{record_id}"
