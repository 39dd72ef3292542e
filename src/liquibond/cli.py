"""The `liquibond` command: serve, demo, database migrations, administration, audit, and a
market maker that trades over the HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, TypeVar

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console

from liquibond.config import ConfigurationError, Settings
from liquibond.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
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


def _serve(settings: Settings, host: str, port: int) -> None:
    from liquibond.app import create_app  # the web stack loads only for commands that serve

    uvicorn.run(
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


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
) -> None:
    """Run Liquibond with demo users (embedded database unless configured otherwise)."""
    settings = _settings()
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
        f"{logins}\nNew users get demo funds; KYC is verified by the sandbox provider."
    )
    _serve(settings, host, port)


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
    once: Annotated[bool, typer.Option(help="One cycle, then exit (quotes stay)")] = False,
) -> None:
    """Keep two-sided quotes in listed bonds through the HTTP API, as any client would; on
    exit its orders are cancelled."""
    import httpx  # only this command is an HTTP client

    from liquibond.marketmaker.client import ApiError, Config, Credentials, MarketMaker

    try:
        credentials = Credentials(api_key=api_key, email=email, password=password)
        config = Config(
            size=size,
            max_inventory=max_inventory,
            spread_bps=Decimal(spread_bps),
            spread_ticks=spread_ticks,
            isins=tuple(isin or ()),
            curve=curve,
            target_inventory=target_inventory,
            interval=interval,
        )
        config.policy()
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
        async with httpx.AsyncClient(base_url=url, timeout=10.0) as http:
            await MarketMaker(http, credentials, config).run(once=once, stop=stop)

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run())
    except ApiError as error:  # the login failed: wrong credentials, or no server
        console.print(f"[red]{error.code}:[/red] {error.detail}")
        raise typer.Exit(1) from error


def main() -> None:
    """Entry point for `python -m liquibond`."""
    app()
