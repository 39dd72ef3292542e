"""The web app is served at `/`: hashed assets cached for good, client routes get index.html,
and the API's own 404s stay problems."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi import FastAPI

from liquibond.platform.http import install_problem_handlers
from liquibond.web import add_web_app
from tests.helpers import assert_problem


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web.test")


def _built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('app')")
    (tmp_path / "robots.txt").write_text("User-agent: *")
    return tmp_path


def _app(static: Path) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/api/v1/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    add_web_app(app, static)
    return app


async def test_a_built_app_is_served_with_its_client_routes(tmp_path: Path) -> None:
    async with _client(_app(_built(tmp_path))) as client:
        for path in ("/", "/markets", "/markets/0b7c/x", "/portfolio?tab=cash"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert page.text.startswith("<!doctype html>")
            assert page.headers["cache-control"] == "no-cache"
        asset = await client.get("/assets/index-abc123.js")
        assert asset.status_code == 200
        assert "immutable" in asset.headers["cache-control"]
        assert (await client.get("/robots.txt")).text == "User-agent: *"
        assert (await client.get("/assets/missing.js")).status_code == 404
        assert (await client.get("/api/v1/ping")).json() == {"pong": "yes"}
        assert_problem(await client.get("/api/v1/nothing-here"), 404, "http.not_found")


async def test_without_a_build_the_root_says_how_to_build_it(tmp_path: Path) -> None:
    async with _client(_app(tmp_path)) as client:
        root = await client.get("/")
        assert root.status_code == 200
        assert "make web" in root.text
        assert (await client.get("/markets")).status_code == 404


async def test_the_web_apps_api_document_is_the_servers(app: FastAPI) -> None:
    """The web app's client is generated from frontend/openapi.json: it must be current
    (`make web-api` regenerates it)."""
    committed = json.loads((Path(__file__).parents[1] / "frontend" / "openapi.json").read_text())
    assert committed == app.openapi(), "frontend/openapi.json is stale: run `make web-api`"
