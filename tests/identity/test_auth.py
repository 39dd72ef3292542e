"""The whole authentication lifecycle over HTTP, and forged tokens."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pyotp
import pytest
from fastapi import FastAPI

from tests.helpers import PASSWORD, assert_problem, login, register, register_and_login


async def test_register_login_me_refresh_logout(client: httpx.AsyncClient) -> None:
    user = await register(client)
    assert user["roles"] == ["investor"]
    assert "password" not in str(user) and "password_hash" not in user

    tokens = (await login(client, user["email"])).json()
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["id"] == user["id"]

    rotated = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != tokens["refresh_token"]

    headers = {"Authorization": f"Bearer {new['access_token']}"}
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert_problem(await client.get("/api/v1/me", headers=headers), 401, "auth.session_revoked")
    assert_problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]}),
        401,
        "auth.refresh_invalid",
    )


async def test_reusing_a_rotated_refresh_token_revokes_the_family(
    client: httpx.AsyncClient,
) -> None:
    session = await register_and_login(client)
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    assert first.status_code == 200
    second_generation = first.json()

    replay = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": session.refresh_token}
    )
    assert_problem(replay, 401, "auth.refresh_reused")

    # The thief's replay killed the legitimate holder's newer tokens too.
    assert_problem(
        await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": second_generation["refresh_token"]}
        ),
        401,
        "auth.refresh_invalid",
    )
    headers = {"Authorization": f"Bearer {second_generation['access_token']}"}
    assert_problem(await client.get("/api/v1/me", headers=headers), 401, "auth.session_revoked")


async def test_wrong_password_and_unknown_account_look_the_same(client: httpx.AsyncClient) -> None:
    user = await register(client)
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": user["email"], "password": "not the password"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert (
        assert_problem(wrong, 401, "auth.invalid_credentials")["detail"]
        == (assert_problem(unknown, 401, "auth.invalid_credentials")["detail"])
    )


async def test_duplicate_email_is_a_conflict(client: httpx.AsyncClient) -> None:
    user = await register(client)
    again = await client.post(
        "/api/v1/auth/register",
        json={"email": user["email"].upper(), "password": PASSWORD, "display_name": "X"},
    )
    assert_problem(again, 409, "auth.email_taken")


async def test_totp_enrolment_and_login_with_a_real_code(client: httpx.AsyncClient) -> None:
    session = await register_and_login(client)
    enrol = await client.post("/api/v1/me/mfa/totp", headers=session.headers)
    assert enrol.status_code == 201
    totp = pyotp.TOTP(enrol.json()["secret"])
    assert enrol.json()["provisioning_uri"].startswith("otpauth://totp/Liquibond:")

    wrong = await client.post(
        "/api/v1/me/mfa/totp/confirm", json={"code": _wrong(totp.now())}, headers=session.headers
    )
    assert_problem(wrong, 422, "mfa.invalid_code")
    confirmed = await client.post(
        "/api/v1/me/mfa/totp/confirm", json={"code": totp.now()}, headers=session.headers
    )
    assert confirmed.status_code == 200
    recovery_codes = confirmed.json()["recovery_codes"]
    assert len(recovery_codes) == 10

    assert_problem(await login(client, session.email), 401, "auth.mfa_required")
    assert_problem(
        await login(client, session.email, totp_code=_wrong(totp.now())), 401, "auth.mfa_invalid"
    )
    # The confirming code's step was consumed: use the next step's code.
    next_code = totp.at(time.time() + totp.interval)
    assert (await login(client, session.email, totp_code=next_code)).status_code == 200
    # The same code cannot be replayed.
    assert_problem(await login(client, session.email, totp_code=next_code), 401, "auth.mfa_invalid")

    # A recovery code works exactly once.
    assert (await login(client, session.email, recovery_code=recovery_codes[0])).status_code == 200
    assert_problem(
        await login(client, session.email, recovery_code=recovery_codes[0]), 401, "auth.mfa_invalid"
    )
    me = await client.get("/api/v1/me", headers=session.headers)
    assert me.json()["mfa_enabled"] is True

    disabled = await client.post(
        "/api/v1/me/mfa/totp/disable",
        json={"recovery_code": recovery_codes[1]},
        headers=session.headers,
    )
    assert disabled.status_code == 204
    assert (await login(client, session.email)).status_code == 200


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _claims(app: FastAPI, **overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    settings = app.state.settings
    claims: dict[str, object] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "jti": "x",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


async def _me_with(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


async def test_forged_tokens_are_refused(client: httpx.AsyncClient, app: FastAPI) -> None:
    session = await register_and_login(client)
    key = app.state.settings.jwt_key
    real = jwt.decode(session.access_token, options={"verify_signature": False})
    mine = {"sub": real["sub"], "sid": real["sid"]}

    # Control: a token we mint correctly with the real key is accepted.
    assert (
        await _me_with(client, jwt.encode(_claims(app, **mine), key, "HS256"))
    ).status_code == 200

    header, payload, _signature = session.access_token.split(".")
    unsigned = jwt.encode(_claims(app, **mine), key=None, algorithm="none")
    forged = {
        "alg=none": unsigned,
        "alg=none, original payload": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "wrong key": jwt.encode(_claims(app, **mine), "not-the-key" * 4, "HS256"),
        "HS512 with the real key": jwt.encode(_claims(app, **mine), key, "HS512"),
        "expired": jwt.encode(
            _claims(app, **mine, exp=datetime.now(UTC) - timedelta(minutes=1)), key, "HS256"
        ),
        "missing exp": jwt.encode(_claims(app, **mine, exp=None), key, "HS256"),
        "missing aud": jwt.encode(_claims(app, **mine, aud=None), key, "HS256"),
        "wrong aud": jwt.encode(_claims(app, **mine, aud="someone-else"), key, "HS256"),
        "wrong iss": jwt.encode(_claims(app, **mine, iss="evil"), key, "HS256"),
        "tampered sub": f"{header}.{_b64({**real, 'sub': str(uuid.uuid4())})}.{_signature}",
        "garbage": "not.a.jwt",
    }
    for name, token in forged.items():
        response = await _me_with(client, token)
        assert response.status_code == 401, name
        assert response.json()["code"] in {"auth.token_invalid", "auth.token_expired"}, name
    assert (await _me_with(client, forged["expired"])).json()["code"] == "auth.token_expired"


def _b64(data: dict[str, object]) -> str:
    import base64
    import json

    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer    "])
async def test_malformed_authorization_header(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": header})
    assert_problem(response, 401, "auth.token_invalid")


async def test_anonymous_me_is_401_with_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me")
    assert_problem(response, 401, "auth.unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"
