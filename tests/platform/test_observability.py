"""Health, readiness, metrics, request ids, JSON logs without secrets, headers, CORS."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path

import httpx
import structlog
from fastapi import FastAPI

from liquibond.app import create_app
from liquibond.platform import migrations
from tests.conftest import FAST_PASSWORDS, make_settings, started
from tests.helpers import PASSWORD, register_and_login


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "books": "ok"}


async def test_not_ready_when_schema_is_behind(
    client: httpx.AsyncClient, database_url: str
) -> None:
    await asyncio.to_thread(migrations.downgrade, database_url, "base")
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["migrations"].startswith("pending ['0001', '0002'")


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/healthz", headers={"X-Request-ID": "trace-abc.123"})
    assert echoed.headers["x-request-id"] == "trace-abc.123"
    generated = await client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert len(generated.headers["x-request-id"]) == 32


async def test_metrics_count_requests_by_route_and_status(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/me")
    text = (await client.get("/metrics")).text
    assert 'liquibond_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1.0' in text
    assert "liquibond_http_request_duration_seconds_bucket" in text


async def test_logs_are_json_with_request_id_and_never_secrets(client: httpx.AsyncClient) -> None:
    root = logging.getLogger()
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(root.handlers[0].formatter)  # the app's JSON formatter
    root.addHandler(handler)
    try:
        session = await register_and_login(client)
        await client.post("/api/v1/auth/refresh", json={"refresh_token": session.refresh_token})
        await client.get("/api/v1/me", headers={**session.headers, "X-Request-ID": "req-42"})
        structlog.get_logger("liquibond.test").info("probe", password=PASSWORD, token="t0ps3cret")
    finally:
        root.removeHandler(handler)
    output = sink.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert any(
        line.get("request_id") == "req-42" and line["event"] == "http.request" for line in lines
    )
    assert any(line.get("password") == "[redacted]" for line in lines)
    for secret in (PASSWORD, session.access_token, session.refresh_token, "t0ps3cret"):
        assert secret not in output


async def test_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


async def test_docs_are_served_without_a_cdn(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200 and "http" not in page.text.split("<body>")[1]
    assert (await client.get("/docs/assets/swagger-ui-bundle.js")).status_code == 200
    spec = (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/auth/login" in spec["paths"]


async def test_cors_allows_only_configured_origins(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, cors_origins="https://app.liquibond.example")
    application: FastAPI = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            preflight = {"Access-Control-Request-Method": "POST"}
            good = await http.options(
                "/api/v1/auth/login",
                headers={"Origin": "https://app.liquibond.example", **preflight},
            )
            evil = await http.options(
                "/api/v1/auth/login", headers={"Origin": "https://evil.example", **preflight}
            )
    assert good.headers["access-control-allow-origin"] == "https://app.liquibond.example"
    assert "access-control-allow-origin" not in evil.headers
