"""WebSocket fan-out benchmark: subscribers of one book, delivery latency of its deltas.

    uv run python bench/ws.py [--subscribers 1000] [--rate 500] [--seconds 10]
                              [--group-ms 10] [--gc-freeze]

A real server process — uvicorn, one worker, the real app on a fresh SQLite data directory —
lists a bond; this process opens `--subscribers` WebSocket connections and subscribes each to
the bond's book. Then the server makes `--rate` book changes per second for `--seconds`: each
is its own `book.changed.v1` event (one level changes, round robin over 20 price levels), and
those due are committed together every `--group-ms`, waking the outbox relay after the commit
as the book writer does for a batch; the relay delivers them to the hub, which conflates them
and fans them out. The changes are synthetic so that the server's CPU goes to delivering them,
not to order entry and matching (bench/engine.py measures those).

Latency of one update at one subscriber, to the arrival of the delta covering it (a delta may
cover several updates), on the machine's monotonic clock (one clock for both processes):
from the hub's receipt of the event (what the hub adds: conflation, fan-out, the socket) and
from its commit (adding the outbox relay). Drops: updates a subscriber never got (a gap in its
sequence, or a connection cut as a slow consumer). Clients parse frames with the sans-I/O
`websockets` protocol on plain asyncio sockets, so that they use little of the second core.
`--gc-freeze` moves the server's startup heap out of the garbage collector's way (gc.freeze),
to show what full collections of that heap cost the tail.

Prints figures; it asserts nothing about speed (DESIGN.md section 9).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import gc
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import httpx
import msgspec
import numpy as np
import uvicorn
import uvloop
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from liquibond.app import create_app
from liquibond.config import Settings
from liquibond.identity.models import Role
from liquibond.identity.schemas import RegisterRequest
from liquibond.identity.service import IdentityService
from liquibond.platform import migrations
from liquibond.platform.outbox import Event, OutboxRelay, record_event
from liquibond.platform.uow import UnitOfWork

GOAL_P99_MS = 50.0
PASSWORD = "bench-password-123"
BOND = {
    "isin": "IN0020220102",
    "name": "7.26% GS 2032",
    "face_value": 100_00,
    "coupon_rate": "7.26",
    "coupon_frequency": 2,
    "day_count": "30/360",
    "issue_date": "2022-01-06",
    "maturity_date": "2032-01-06",
    "issue_size_units": 1_000_000,
    "min_lot": 100,
    "lot_increment": 100,
    "tick_size": "0.0025",
    "settlement_cycle": "T+1",
    "credit_rating": "SOV",
}


# --------------------------------------------------------------------------- the server


async def _list_bond(app: Any) -> str:
    """An admin and an issuer, and the bond listed through the API; returns its id."""
    logins = {}
    async with UnitOfWork(app.state.database) as uow:
        identity = IdentityService(uow.session, app.state.credentials)
        for role in (Role.ADMIN, Role.ISSUER):
            email = f"{role}@bench.liquibond.dev"
            request = RegisterRequest(email=email, password=PASSWORD, display_name=str(role))
            await identity.register(request, roles=[role])
            logins[role] = email
        await uow.commit()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        headers = {}
        for role, email in logins.items():
            tokens = await http.post(
                "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
            )
            headers[role] = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        bond = await http.post("/api/v1/instruments", json=BOND, headers=headers[Role.ISSUER])
        bond_id = bond.json()["id"]
        await http.post(f"/api/v1/instruments/{bond_id}/submit", headers=headers[Role.ISSUER])
        listed = await http.post(
            f"/api/v1/instruments/{bond_id}/approve", headers=headers[Role.ADMIN]
        )
        assert listed.json()["status"] == "listed", listed.text
    return str(bond_id)


def _change(bond_id: str, seq: int) -> dict[str, Any]:
    """Book change `seq`: one level (round robin over 20, either side of 100) changes."""
    ticks = 40_000 + seq % 20 - 10
    price = str(Decimal(ticks) / 400)
    level = {"price": price, "price_ticks": ticks, "quantity": seq, "orders": 1}
    data: dict[str, Any] = {"instrument_id": bond_id, "prev_seq": seq - 1, "seq": seq}
    data["bids"], data["asks"] = ([level], []) if ticks < 40_000 else ([], [level])
    return data


async def _inject(app: Any, bond_id: str, rate: float, seconds: float, group: float) -> list[float]:
    """Commit `rate` book changes a second, those due every `group` seconds in one
    transaction (as the writer commits a batch); returns each change's commit time (index:
    seq - 1)."""
    database = app.state.database
    relay: OutboxRelay = app.state.relay
    count = int(rate * seconds)
    committed: list[float] = []
    start = time.monotonic()
    while len(committed) < count:
        await asyncio.sleep(max(0.0, start + len(committed) / rate + group - time.monotonic()))
        due = min(count, int((time.monotonic() - start) * rate) + 1)
        async with UnitOfWork(database) as uow:
            for seq in range(len(committed) + 1, due + 1):
                record_event(uow.session, "book.changed.v1", _change(bond_id, seq))
            uow.after_commit(relay.wake)
            await uow.commit()
        committed.extend([time.monotonic()] * (due - len(committed)))
    return committed


async def serve(port: int, data_dir: Path, freeze: bool) -> None:
    """The server process: the app under uvicorn; reads `go RATE SECONDS GROUP` on stdin.
    With `freeze`, the heap built at startup is moved out of the garbage collector's way."""
    settings = Settings(data_dir=data_dir, log_level="WARNING")
    migrations.upgrade(settings.resolved_database_url)
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, server_header=False)
    )
    serving = asyncio.create_task(server.serve())
    for _ in range(600):
        if server.started:
            break
        await asyncio.sleep(0.05)
    bond_id = await _list_bond(app)
    if freeze:
        gc.freeze()
    print(json.dumps({"bond_id": bond_id}), flush=True)
    relayed: dict[int, float] = {}

    async def record(event: Event) -> None:  # after the hub's handler, on the same bus
        relayed[event.data["seq"]] = time.monotonic()

    app.state.bus.subscribe("book.changed.v1", record)
    loop = asyncio.get_running_loop()
    command = (await loop.run_in_executor(None, sys.stdin.readline)).split()
    if command:  # `go RATE SECONDS GROUP`; nothing: the benchmark gave up
        rate, seconds, group = (float(value) for value in command[1:])
        committed = await _inject(app, bond_id, rate, seconds, group)
        # Let the last deltas go out (past one relay poll: a wake-up may be missed).
        await asyncio.sleep(app.state.settings.outbox_poll_seconds + 0.5)
        times = {
            "committed": committed,
            "relayed": [relayed.get(s, 0.0) for s in range(1, len(committed) + 1)],
        }
        print(json.dumps(times), flush=True)
    server.should_exit = True
    await serving


# --------------------------------------------------------------------------- the clients


class _Delta(msgspec.Struct):
    prev_seq: int = 0
    seq: int = 0


class _Message(msgspec.Struct):
    type: str
    data: _Delta | None = None


_decode = msgspec.json.Decoder(_Message).decode
_PONG = b'{"op":"pong"}'


class Subscriber(asyncio.Protocol):
    """One WebSocket subscriber of the book: records (prev_seq, seq, arrival) per delta."""

    def __init__(self, host: str, port: int, channel: str, ready: asyncio.Event) -> None:
        self._protocol = ClientProtocol(parse_uri(f"ws://{host}:{port}/api/v1/ws"))
        self._subscribe = json.dumps({"op": "subscribe", "channels": [channel]}).encode()
        self._ready = ready
        self._transport: asyncio.Transport | None = None
        # Arrays, not tuples: millions of GC-tracked objects would pause this process.
        self.prev_seqs, self.seqs, self.arrivals = array("q"), array("q"), array("d")
        self.snapshot_seq: int | None = None
        self.closed_with: int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._protocol.send_request(self._protocol.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        protocol = self._protocol
        protocol.receive_data(data)
        for event in protocol.events_received():
            if isinstance(event, Response):
                protocol.send_text(self._subscribe)
            elif isinstance(event, Frame):
                self._on_frame(event, now)
        self._flush()

    def _on_frame(self, frame: Frame, now: float) -> None:
        if frame.opcode is Opcode.CLOSE:
            self.closed_with = self._protocol.close_rcvd.code if self._protocol.close_rcvd else 0
            return
        if frame.opcode is not Opcode.TEXT:
            return
        message = _decode(frame.data)
        if message.type == "delta" and message.data is not None:
            self.prev_seqs.append(message.data.prev_seq)
            self.seqs.append(message.data.seq)
            self.arrivals.append(now)
        elif message.type == "snapshot" and message.data is not None:
            self.snapshot_seq = message.data.seq
            self._ready.set()
        elif message.type == "heartbeat":
            self._protocol.send_text(_PONG)

    def _flush(self) -> None:
        assert self._transport is not None
        for data in self._protocol.data_to_send():
            if data:
                self._transport.write(data)

    def close(self) -> None:
        """Close the connection."""
        if self._transport is not None:
            self._transport.close()


# --------------------------------------------------------------------------- the run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _line(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"the server stopped (exit code {process.wait()})")
    result: dict[str, Any] = json.loads(line)
    return result


async def _connect(port: int, channel: str, count: int) -> list[Subscriber]:
    loop = asyncio.get_running_loop()
    subscribers: list[Subscriber] = []
    for batch in range(0, count, 100):
        readies = []
        for _ in range(batch, min(count, batch + 100)):
            ready = asyncio.Event()
            readies.append(ready)
            _, subscriber = await loop.create_connection(
                functools.partial(Subscriber, "127.0.0.1", port, channel, ready), "127.0.0.1", port
            )
            subscribers.append(subscriber)
        await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 30)
    return subscribers


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _report(
    subscribers: list[Subscriber], times: dict[str, list[float]], rate: float, seconds: float
) -> None:
    committed = times["committed"]
    origins = {name: np.asarray(times[name]) for name in ("committed", "relayed")}
    latencies: dict[str, list[np.ndarray]] = {name: [] for name in origins}
    messages = drops = cut = 0
    for subscriber in subscribers:
        held = subscriber.snapshot_seq or 0
        messages += len(subscriber.seqs)
        for prev_seq, seq, arrived in zip(
            subscriber.prev_seqs, subscriber.seqs, subscriber.arrivals, strict=True
        ):
            drops += max(0, prev_seq - held)
            for name, origin in origins.items():
                latencies[name].append(arrived - origin[max(prev_seq, held) : seq])
            held = max(held, seq)
        drops += len(committed) - held
        cut += subscriber.closed_with == 1008  # policy: a slow consumer
    achieved = (len(committed) - 1) / (committed[-1] - committed[0])
    print(f"subscribers           {len(subscribers):>10,}")
    print(
        f"updates/s             {achieved:>10,.0f}   (target {rate:,.0f}: {len(committed):,} "
        f"book changes in {seconds:g} s)"
    )
    print(
        f"messages delivered    {messages:>10,}   ({messages / len(subscribers) / seconds:,.1f} "
        "deltas/s per subscriber: conflated)"
    )
    print(
        f"drops                 {drops:>10,}   (updates never received; slow consumers cut: {cut})"
    )
    for name, label in (("relayed", "hub -> client"), ("committed", "commit -> client")):
        samples = np.concatenate(latencies[name]) * 1000
        p50, p99 = np.percentile(samples, [50, 99])
        print(
            f"latency {label:<17} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   max "
            f"{samples.max():6.1f} ms   ({samples.size:,} updates)"
        )
    print(f"goal                  p99 <= {GOAL_P99_MS:g} ms")


async def run(
    subscribers_count: int, rate: float, seconds: float, group: float, freeze: bool
) -> None:
    """Start the server, subscribe, drive the updates, print the figures."""
    with tempfile.TemporaryDirectory(prefix="liquibond-bench-ws-") as scratch:
        data_dir = Path(scratch)
        port = _free_port()
        env = {
            **os.environ,
            "LIQUIBOND_SECRET_KEY": secrets.token_urlsafe(32),
            "LIQUIBOND_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        }
        env.pop("LIQUIBOND_DATABASE_URL", None)
        with (data_dir / "server.log").open("w") as log:
            server = subprocess.Popen(  # noqa: ASYNC220 - started once, before the clients
                [sys.executable, __file__, "--serve", str(port), str(data_dir), str(freeze)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=env,
            )
        try:
            bond_id = _line(server)["bond_id"]
            started = time.perf_counter()
            subscribers = await _connect(port, f"book:{bond_id}", subscribers_count)
            gc.freeze()  # this process only measures: keep its collector quiet
            print(
                f"connected and subscribed {len(subscribers):,} clients in "
                f"{time.perf_counter() - started:.1f} s; {rate:g} updates/s for {seconds:g} s"
            )
            assert server.stdin is not None
            server.stdin.write(f"go {rate} {seconds} {group}\n")
            server.stdin.flush()
            loop = asyncio.get_running_loop()
            cpu = _cpu_seconds(server.pid), time.process_time()
            times = await loop.run_in_executor(None, _line, server)
            server_cpu = _cpu_seconds(server.pid) - cpu[0]
            _report(subscribers, times, rate, seconds)
            print(
                f"cpu                   server {server_cpu:.1f} s, clients "
                f"{time.process_time() - cpu[1]:.1f} s, over {seconds + 1:g} s"
            )
            for subscriber in subscribers:
                subscriber.close()
        finally:
            assert server.stdin is not None
            server.stdin.close()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main() -> None:
    """Parse the arguments and run (or be the server process)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        port, data_dir, freeze = int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] == "True"
        uvloop.run(serve(port, data_dir, freeze))  # uvloop, as `uvicorn.run` would
        return
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--subscribers", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=500.0, help="book updates per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--group-ms", type=float, default=10.0, help="changes due are committed together this often"
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="freeze the server's startup heap out of the garbage collector (gc.freeze)",
    )
    args = parser.parse_args()
    uvloop.run(run(args.subscribers, args.rate, args.seconds, args.group_ms / 1000, args.gc_freeze))


if __name__ == "__main__":
    main()
