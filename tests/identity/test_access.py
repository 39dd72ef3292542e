"""Roles, ownership (404 for someone else's things), API keys and admin user management."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.helpers import assert_problem, make_admin, register_and_login


async def test_investor_on_admin_route_is_403(client: httpx.AsyncClient) -> None:
    investor = await register_and_login(client)
    for path in ("/api/v1/admin/users", "/api/v1/admin/audit"):
        assert_problem(await client.get(path, headers=investor.headers), 403, "auth.forbidden_role")
    response = await client.post(
        f"/api/v1/admin/users/{investor.user_id}/roles",
        json={"roles": ["admin"]},
        headers=investor.headers,
    )
    assert_problem(response, 403, "auth.forbidden_role")


async def test_admin_assigns_roles_and_pages_through_users(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await make_admin(app, client)
    investors = [await register_and_login(client, "inv") for _ in range(3)]
    target = investors[0]

    granted = await client.post(
        f"/api/v1/admin/users/{target.user_id}/roles",
        json={"roles": ["issuer", "investor"]},
        headers=admin.headers,
    )
    assert granted.status_code == 200
    assert granted.json()["roles"] == ["investor", "issuer"]
    me = await client.get("/api/v1/me", headers=target.headers)
    assert me.json()["roles"] == ["investor", "issuer"]

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (
            await client.get("/api/v1/admin/users", params=params, headers=admin.headers)
        ).json()
        seen += [user["id"] for user in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert set(seen) == {admin.user_id, *(i.user_id for i in investors)}
    assert len(seen) == len(set(seen))

    issuers = await client.get(
        "/api/v1/admin/users", params={"role": "issuer"}, headers=admin.headers
    )
    assert [u["id"] for u in issuers.json()["items"]] == [target.user_id]

    # Who is behind some ids (what the audit and review screens show), one call.
    wanted = [investors[1].user_id, investors[2].user_id]
    by_id = await client.get("/api/v1/admin/users", params={"id": wanted}, headers=admin.headers)
    assert sorted(u["email"] for u in by_id.json()["items"]) == sorted(
        i.email for i in investors[1:]
    )

    assert_problem(
        await client.post(
            f"/api/v1/admin/users/{admin.user_id}/roles", json={"roles": []}, headers=admin.headers
        ),
        409,
        "admin.cannot_demote_self",
    )
    assert_problem(
        await client.post(
            f"/api/v1/admin/users/{admin.user_id}/roles",
            json={"roles": ["superuser"]},
            headers=admin.headers,
        ),
        422,
        "request.validation_failed",
    )

    audit = await client.get(
        "/api/v1/admin/audit", params={"action": "user.roles_changed"}, headers=admin.headers
    )
    entry = audit.json()["items"][0]
    assert entry["actor_id"] == admin.user_id
    assert entry["payload"] == {"before": ["investor"], "after": ["investor", "issuer"]}


async def test_api_keys_lifecycle_scopes_and_ownership(client: httpx.AsyncClient) -> None:
    owner = await register_and_login(client)
    other = await register_and_login(client)

    created = await client.post(
        "/api/v1/me/api-keys", json={"name": "bot", "scopes": ["read"]}, headers=owner.headers
    )
    assert created.status_code == 201
    key = created.json()
    assert key["key"].startswith("lb_")

    listed = (await client.get("/api/v1/me/api-keys", headers=owner.headers)).json()
    assert [k["id"] for k in listed] == [key["id"]]
    assert "key" not in listed[0] and key["key"] not in str(listed)

    for headers in ({"X-API-Key": key["key"]}, {"Authorization": f"Bearer {key['key']}"}):
        me = await client.get("/api/v1/me", headers=headers)
        assert me.status_code == 200 and me.json()["id"] == owner.user_id
    used = (await client.get("/api/v1/me/api-keys", headers=owner.headers)).json()
    assert used[0]["last_used_at"] is not None

    # A read-only key cannot write, and keys never manage credentials.
    assert_problem(
        await client.post("/api/v1/auth/logout", headers={"X-API-Key": key["key"]}),
        403,
        "auth.insufficient_scope",
    )
    writer = (
        await client.post(
            "/api/v1/me/api-keys",
            json={"name": "w", "scopes": ["write", "read"]},
            headers=owner.headers,
        )
    ).json()
    assert_problem(
        await client.post(
            "/api/v1/me/api-keys",
            json={"name": "x", "scopes": ["read"]},
            headers={"X-API-Key": writer["key"]},
        ),
        403,
        "auth.session_required",
    )

    # Someone else's key is indistinguishable from a missing one.
    assert_problem(
        await client.delete(f"/api/v1/me/api-keys/{key['id']}", headers=other.headers),
        404,
        "api_key.not_found",
    )
    assert (await client.get("/api/v1/me", headers={"X-API-Key": key["key"]})).status_code == 200

    assert (
        await client.delete(f"/api/v1/me/api-keys/{key['id']}", headers=owner.headers)
    ).status_code == 204
    assert_problem(
        await client.get("/api/v1/me", headers={"X-API-Key": key["key"]}),
        401,
        "auth.api_key_invalid",
    )
    tampered = key["key"][:-2] + ("aa" if not key["key"].endswith("aa") else "bb")
    assert_problem(
        await client.get("/api/v1/me", headers={"X-API-Key": tampered}), 401, "auth.api_key_invalid"
    )
