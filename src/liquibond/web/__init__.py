"""The web app: the single-page app built from `frontend/` into `static/`, served at `/`.

Hashed assets are cached for a year; every other path that is not the API gets `index.html`
(the app routes in the browser). Without a build, `/` says how to make one and the API runs
as before.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
_RESERVED = ("api/", "docs", "metrics", "healthz", "readyz")

_NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Liquibond</title></head><body>
<h1>Liquibond is running</h1>
<p>The web app has not been built. With Node.js 20.19 or newer, run <code>make web</code>
(or <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload.</p>
<p>The API is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> and its docs at
<a href="/docs">/docs</a>.</p></body></html>"""


class _ImmutableAssets(StaticFiles):
    """Vite's content-hashed files: safe to cache for good."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def is_built(static: Path = STATIC) -> bool:
    """Has the app been built into the package?"""
    return (static / "index.html").is_file()


def add_web_app(app: FastAPI, static: Path = STATIC) -> None:
    """Serve the built app at `/` (register last: its fallback answers every other GET)."""
    if not is_built(static):

        @app.get("/", include_in_schema=False)
        async def not_built() -> HTMLResponse:
            return HTMLResponse(_NOT_BUILT)

        return

    app.mount("/assets", _ImmutableAssets(directory=static / "assets"), name="web-assets")
    index = static / "index.html"
    root_files = {path.name: path for path in static.iterdir() if path.is_file()}

    @app.get("/{path:path}", include_in_schema=False)
    async def web_app(path: str) -> FileResponse:
        if path.startswith(_RESERVED):
            raise HTTPException(status_code=404)
        found = root_files.get(path)
        if found is not None and found != index:
            return FileResponse(found)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
