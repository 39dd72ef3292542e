"""The application factory: one FastAPI app wired from settings."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import pkgutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import fastapi_offline
import structlog
from fastapi import APIRouter, FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis
from sqlalchemy import text

import liquibond
from liquibond import __version__
from liquibond.config import Settings
from liquibond.identity.credentials import Passwords
from liquibond.identity.deps import resolve_subject
from liquibond.identity.service import Credentials
from liquibond.platform.db import Database
from liquibond.platform.http import (
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    install_problem_handlers,
)
from liquibond.platform.migrations import current_revisions, pending_revisions
from liquibond.platform.observability import Metrics, RequestContextMiddleware, configure_logging
from liquibond.platform.outbox import InProcessBus, OutboxRelay
from liquibond.platform.ratelimit import InProcessRateLimiter, RateLimiter, RedisRateLimiter
from liquibond.platform.routing import purge_expired_idempotency_keys
from liquibond.web import add_web_app

log = structlog.get_logger(__name__)
_DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
_HOUSEKEEPING_SECONDS = 600


def create_app(settings: Settings | None = None, *, passwords: Passwords | None = None) -> FastAPI:
    """Build Liquibond's API from `settings` (read from the environment when omitted)."""
    settings = settings or Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.resolved_database_url, pool_size=settings.db_pool_size)
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        bus = InProcessBus()
        relay = OutboxRelay(database, bus)
        app.state.database = database
        app.state.bus = bus
        app.state.relay = relay
        app.state.rate_limiter = _rate_limiter(redis)
        tasks = [
            asyncio.create_task(relay.run(settings.outbox_poll_seconds), name="outbox-relay"),
            asyncio.create_task(_housekeeping(database), name="housekeeping"),
        ]
        log.info("liquibond.started", env=settings.env.value, database=database.engine.dialect.name)
        # What startup built lives as long as the process: keep the cyclic GC from walking it
        # again and again (full collections of it paused the event loop for 100-300 ms).
        gc.freeze()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if redis is not None:
                await redis.aclose()
            await database.dispose()

    app = FastAPI(
        title="Liquibond",
        version=__version__,
        summary="A marketplace that makes bonds and other hard-to-trade assets liquid.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.resolve_subject = resolve_subject
    app.state.credentials = Credentials.from_settings(settings, passwords=passwords)

    install_problem_handlers(app)
    for router in domain_routers():
        app.include_router(router)
    _add_operational_routes(app, metrics)
    _add_docs(app)
    add_web_app(app)

    # Outermost last: request id and metrics wrap everything, including refusals below.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Idempotency-Key",
            "X-API-Key",
            "X-Request-ID",
        ],
        expose_headers=["X-Request-ID", "Retry-After", "Idempotent-Replayed"],
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app


def domain_routers() -> list[APIRouter]:
    """The routers of every domain: each `liquibond.<domain>.api` module lists its `routers`."""
    found: list[APIRouter] = []
    for module in pkgutil.walk_packages(liquibond.__path__, prefix="liquibond."):
        if module.name.endswith(".api"):
            found.extend(importlib.import_module(module.name).routers)
    return found


def _rate_limiter(redis: Redis | None) -> RateLimiter:
    return RedisRateLimiter(redis) if redis is not None else InProcessRateLimiter()


async def _housekeeping(database: Database) -> None:
    while True:
        try:
            purged = await purge_expired_idempotency_keys(database)
            if purged:
                log.info("idempotency.purged", count=purged)
        except Exception:
            log.exception("housekeeping.failed")
        await asyncio.sleep(_HOUSEKEEPING_SECONDS)


def _add_operational_routes(app: FastAPI, metrics: Metrics) -> None:
    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: {"description": "Not ready"}})
    async def readyz() -> JSONResponse:
        """Readiness: the database answers, its schema is at this code's migration head, and
        no book a crashed predecessor held is still waiting to be taken over."""
        database: Database = app.state.database
        checks: dict[str, Any] = {}
        try:
            async with database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
            pending = pending_revisions(await current_revisions(database.engine))
            checks["migrations"] = "ok" if not pending else f"pending {sorted(pending)}"
        except Exception as exc:  # readiness reports, it does not raise
            checks.setdefault("database", f"unreachable: {type(exc).__name__}")
        waiting = app.state.trading.taking_over()
        checks["books"] = "ok" if not waiting else f"taking over {waiting}"
        ready = all(value == "ok" for value in checks.values()) and len(checks) == 3
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def prometheus_metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


_DOCS_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Liquibond API</title>
<link rel="icon" href="/docs/assets/favicon.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>"""

_DOCS_INIT = """window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui",
  deepLinking: true, presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});"""


def _add_docs(app: FastAPI) -> None:
    """Interactive API docs served from packaged assets (works offline, strict CSP holds)."""
    app.mount("/docs/assets", StaticFiles(directory=_DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE)

    @app.get("/docs/init.js", include_in_schema=False)
    async def docs_init() -> Response:
        return Response(_DOCS_INIT, media_type="application/javascript")
