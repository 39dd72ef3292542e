"""Sign-In with Ethereum (EIP-4361): build, parse and verify the message a self-custody wallet
signs to prove it controls an address, so the address can be linked to a Liquibond account.

The wallet (e.g. MetaMask) signs the rendered text with `personal_sign`, i.e. an EIP-191
version 0x45 signature over the UTF-8 bytes of the text. This module is pure: it holds no
state, so *replay protection is the caller's job*. The server issues a nonce
(:func:`new_nonce`), remembers it, passes it to :func:`verify`, and accepts it at most once
(and only for a short while). Only externally owned accounts are supported: smart-contract
wallets (EIP-1271 signatures) would need a chain call and are rejected as bad signatures.

The grammar is the ABNF of EIP-4361. :func:`parse` is strict: apart from timestamps (which
may carry a UTC offset or any fractional digits), it accepts exactly the texts :func:`render`
produces, so ``parse(render(m)) == m`` and ``render(parse(t)) == t`` for canonical `t`.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final, Literal

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from eth_utils.address import to_checksum_address

__all__ = [
    "NONCE_ALPHABET",
    "SiweError",
    "SiweErrorCode",
    "SiweMessage",
    "new_nonce",
    "parse",
    "render",
    "verify",
]

SiweErrorCode = Literal[
    "siwe.malformed",
    "siwe.domain_mismatch",
    "siwe.nonce_mismatch",
    "siwe.chain_mismatch",
    "siwe.expired",
    "siwe.not_yet_valid",
    "siwe.bad_signature",
]

#: The characters of a nonce: EIP-4361 says ``nonce = 8*( ALPHA / DIGIT )``.
NONCE_ALPHABET: Final = string.ascii_letters + string.digits

_HEADER_SUFFIX: Final = " wants you to sign in with your Ethereum account:"
_VERSION: Final = "1"
_SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

# RFC 3986 pieces, ASCII only (explicit classes, matched with re.fullmatch).
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
# authority = [ userinfo "@" ] host [ ":" port ]; host may be an IP literal in brackets.
_AUTHORITY_RE: Final = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@\[\]]|{_PCT})+")
_URI_RE: Final = re.compile(
    rf"[A-Za-z][A-Za-z0-9+\-.]*:(?:[{_UNRESERVED}{_SUB_DELIMS}:@/?#\[\]]|{_PCT})*"
)
# statement = *( reserved / unreserved / " " ); reserved = gen-delims / sub-delims.
_STATEMENT_RE: Final = re.compile(rf"[{_UNRESERVED}{_SUB_DELIMS}:/?#\[\]@ ]+")
_REQUEST_ID_RE: Final = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})*")
_ADDRESS_RE: Final = re.compile(r"0x[0-9A-Fa-f]{40}")
_NONCE_RE: Final = re.compile(r"[A-Za-z0-9]{8,}")
_CHAIN_ID_RE: Final = re.compile(r"[1-9][0-9]*")
# RFC 3339 date-time (upper-case T and Z only; no leap seconds).
_DATETIME_RE: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))"
)
_SIGNATURE_RE: Final = re.compile(r"(?:0x)?[0-9A-Fa-f]{130}")


class SiweError(ValueError):
    """A Sign-In with Ethereum message that is malformed or does not verify."""

    def __init__(self, code: SiweErrorCode, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code: SiweErrorCode = code
        self.detail = detail


def _malformed(detail: str) -> SiweError:
    return SiweError("siwe.malformed", detail)


@dataclass(frozen=True, kw_only=True)
class SiweMessage:
    """An EIP-4361 message; constructing one validates every field against the grammar."""

    domain: str
    address: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: datetime
    statement: str | None = None
    version: str = _VERSION
    expiration_time: datetime | None = None
    not_before: datetime | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = ()
    scheme: str | None = None

    def __post_init__(self) -> None:
        if self.scheme is not None and not _SCHEME_RE.fullmatch(self.scheme):
            raise _malformed(f"scheme {self.scheme!r} is not an RFC 3986 scheme")
        if not _AUTHORITY_RE.fullmatch(self.domain):
            raise _malformed(f"domain {self.domain!r} is not an RFC 3986 authority")
        _check_address(self.address)
        if self.statement is not None and not _STATEMENT_RE.fullmatch(self.statement):
            raise _malformed(
                f"statement {self.statement!r} is empty or has characters outside the grammar"
            )
        if not _URI_RE.fullmatch(self.uri):
            raise _malformed(f"URI {self.uri!r} is not an RFC 3986 URI")
        if self.version != _VERSION:
            raise _malformed(f"version {self.version!r} is not {_VERSION!r}")
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int):
            raise _malformed(f"chain id {self.chain_id!r} is not an integer")
        if self.chain_id < 1:
            raise _malformed(f"chain id {self.chain_id} is not positive")
        if not _NONCE_RE.fullmatch(self.nonce):
            raise _malformed(f"nonce {self.nonce!r} is not at least 8 ASCII letters and digits")
        for name in ("issued_at", "expiration_time", "not_before"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
                raise _malformed(f"{name} {value!r} is not a timezone-aware datetime")
            if value is not None:
                try:
                    value.astimezone(UTC)
                except OverflowError as exc:
                    raise _malformed(f"{name} {value!r} is out of range in UTC") from exc
        if self.request_id is not None and not _REQUEST_ID_RE.fullmatch(self.request_id):
            raise _malformed(f"request id {self.request_id!r} has characters outside pchar")
        if not isinstance(self.resources, tuple):
            raise _malformed("resources must be a tuple")
        for resource in self.resources:
            if not isinstance(resource, str) or not _URI_RE.fullmatch(resource):
                raise _malformed(f"resource {resource!r} is not an RFC 3986 URI")


def _check_address(address: str) -> None:
    if not _ADDRESS_RE.fullmatch(address):
        raise _malformed(f"address {address!r} is not 0x and 40 hex digits")
    if to_checksum_address(address) != address:
        raise _malformed(f"address {address!r} is not EIP-55 checksummed")


def _format_datetime(value: datetime) -> str:
    utc = value.astimezone(UTC)
    text = (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
    )
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _parse_datetime(text: str, field: str) -> datetime:
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        raise _malformed(f"{field} {text!r} is not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction, zulu, sign, off_hours, off_minutes = match.group(7, 8, 9, 10, 11)
    # Sub-microsecond digits are truncated: datetime holds microseconds.
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    if zulu:
        tz = UTC
    else:
        hours, minutes = int(off_hours), int(off_minutes)
        if hours > 23 or minutes > 59:
            raise _malformed(f"{field} {text!r} has an invalid UTC offset")
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if sign == "-" else offset)
    try:
        value = datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz)
        return value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _malformed(f"{field} {text!r} is not a valid date-time: {exc}") from exc


def render(message: SiweMessage) -> str:
    """The exact EIP-4361 text of `message`, which the wallet signs with `personal_sign`."""
    origin = message.domain if message.scheme is None else f"{message.scheme}://{message.domain}"
    lines = [origin + _HEADER_SUFFIX, message.address, ""]
    if message.statement is not None:
        lines.append(message.statement)
    lines += [
        "",
        f"URI: {message.uri}",
        f"Version: {message.version}",
        f"Chain ID: {message.chain_id}",
        f"Nonce: {message.nonce}",
        f"Issued At: {_format_datetime(message.issued_at)}",
    ]
    if message.expiration_time is not None:
        lines.append(f"Expiration Time: {_format_datetime(message.expiration_time)}")
    if message.not_before is not None:
        lines.append(f"Not Before: {_format_datetime(message.not_before)}")
    if message.request_id is not None:
        lines.append(f"Request ID: {message.request_id}")
    if message.resources:
        lines.append("Resources:")
        lines += [f"- {resource}" for resource in message.resources]
    return "\n".join(lines)


class _Lines:
    """The lines of a message text, consumed in order."""

    def __init__(self, text: str) -> None:
        self._lines = text.split("\n")
        self._at = 0

    @property
    def number(self) -> int:
        """The 1-based number of the line last taken."""
        return self._at

    def done(self) -> bool:
        return self._at == len(self._lines)

    def peek(self) -> str | None:
        return None if self.done() else self._lines[self._at]

    def take(self, what: str) -> str:
        line = self.peek()
        if line is None:
            raise _malformed(f"the message ends where {what} should be")
        self._at += 1
        return line

    def blank(self, after: str) -> None:
        if self.take(f"a blank line after {after}") != "":
            raise _malformed(f"line {self.number} should be blank (after {after})")

    def tagged(self, tag: str) -> str:
        line = self.take(f"the {tag!r} line")
        if not line.startswith(f"{tag}: "):
            raise _malformed(f"line {self.number} should start with {tag!r}: {line!r}")
        return line[len(tag) + 2 :]

    def optional(self, tag: str) -> str | None:
        line = self.peek()
        if line is None or not line.startswith(f"{tag}: "):
            return None
        return self.tagged(tag)


def parse(text: str) -> SiweMessage:
    """Parse an EIP-4361 text strictly; anything off raises `SiweError` ``siwe.malformed``."""
    if "\r" in text:
        raise _malformed("lines must end with LF only")
    lines = _Lines(text)
    header = lines.take("the header")
    if not header.endswith(_HEADER_SUFFIX):
        raise _malformed(f"the first line is not a sign-in request: {header!r}")
    origin = header[: -len(_HEADER_SUFFIX)]
    scheme: str | None = None
    domain = origin
    if "://" in origin:
        scheme, domain = origin.split("://", 1)
    address = lines.take("the address")
    lines.blank("the address")
    statement: str | None = lines.take("the statement or a blank line")
    if statement == "":
        statement = None
    else:
        lines.blank("the statement")
    uri = lines.tagged("URI")
    version = lines.tagged("Version")
    chain_id_text = lines.tagged("Chain ID")
    if not _CHAIN_ID_RE.fullmatch(chain_id_text):
        raise _malformed(f"chain id {chain_id_text!r} is not a positive decimal")
    nonce = lines.tagged("Nonce")
    issued_at = _parse_datetime(lines.tagged("Issued At"), "issued at")
    expiration_text = lines.optional("Expiration Time")
    not_before_text = lines.optional("Not Before")
    expiration_time = (
        None if expiration_text is None else _parse_datetime(expiration_text, "expiration time")
    )
    not_before = None if not_before_text is None else _parse_datetime(not_before_text, "not before")
    request_id = lines.optional("Request ID")
    resources: list[str] = []
    if lines.peek() == "Resources:":
        lines.take("resources")
        if lines.done():
            raise _malformed("'Resources:' lists no resource")
        while not lines.done():
            line = lines.take("a resource")
            if not line.startswith("- "):
                raise _malformed(f"line {lines.number} is not a resource ('- URI'): {line!r}")
            resources.append(line[2:])
    if not lines.done():
        raise _malformed(f"unexpected line {lines.number + 1}: {lines.peek()!r}")
    return SiweMessage(
        scheme=scheme,
        domain=domain,
        address=address,
        statement=statement,
        uri=uri,
        version=version,
        chain_id=int(chain_id_text),
        nonce=nonce,
        issued_at=issued_at,
        expiration_time=expiration_time,
        not_before=not_before,
        request_id=request_id,
        resources=tuple(resources),
    )


def _recover(text: str, signature: str) -> str:
    """The address whose key made the EIP-191 `personal_sign` `signature` over `text`."""
    if not _SIGNATURE_RE.fullmatch(signature):
        raise SiweError("siwe.bad_signature", "the signature is not 65 bytes of hex")
    raw = bytes.fromhex(signature.removeprefix("0x"))
    s, v = int.from_bytes(raw[32:64], "big"), raw[64]
    if v in (0, 1):
        v += 27
    if v not in (27, 28):
        raise SiweError("siwe.bad_signature", f"the signature's v ({raw[64]}) is not 27 or 28")
    if s > _SECP256K1_N // 2:
        raise SiweError("siwe.bad_signature", "the signature's s is not canonical (EIP-2)")
    try:
        recovered: str = Account.recover_message(
            encode_defunct(text=text), signature=raw[:64] + bytes([v])
        )
    except (BadSignature, ValueError) as exc:
        raise SiweError("siwe.bad_signature", f"no key recovers from the signature: {exc}") from exc
    return recovered


def verify(
    text: str,
    signature: str,
    *,
    domain: str,
    nonce: str,
    now: datetime,
    chain_id: int | None = None,
) -> SiweMessage:
    """Parse `text` and check it against what the server expects and its signature.

    Checks, in order: the text parses (``siwe.malformed``), its domain is `domain`
    (``siwe.domain_mismatch``), its nonce is `nonce`, the one the server issued
    (``siwe.nonce_mismatch``), its chain id is `chain_id` if given (``siwe.chain_mismatch``),
    `now` is before its expiration time (``siwe.expired``) and not before its not-before time
    (``siwe.not_yet_valid``), and `signature` (65 bytes of hex, as `personal_sign` returns)
    recovers to its address (``siwe.bad_signature``). Returns the message.

    Replay protection is the caller's: `nonce` must be one the server issued, has not yet
    accepted, and marks used once this returns (a database of issued nonces).
    """
    if now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    message = parse(text)
    if message.domain != domain:
        raise SiweError(
            "siwe.domain_mismatch", f"the message is for {message.domain!r}, not {domain!r}"
        )
    if not secrets.compare_digest(message.nonce.encode(), nonce.encode()):
        raise SiweError("siwe.nonce_mismatch", "the message's nonce is not the one issued")
    if chain_id is not None and message.chain_id != chain_id:
        raise SiweError(
            "siwe.chain_mismatch", f"the message is for chain {message.chain_id}, not {chain_id}"
        )
    if message.expiration_time is not None and now >= message.expiration_time:
        raise SiweError(
            "siwe.expired", f"the message expired at {_format_datetime(message.expiration_time)}"
        )
    if message.not_before is not None and now < message.not_before:
        raise SiweError(
            "siwe.not_yet_valid",
            f"the message is not valid before {_format_datetime(message.not_before)}",
        )
    recovered = _recover(text, signature)
    if recovered != message.address:
        raise SiweError(
            "siwe.bad_signature", f"the signature is by {recovered}, not {message.address}"
        )
    return message


def new_nonce(length: int = 24) -> str:
    """A fresh random nonce of `length` (at least 16) ASCII letters and digits."""
    if length < 16:
        raise ValueError("a nonce needs at least 16 characters")
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(length))
