"""The `liquibond` command: serve, demo, database migrations, administration, audit, and a
market maker that trades over the HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console

from liquibond.config import ConfigurationError, Settings
from liquibond.demo import DEALER_EMAIL, DEMO_PASSWORD, DEMO_USERS, run_market_maker, seed_demo
from liquibond.identity.models import Role
from liquibond.identity.schemas import RegisterRequest
from liquibond.identity.service import Credentials, IdentityService
from liquibond.ledger.service import LedgerService
from liquibond.platform import migrations
from liquibond.platform.audit import verify_audit_chain
from liquibond.platform.db import Database
from liquibond.platform.errors import Problem
from liquibond.platform.uow import UnitOfWork

app = typer.Typer(help="Liquibond: a marketplace that makes bonds liquid.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
admin_app = typer.Typer(help="Administration.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")
app.add_typer(ledger_app, name="ledger")

console = Console(stderr=True)
T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings()
    except (ConfigurationError, ValidationError) as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        database = Database(settings.resolved_database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _prepare_data_dir(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    migrate: Annotated[
        bool | None,
        typer.Option(help="Upgrade the schema first (default: yes, except in production)"),
    ] = None,
) -> None:
    """Run the API server."""
    settings = _settings()
    _prepare_data_dir(settings)
    if migrate if migrate is not None else not settings.is_production:
        migrations.upgrade(settings.resolved_database_url)
    _serve(settings, host or settings.host, port or settings.port)


#: A client run beside the server: given the server's URL, it runs until the event is set.
Companion = Callable[[str, asyncio.Event], Coroutine[Any, Any, None]]
#: How long shutdown waits for a companion to stop before the server stops.
COMPANION_STOP_SECONDS = 5.0


class _ServerWithCompanion(uvicorn.Server):
    """A server that starts a client program once it listens, and stops it first on shutdown
    (while the server still answers it)."""

    def __init__(self, config: uvicorn.Config, companion: Companion, url: str) -> None:
        super().__init__(config)
        self._companion = companion
        self._url = url
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start serving, then the companion."""
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self._task = asyncio.create_task(
                self._companion(self._url, self._stop), name="companion"
            )

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop the companion (for at most COMPANION_STOP_SECONDS), then the server."""
        if self._task is not None:
            self._stop.set()
            await asyncio.wait({self._task}, timeout=COMPANION_STOP_SECONDS)
            self._task.cancel()  # nothing to cancel once it has stopped
            await asyncio.gather(self._task, return_exceptions=True)
        await super().shutdown(sockets=sockets)


def _local_url(host: str, port: int) -> str:
    """How a program on this machine reaches a server bound to `host`."""
    connect = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    return f"http://[{connect}]:{port}" if ":" in connect else f"http://{connect}:{port}"


def _serve(settings: Settings, host: str, port: int, companion: Companion | None = None) -> None:
    from liquibond.app import create_app  # the web stack loads only for commands that serve

    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        proxy_headers=True,
        server_header=False,
        # Compressing each frame for each of a thousand subscribers costs more than it saves.
        ws_per_message_deflate=False,
        ws_max_size=64 * 1024,  # above the hub's own limit, which answers with a coded error
    )
    server = (
        uvicorn.Server(config)
        if companion is None
        else _ServerWithCompanion(config, companion, _local_url(host, port))
    )
    with contextlib.suppress(KeyboardInterrupt):  # as `uvicorn.run` does
        server.run()
    if not server.started:
        raise typer.Exit(3)  # uvicorn's startup failure


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    market_maker: Annotated[
        bool | None,
        typer.Option(
            help="Run the market-maker program beside the server, answering the RFQs asked "
            "of maker@demo.liquibond.dev and bidding in auctions (default: "
            "LIQUIBOND_DEMO_MARKET_MAKER, true)",
        ),
    ] = None,
) -> None:
    """Run Liquibond with demo users (embedded database unless configured otherwise)."""
    settings = _settings()
    if market_maker is None:
        market_maker = settings.demo_market_maker
    if settings.is_production:
        console.print("[red]The demo never runs with LIQUIBOND_ENV=production.[/red]")
        raise typer.Exit(2)
    settings = settings.model_copy(update={"demo_mode": True, "log_json": False})
    _prepare_data_dir(settings)
    migrations.upgrade(settings.resolved_database_url)
    _with_database(settings, lambda database: seed_demo(settings, database))
    logins = "\n".join(f"  {email} / {DEMO_PASSWORD}" for email, _, _ in DEMO_USERS)
    console.print(
        f"[green]Liquibond demo[/green] at http://{host}:{port}  (API docs: http://{host}:{port}/docs)\n"
        f"{logins}\n  {DEALER_EMAIL} / {DEMO_PASSWORD}  (a dealer: answer RFQs by hand)\n"
        "New users get demo funds; KYC is verified by the sandbox provider."
        + ("\nThe demo's market maker answers RFQs asked of it." if market_maker else "")
    )
    _serve(settings, host, port, run_market_maker if market_maker else None)


@app.command()
def openapi() -> None:
    """Print the API's OpenAPI document (frontend/openapi.json, which the web app's client is
    generated from, must equal it)."""
    from liquibond.app import create_app  # the web stack loads only for commands that need it

    document = create_app(_settings()).openapi()
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Migrate the schema up (every domain's newest revision by default)."""
    settings = _settings()
    _prepare_data_dir(settings)
    migrations.upgrade(settings.resolved_database_url, revision)
    _print_revisions(settings)


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="target, e.g. -1 or base")]) -> None:
    """Migrate the schema down to `revision`."""
    settings = _settings()
    migrations.downgrade(settings.resolved_database_url, revision)
    _print_revisions(settings)


@db_app.command("current")
def db_current() -> None:
    """Print the schema revisions and whether they are the newest."""
    _print_revisions(_settings())


def _print_revisions(settings: Settings) -> None:
    current = migrations.current_revisions_sync(settings.resolved_database_url)
    pending = migrations.pending_revisions(current)
    state = "up to date" if not pending else f"pending: {', '.join(sorted(pending))}"
    typer.echo(f"database at {', '.join(sorted(current)) or 'nothing'} ({state})")


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Login e-mail")],
    role: Annotated[list[Role], typer.Option(help="Role(s) to grant; repeatable")],
    display_name: Annotated[str, typer.Option(help="Name shown in the app")] = "Administrator",
    password: Annotated[
        str | None,
        typer.Option(envvar="LIQUIBOND_NEW_USER_PASSWORD", help="Prompted for when omitted"),
    ] = None,
) -> None:
    """Create a user with the given roles (e.g. the first admin)."""
    settings = _settings()
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        request = RegisterRequest(email=email, password=password, display_name=display_name)
    except ValidationError as exc:
        console.print(
            f"[red]Invalid user:[/red] {exc.errors()[0]['loc'][-1]}: {exc.errors()[0]['msg']}"
        )
        raise typer.Exit(2) from exc

    async def create(database: Database) -> str:
        async with UnitOfWork(database) as uow:
            user = await IdentityService(uow.session, Credentials.from_settings(settings)).register(
                request, roles=role
            )
            await uow.commit()
            return str(user.id)

    try:
        user_id = _with_database(settings, create)
    except Problem as problem:
        console.print(f"[red]{problem.code}:[/red] {problem.detail}")
        raise typer.Exit(1) from problem
    typer.echo(user_id)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain; exits 1 and names every break if the log was altered."""
    settings = _settings()

    async def verify(database: Database) -> list[str]:
        async with UnitOfWork(database, write=False) as uow:
            return [f"seq {b.seq}: {b.reason}" for b in await verify_audit_chain(uow.session)]

    breaks = _with_database(settings, verify)
    if breaks:
        for line in breaks:
            typer.echo(f"BROKEN {line}")
        raise typer.Exit(1)
    typer.echo("audit log intact")


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Check every entry balances, every asset sums to zero, every balance equals its postings."""
    settings = _settings()

    async def verify(database: Database) -> list[str]:
        async with UnitOfWork(database, write=False) as uow:
            breaks = await LedgerService(uow.session).verify()
            return [f"{b.invariant}: {b.culprit}: {b.detail}" for b in breaks]

    breaks = _with_database(settings, verify)
    if breaks:
        for line in breaks:
            typer.echo(f"BROKEN {line}")
        raise typer.Exit(1)
    typer.echo("ledger balances")


@app.command("market-maker")
def market_maker(
    url: Annotated[
        str, typer.Option(envvar="LIQUIBOND_MM_URL", help="The Liquibond server")
    ] = "http://127.0.0.1:8000",
    email: Annotated[
        str | None, typer.Option(envvar="LIQUIBOND_MM_EMAIL", help="Login e-mail")
    ] = None,
    password: Annotated[
        str | None, typer.Option(envvar="LIQUIBOND_MM_PASSWORD", help="Login password")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="LIQUIBOND_MM_API_KEY", help="An API key with the write scope"),
    ] = None,
    isin: Annotated[
        list[str] | None,
        typer.Option(help="Quote this bond; repeatable (default: every listed bond)"),
    ] = None,
    curve: Annotated[
        str | None,
        typer.Option(
            envvar="LIQUIBOND_MM_CURVE",
            help="Fair value over this curve (default: each bond's reference curve)",
        ),
    ] = None,
    spread_bps: Annotated[
        str, typer.Option(envvar="LIQUIBOND_MM_SPREAD_BPS", help="Bid-ask spread, bp of price")
    ] = "20",
    spread_ticks: Annotated[
        int | None,
        typer.Option(envvar="LIQUIBOND_MM_SPREAD_TICKS", help="Spread in ticks instead of bp"),
    ] = None,
    size: Annotated[
        int, typer.Option(envvar="LIQUIBOND_MM_SIZE", help="Units quoted on each side")
    ] = 1000,
    max_inventory: Annotated[
        int,
        typer.Option(
            envvar="LIQUIBOND_MM_MAX_INVENTORY", help="Units long or short of the target at most"
        ),
    ] = 10_000,
    target_inventory: Annotated[
        int | None,
        typer.Option(
            envvar="LIQUIBOND_MM_TARGET_INVENTORY",
            help="Units held when flat (default: what is held at start)",
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option(envvar="LIQUIBOND_MM_INTERVAL", help="Seconds between cycles")
    ] = 5.0,
    yields: Annotated[
        list[str] | None,
        typer.Option(
            "--yield",
            help="ISIN=PERCENT: value a bond with no curve at this yield; repeatable "
            "(without: the middle of the book less my quotes, else the last trade)",
        ),
    ] = None,
    books: Annotated[
        bool, typer.Option(envvar="LIQUIBOND_MM_BOOKS", help="Quote the order books")
    ] = True,
    rfq: Annotated[
        bool,
        typer.Option(envvar="LIQUIBOND_MM_RFQ", help="Answer the RFQs asked of me (a dealer)"),
    ] = True,
    rfq_valid_seconds: Annotated[
        int,
        typer.Option(envvar="LIQUIBOND_MM_RFQ_VALID_SECONDS", help="How long an RFQ quote stands"),
    ] = 30,
    rfq_last_look_ms: Annotated[
        int | None,
        typer.Option(
            envvar="LIQUIBOND_MM_RFQ_LAST_LOOK_MS",
            help="Keep a last look of this many ms on RFQ quotes (default: none)",
        ),
    ] = None,
    rfq_last_look_tolerance_bps: Annotated[
        str,
        typer.Option(
            envvar="LIQUIBOND_MM_RFQ_LAST_LOOK_TOLERANCE_BPS",
            help="On a last look, fill if the price is no further than this through fair value",
        ),
    ] = "0",
    rfq_max_quantity: Annotated[
        int | None,
        typer.Option(envvar="LIQUIBOND_MM_RFQ_MAX_QUANTITY", help="Largest RFQ answered, units"),
    ] = None,
    rfq_max_notional: Annotated[
        int | None,
        typer.Option(
            envvar="LIQUIBOND_MM_RFQ_MAX_NOTIONAL",
            help="Largest RFQ answered: face value times price, minor units of the currency",
        ),
    ] = None,
    auctions: Annotated[
        bool,
        typer.Option(
            envvar="LIQUIBOND_MM_AUCTIONS",
            help="Bid once in each auction taking bids (in price): fair value less the spread",
        ),
    ] = True,
    auction_size: Annotated[
        int | None,
        typer.Option(
            envvar="LIQUIBOND_MM_AUCTION_SIZE",
            help="Units bid for in an auction at most (default: --size)",
        ),
    ] = None,
    once: Annotated[bool, typer.Option(help="One cycle, then exit (quotes stay)")] = False,
) -> None:
    """Keep two-sided quotes in listed bonds, answer RFQs and bid in auctions through the
    HTTP API and the WebSocket, as any client would; on exit its orders are cancelled and its
    RFQ quotes withdrawn."""
    import httpx  # only this command is an HTTP client

    from liquibond.marketmaker.client import (
        ApiError,
        Config,
        Credentials,
        MarketMaker,
        RfqFeed,
        websocket_url,
    )

    try:
        credentials = Credentials(api_key=api_key, email=email, password=password)
        config = Config(
            size=size,
            max_inventory=max_inventory,
            spread_bps=Decimal(spread_bps),
            spread_ticks=spread_ticks,
            isins=tuple(isin or ()),
            curve=curve,
            yields=_yields(yields or []),
            target_inventory=target_inventory,
            interval=interval,
            books=books,
            rfq=rfq,
            rfq_valid_seconds=rfq_valid_seconds,
            rfq_last_look_ms=rfq_last_look_ms,
            rfq_last_look_tolerance_bps=Decimal(rfq_last_look_tolerance_bps),
            rfq_max_quantity=rfq_max_quantity,
            rfq_max_notional=rfq_max_notional,
            auctions=auctions,
            auction_size=auction_size,
        )
        config.policy()
        config.rfq_limits()
    except (ValueError, InvalidOperation) as exc:
        console.print(f"[red]Invalid options:[/red] {exc}")
        raise typer.Exit(2) from exc
    # A client of the server: it reads none of the server's settings (they would create its
    # data directory), only the log level.
    from liquibond.platform.observability import configure_logging

    configure_logging(os.environ.get("LIQUIBOND_LOG_LEVEL", "INFO"), json=False)

    async def run() -> None:
        import signal

        stop = asyncio.Event()
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        feed = RfqFeed(websocket_url(url)) if rfq and not once else None
        async with httpx.AsyncClient(base_url=url, timeout=10.0) as http:
            await MarketMaker(http, credentials, config, rfq_feed=feed).run(once=once, stop=stop)

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run())
    except ApiError as error:  # the login failed: wrong credentials, or no server
        console.print(f"[red]{error.code}:[/red] {error.detail}")
        raise typer.Exit(1) from error


def _yields(options: list[str]) -> dict[str, Decimal]:
    """`ISIN=PERCENT` options as yields by ISIN (ValueError for a malformed one)."""
    found: dict[str, Decimal] = {}
    for option in options:
        isin, sep, percent = option.partition("=")
        if not sep or not isin.strip():
            raise ValueError(f"--yield takes ISIN=PERCENT, not {option!r}")
        found[isin.strip().upper()] = Decimal(percent.strip())
    return found


def main() -> None:
    """Entry point for `python -m liquibond`."""
    app()
