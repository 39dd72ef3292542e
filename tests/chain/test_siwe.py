"""Sign-In with Ethereum (EIP-4361): render/parse round trips, strict parsing, and verification
of real `personal_sign` signatures made with eth_account keys."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from hypothesis import given
from hypothesis import strategies as st

from liquibond.chain.siwe import (
    SiweError,
    SiweMessage,
    new_nonce,
    parse,
    render,
    verify,
)

DOMAIN = "liquibond.example"
NONCE = "k3Jd9sQp0aZx7LmN"
ISSUED = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
NOW = ISSUED + timedelta(minutes=1)
ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # the EIP-55 test vector

EXAMPLE = """\
liquibond.example wants you to sign in with your Ethereum account:
0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed

Link this wallet to your Liquibond account.

URI: https://liquibond.example/wallets/link
Version: 1
Chain ID: 1
Nonce: k3Jd9sQp0aZx7LmN
Issued At: 2026-11-22T04:00:00Z
Expiration Time: 2026-11-22T04:10:00.5Z
Not Before: 2026-11-22T03:59:00Z
Request ID: req-42
Resources:
- https://liquibond.example/terms
- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/"""


def message(address: str = ADDRESS, **changes: Any) -> SiweMessage:
    base = SiweMessage(
        domain=DOMAIN,
        address=address,
        statement="Link this wallet to your Liquibond account.",
        uri="https://liquibond.example/wallets/link",
        chain_id=1,
        nonce=NONCE,
        issued_at=ISSUED,
        expiration_time=ISSUED + timedelta(minutes=10),
    )
    return replace(base, **changes)


def sign(account: LocalAccount, text: str) -> str:
    signed = Account.sign_message(encode_defunct(text=text), account.key)
    return "0x" + bytes(signed.signature).hex()


def code_of(excinfo: pytest.ExceptionInfo[SiweError]) -> str:
    return excinfo.value.code


# --- render and parse -------------------------------------------------------------------


def test_parse_the_example_and_render_it_back_byte_for_byte() -> None:
    parsed = parse(EXAMPLE)
    assert parsed == SiweMessage(
        domain=DOMAIN,
        address=ADDRESS,
        statement="Link this wallet to your Liquibond account.",
        uri="https://liquibond.example/wallets/link",
        chain_id=1,
        nonce=NONCE,
        issued_at=ISSUED,
        expiration_time=datetime(2026, 11, 22, 4, 10, 0, 500000, tzinfo=UTC),
        not_before=datetime(2026, 11, 22, 3, 59, tzinfo=UTC),
        request_id="req-42",
        resources=(
            "https://liquibond.example/terms",
            "ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/",
        ),
    )
    assert render(parsed) == EXAMPLE


def test_render_without_statement_has_two_blank_lines_per_the_abnf() -> None:
    text = render(message(statement=None, expiration_time=None))
    assert text == (
        "liquibond.example wants you to sign in with your Ethereum account:\n"
        f"{ADDRESS}\n"
        "\n"
        "\n"
        "URI: https://liquibond.example/wallets/link\n"
        "Version: 1\n"
        "Chain ID: 1\n"
        f"Nonce: {NONCE}\n"
        "Issued At: 2026-11-22T04:00:00Z"
    )
    assert parse(text).statement is None


def test_scheme_in_the_header_round_trips() -> None:
    m = message(scheme="https", domain="liquibond.example:8443")
    text = render(m)
    assert text.startswith("https://liquibond.example:8443 wants you to sign in")
    assert parse(text) == m


def test_timestamps_with_offsets_and_fractions_parse_to_utc() -> None:
    text = EXAMPLE.replace(
        "Issued At: 2026-11-22T04:00:00Z", "Issued At: 2026-11-22T09:30:00+05:30"
    )
    assert parse(text).issued_at == ISSUED
    assert parse(text).issued_at.utcoffset() == timedelta(0)
    text = EXAMPLE.replace("04:00:00Z", "04:00:00.123Z")
    assert parse(text).issued_at == ISSUED.replace(microsecond=123000)
    assert "Issued At: 2026-11-22T04:00:00.123Z" in render(parse(text))


aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7))]
    ),
)
uris = st.from_regex(
    r"[a-z][a-z0-9+.\-]{0,8}:[A-Za-z0-9/._~:@!$&'()*+,;=?#\-]{0,30}", fullmatch=True
)


@given(
    statement=st.none()
    | st.from_regex(r"[A-Za-z0-9 .,:;!?'()\-/@#$&*+=~\[\]]{1,60}", fullmatch=True),
    chain_id=st.integers(min_value=1, max_value=2**64),
    nonce=st.from_regex(r"[A-Za-z0-9]{8,40}", fullmatch=True),
    issued_at=aware_datetimes,
    expiration_time=st.none() | aware_datetimes,
    not_before=st.none() | aware_datetimes,
    request_id=st.none() | st.from_regex(r"[A-Za-z0-9\-._~!$&'()*+,;=:@]{0,20}", fullmatch=True),
    resources=st.lists(uris, max_size=4).map(tuple),
    scheme=st.none() | st.sampled_from(["https", "http", "app+x"]),
    uri=uris,
)
def test_parse_inverts_render_for_any_message(
    statement: str | None,
    chain_id: int,
    nonce: str,
    issued_at: datetime,
    expiration_time: datetime | None,
    not_before: datetime | None,
    request_id: str | None,
    resources: tuple[str, ...],
    scheme: str | None,
    uri: str,
) -> None:
    m = SiweMessage(
        scheme=scheme,
        domain="localhost:3000",
        address=ADDRESS,
        statement=statement,
        uri=uri,
        chain_id=chain_id,
        nonce=nonce,
        issued_at=issued_at,
        expiration_time=expiration_time,
        not_before=not_before,
        request_id=request_id,
        resources=resources,
    )
    text = render(m)
    assert parse(text) == m
    assert render(parse(text)) == text


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(ADDRESS, ADDRESS.lower(), id="lowercase address"),
        pytest.param(ADDRESS, ADDRESS.upper().replace("0X", "0x"), id="uppercase address"),
        pytest.param(ADDRESS, ADDRESS[:-1], id="short address"),
        pytest.param(f"Nonce: {NONCE}", "Nonce: abc123", id="short nonce"),
        pytest.param(f"Nonce: {NONCE}", "Nonce: abcd-1234", id="nonce not alphanumeric"),
        pytest.param("URI: https://liquibond.example/wallets/link\n", "", id="missing URI line"),
        pytest.param("Version: 1", "Version: 2", id="bad version"),
        pytest.param("Chain ID: 1", "Chain ID: 01", id="chain id leading zero"),
        pytest.param("Chain ID: 1", "Chain ID: one", id="chain id not a number"),
        pytest.param("04:00:00Z", "04:00:00", id="timestamp without offset"),
        pytest.param("2026-11-22T04:00:00Z", "2026-11-31T04:00:00Z", id="no such day"),
        pytest.param("2026-11-22T04:00:00Z", "2026-11-22 04:00:00Z", id="space for T"),
        pytest.param("Request ID: req-42", "Request ID: req 42", id="space in request id"),
        pytest.param("Request ID: req-42\n", "Request ID: req-42\nHello: there\n", id="extra line"),
        pytest.param("hwq/", "hwq/\n", id="trailing newline"),
        pytest.param("\nURI:", "\n\nURI:", id="extra blank line"),
        pytest.param("Version: 1\n", "Version: 1\r\n", id="CRLF"),
        pytest.param(
            "Expiration Time: 2026-11-22T04:10:00.5Z\nNot Before: 2026-11-22T03:59:00Z",
            "Not Before: 2026-11-22T03:59:00Z\nExpiration Time: 2026-11-22T04:10:00.5Z",
            id="optional fields out of order",
        ),
        pytest.param(
            "Resources:\n- https://liquibond.example/terms",
            "Resources:\nhttps://x",
            id="bad resource",
        ),
        pytest.param(
            "your Ethereum account:", "your Ethereum wallet:", id="header not a sign-in request"
        ),
        pytest.param(
            "liquibond.example wants", "liquibond.example/x wants", id="domain not authority"
        ),
        pytest.param("Link this wallet", "Link thïs wallet", id="statement not ascii"),
    ],
)
def test_parse_rejects_malformed_texts(old: str, new: str) -> None:
    assert old in EXAMPLE
    text = EXAMPLE.replace(old, new, 1)
    assert text != EXAMPLE
    with pytest.raises(SiweError) as excinfo:
        parse(text)
    assert code_of(excinfo) == "siwe.malformed"


def test_parse_rejects_old_style_message_without_statement_blank_line() -> None:
    text = render(message(statement=None)).replace("\n\n\nURI:", "\n\nURI:")
    with pytest.raises(SiweError) as excinfo:
        parse(text)
    assert code_of(excinfo) == "siwe.malformed"


@pytest.mark.parametrize(
    "changes",
    [
        {"address": ADDRESS.lower()},
        {"nonce": "short"},
        {"statement": ""},
        {"statement": "two\nlines"},
        {"version": "2"},
        {"chain_id": 0},
        {"issued_at": datetime(2026, 11, 22)},  # naive
        {"uri": "not a uri"},
        {"resources": ("https://ok", "no scheme")},
    ],
)
def test_constructing_an_invalid_message_fails(changes: dict[str, Any]) -> None:
    with pytest.raises(SiweError) as excinfo:
        message(**changes)
    assert code_of(excinfo) == "siwe.malformed"


# --- verify -----------------------------------------------------------------------------


@pytest.fixture
def account() -> LocalAccount:
    created: LocalAccount = Account.create()
    return created


def test_a_valid_signature_verifies(account: LocalAccount) -> None:
    text = render(message(account.address))
    m = verify(text, sign(account, text), domain=DOMAIN, nonce=NONCE, now=NOW, chain_id=1)
    assert m == message(account.address)
    # MetaMask may return v as 0/1 rather than 27/28; without 0x it is the same hex.
    signature = sign(account, text)
    low_v = signature[:-2] + f"{int(signature[-2:], 16) - 27:02x}"
    assert verify(text, low_v, domain=DOMAIN, nonce=NONCE, now=NOW) == m
    assert verify(text, signature[2:], domain=DOMAIN, nonce=NONCE, now=NOW) == m


def assert_rejected(code: str, text: str, signature: str, **expected: object) -> None:
    kwargs: dict[str, object] = {"domain": DOMAIN, "nonce": NONCE, "now": NOW, **expected}
    with pytest.raises(SiweError) as excinfo:
        verify(text, signature, **kwargs)  # type: ignore[arg-type]
    assert code_of(excinfo) == code


def test_a_signature_by_another_key_is_bad(account: LocalAccount) -> None:
    text = render(message(account.address))
    assert_rejected("siwe.bad_signature", text, sign(Account.create(), text))


def test_a_message_tampered_with_after_signing_is_bad(account: LocalAccount) -> None:
    text = render(message(account.address))
    signature = sign(account, text)
    tampered = text.replace("Chain ID: 1", "Chain ID: 10")
    assert_rejected("siwe.bad_signature", tampered, signature)
    # Claiming another address for one's own signature is no better.
    claimed = render(message(ADDRESS))
    assert_rejected("siwe.bad_signature", claimed, sign(account, text))


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "0x",
        "0xzz" + "00" * 64,
        "0x" + "ab" * 64,  # 64 bytes
        "0x" + "ab" * 66,  # 66 bytes
        "0x" + "00" * 64 + "1b",  # r = s = 0
        "0x" + "ff" * 64 + "1b",  # r, s out of range
        "not hex at all",
    ],
)
def test_garbage_signatures_are_bad(account: LocalAccount, signature: str) -> None:
    assert_rejected("siwe.bad_signature", render(message(account.address)), signature)


def test_odd_v_and_high_s_are_bad(account: LocalAccount) -> None:
    text = render(message(account.address))
    signature = sign(account, text)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    r, s, v = signature[2:66], int(signature[66:130], 16), int(signature[130:], 16)
    # An EIP-155-style v (35 + parity) that eth_account alone would still accept.
    assert_rejected("siwe.bad_signature", text, f"{signature[:-2]}{35 + v - 27:02x}")
    malleated = f"0x{r}{n - s:064x}{55 - v:02x}"  # the same signature, flipped: valid but high-s
    assert_rejected("siwe.bad_signature", text, malleated)


def test_an_expired_message_is_rejected(account: LocalAccount) -> None:
    m = message(account.address, expiration_time=NOW)
    text = render(m)
    assert_rejected("siwe.expired", text, sign(account, text))
    early = NOW - timedelta(microseconds=1)
    assert verify(text, sign(account, text), domain=DOMAIN, nonce=NONCE, now=early) == m


def test_a_message_not_yet_valid_is_rejected(account: LocalAccount) -> None:
    m = message(account.address, not_before=NOW + timedelta(seconds=1))
    text = render(m)
    assert_rejected("siwe.not_yet_valid", text, sign(account, text))
    later = NOW + timedelta(seconds=1)
    assert verify(text, sign(account, text), domain=DOMAIN, nonce=NONCE, now=later) == m


def test_wrong_domain_nonce_and_chain_are_rejected(account: LocalAccount) -> None:
    text = render(message(account.address))
    signature = sign(account, text)
    assert_rejected("siwe.domain_mismatch", text, signature, domain="evil.example")
    assert_rejected("siwe.nonce_mismatch", text, signature, nonce=new_nonce())
    assert_rejected("siwe.chain_mismatch", text, signature, chain_id=137)


def test_checks_run_in_order(account: LocalAccount) -> None:
    expired = message(account.address, expiration_time=NOW)
    text = render(expired)
    garbage = "0x" + "00" * 65
    assert_rejected("siwe.malformed", text.lower(), garbage, domain="x", nonce="y")
    assert_rejected("siwe.domain_mismatch", text, garbage, domain="x", nonce="y", chain_id=5)
    assert_rejected("siwe.nonce_mismatch", text, garbage, nonce="y", chain_id=5)
    assert_rejected("siwe.chain_mismatch", text, garbage, chain_id=5)
    assert_rejected("siwe.expired", text, garbage)
    late = render(message(account.address, expiration_time=None, not_before=NOW + timedelta(1)))
    assert_rejected("siwe.not_yet_valid", late, garbage)


def test_verify_needs_an_aware_now(account: LocalAccount) -> None:
    text = render(message(account.address))
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(text, sign(account, text), domain=DOMAIN, nonce=NONCE, now=datetime(2026, 11, 22))


def test_new_nonce_is_long_random_and_parses() -> None:
    nonces = {new_nonce() for _ in range(100)}
    assert len(nonces) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9]{24}", n) for n in nonces)
    assert len(new_nonce(16)) == 16
    with pytest.raises(ValueError):
        new_nonce(15)
    assert parse(render(message(nonce=new_nonce()))).nonce != NONCE


def test_siwe_error_carries_code_and_detail() -> None:
    error = SiweError("siwe.expired", "too late")
    assert isinstance(error, ValueError)
    assert (error.code, error.detail, str(error)) == (
        "siwe.expired",
        "too late",
        "siwe.expired: too late",
    )
