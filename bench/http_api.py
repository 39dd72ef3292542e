"""Order entry over HTTP: a real `liquibond serve` process (one uvicorn worker).

    uv run python bench/http_api.py             # SQLite, and PostgreSQL if configured
    uv run python bench/http_api.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

Per backend: a scratch database with one listed bond and 20 traders funded with cash and
units (bench/_setup.py), then the server, started as in production (``liquibond serve``,
its JSON logs to a file); each trader logs in and passes KYC through the sandbox provider
over HTTP. The load comes from this process, on the other core, through a minimal HTTP/1.1
keep-alive client on asyncio streams (httpx would spend more CPU per request than the
figures can afford on two cores). Commands follow bench/_setup.py's ``OrderFlow``; a request
unanswered after 60 s is given up on and counted as such.

1. Single orders: ``--connections`` (64) closed-loop connections for ``--seconds`` (10),
   each sending ``POST /api/v1/orders`` or, for a cancel, ``DELETE /api/v1/orders/{id}``.
2. Batches: ``--batch-connections`` (2) closed-loop connections, each sending
   ``POST /api/v1/orders/batch`` with ``--batch`` (1,000) orders of one trader; the figure
   counts the orders placed (status 201 in the results) per second.
3. Paced single orders: an open loop offering ``--rate`` (1,000) commands/s; each request
   goes out at its scheduled time on an idle connection (a new one if none is idle) and its
   latency runs from that time (no coordinated omission). A server that cannot keep up is
   reported SATURATED: the phase stops offering once 500 requests are unanswered.
4. Paced again at half the single-order throughput of 1: the latency of a server that
   keeps up.

Goals: 2,000 orders/s single, 20,000/s batched; p99 at most 50 ms at 1,000 orders/s offered.
Prints figures; it asserts nothing about speed.

(Not ``bench/http.py``: a script of that name would shadow the standard library's ``http``
package for every script run from this directory, bench/durable.py included.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import string
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx
from _setup import (
    INDENT,
    PASSWORD,
    OrderFlow,
    Place,
    Scratch,
    Tally,
    Venue,
    closed_loop,
    label,
    on_each_backend,
    open_venue,
    paced,
    run,
    verdict,
)

from liquibond.kyc.service import TERMS_VERSION
from liquibond.platform.db import Database

GOALS = {"single": 2_000, "batched": 20_000}  # orders/s
LATENCY_GOAL_MS = 50.0  # p99 at the paced rate
TRADERS = 20
#: Unanswered requests at which a paced phase stops offering more.
MAX_BACKLOG = 500
#: How long a request waits for its answer before the bench gives up on it.
ANSWER_SECONDS = 60.0
HOST = "127.0.0.1"
#: Idle connections older than this are not reused: the server may be closing them.
IDLE_SECONDS = 4.0


# --------------------------------------------------------------------------- the client


class Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time. Enough HTTP for
    Liquibond's JSON answers, which always carry a Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        """A new connection to the server on `port`."""
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def request(
        self, method: str, path: str, token: str, body: object = None
    ) -> tuple[int, Any]:
        """Send one request; its status and JSON body."""
        payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self._writer.write(head.encode() + payload)
        head_bytes = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head_bytes[9:12])
        length = 0
        for line in head_bytes.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        data = await self._reader.readexactly(length)
        return status, json.loads(data) if data else None

    def close(self) -> None:
        """Close the connection."""
        self._writer.close()


class Pool:
    """Idle connections to the server, opened on demand and kept for reuse while the server
    keeps them open (uvicorn closes a connection idle for 5 s)."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._idle: list[tuple[float, Connection]] = []  # (idle since, connection)

    async def request(
        self, method: str, path: str, token: str, body: object = None
    ) -> tuple[int, Any]:
        """Send one request on an idle connection (a new one if none is idle)."""
        connection = None
        while self._idle and connection is None:
            since, idle = self._idle.pop()
            if time.monotonic() - since < IDLE_SECONDS:
                connection = idle
            else:
                idle.close()
        if connection is None:
            connection = await Connection.open(self._port)
        try:
            answer = await connection.request(method, path, token, body)
        except BaseException:
            connection.close()
            raise
        self._idle.append((time.monotonic(), connection))
        return answer

    def close(self) -> None:
        """Close every idle connection."""
        for _, connection in self._idle:
            connection.close()
        self._idle.clear()


# --------------------------------------------------------------------------- the server


@dataclass
class Server:
    """`liquibond serve` on a scratch database, its output in the data directory."""

    scratch: Scratch
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        """Start the process (see :meth:`wait_ready`)."""
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = int(probe.getsockname()[1])
        env = {
            **os.environ,
            "LIQUIBOND_DATA_DIR": str(self.scratch.data_dir),
            "LIQUIBOND_DATABASE_URL": self.scratch.url,
            "LIQUIBOND_AUTH_ATTEMPTS_PER_MINUTE": "100000",
        }
        command = ["-m", "liquibond", "serve", "--host", HOST, "--port", str(self.port)]
        with (self.scratch.data_dir / "server.log").open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, *command], env=env, stdout=log, stderr=subprocess.STDOUT
            )

    async def wait_ready(self) -> None:
        """Wait until the server answers `/readyz`."""
        assert self.process is not None
        async with httpx.AsyncClient(base_url=self.url) as http:
            for _ in range(600):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the server did not start; see {self.scratch.data_dir}/server.log")

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        """Stop the server; killed if it has not stopped 10 s after SIGTERM (it waits for the
        requests it is still answering)."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


async def log_in_verified(server: Server, venue: Venue) -> list[str]:
    """Each trader's access token, once the sandbox provider has verified its KYC."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

        async def one(email: str) -> str:
            tokens = await http.post(
                "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
            )
            tokens.raise_for_status()
            headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            letters = random.choices(string.ascii_uppercase, k=5)
            pan = f"{''.join(letters[:3])}P{letters[3]}1234{letters[4]}"  # sandbox: verified
            form = {
                "pan": pan,
                "date_of_birth": "1988-07-14",
                "address_line": "Flat 12, Sea Breeze, Carter Road, Bandra West",
                "city": "Mumbai",
                "state": "Maharashtra",
                "pincode": "400050",
                "document_kind": "pan_card",
                "consent": "true",
                "terms_version": TERMS_VERSION,
            }
            scan = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
            submitted = await http.post(
                "/api/v1/kyc",
                data=form,
                files={"document": ("pan.pdf", scan, "application/pdf")},
                headers=headers,
            )
            submitted.raise_for_status()
            for _ in range(600):
                if (await http.get("/api/v1/kyc", headers=headers)).json()["status"] == "verified":
                    return str(tokens.json()["access_token"])
                await asyncio.sleep(0.1)
            raise RuntimeError(f"KYC of {email} was not verified")

        return list(await asyncio.gather(*(one(email) for email in venue.emails)))


# --------------------------------------------------------------------------- the load


class Phase:
    """One phase's requests: the order flow sent to the server, each answer recorded."""

    def __init__(self, server: Server, venue: Venue, tokens: list[str], seed: int) -> None:
        self.venue = venue
        self.tokens = tokens
        self.flow = OrderFlow(len(tokens), seed=seed, prefix=f"h{seed}")
        self.pool = Pool(server.port)
        self.tally = Tally()
        self._batches = 0

    def _body(self, place: Place) -> dict[str, object]:
        return {
            "instrument_id": str(self.venue.instrument_id),
            "client_order_id": place.client_order_id,
            "side": place.side.value,
            "price": str(place.price),
            "quantity": place.quantity,
        }

    def _refused(self, status: int, problem: Any, count: int = 1) -> None:
        code = problem.get("code") if isinstance(problem, dict) else None
        self.tally.refused[f"{status} {code or ''}".strip()] += count

    async def _request(self, method: str, path: str, token: str, body: object = None) -> Any:
        """The answer's status and body; None (counted) if there was none in time."""
        try:
            async with asyncio.timeout(ANSWER_SECONDS):
                return await self.pool.request(method, path, token, body)
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            self.tally.refused[f"no answer ({type(exc).__name__})"] += 1
            return None

    async def single(self, since: float) -> None:
        """The flow's next command as one request: an order or a cancel."""
        command = self.flow.next()
        token = self.tokens[command.trader]
        if isinstance(command, Place):
            answer = await self._request("POST", "/api/v1/orders", token, self._body(command))
        else:
            answer = await self._request("DELETE", f"/api/v1/orders/{command.order_id}", token)
        self.tally.answered(since)
        if answer is None:
            return
        status, body = answer
        if status == 201 and isinstance(command, Place):
            self.tally.placed += 1
            self.flow.acknowledged(command, body["id"], body["status"])
        elif status == 200:
            self.tally.cancelled += 1
        else:
            self._refused(status, body)

    async def batch(self, since: float, size: int) -> bool:
        """A batch of `size` new orders of the next trader in turn; False if the endpoint
        is not there."""
        trader = self._batches % len(self.tokens)
        self._batches += 1
        places = [self.flow.place(trader) for _ in range(size)]
        body = {"orders": [self._body(place) for place in places]}
        answer = await self._request("POST", "/api/v1/orders/batch", self.tokens[trader], body)
        self.tally.answered(since)
        if answer is None:
            return True
        status, results = answer
        if status in (404, 405):
            return False
        if status != 200:
            self._refused(status, results, count=size)
            return True
        for result in results["results"]:
            if result["status"] == 201:
                self.tally.placed += 1
                order = result["order"]
                self.flow.acknowledged(places[result["index"]], order["id"], order["status"])
            else:
                self._refused(result["status"], result.get("problem"))
        return True


# --------------------------------------------------------------------------- the report


async def report(server: Server, venue: Venue, tokens: list[str], args: argparse.Namespace) -> None:
    """Every phase against one running server; prints its figures."""
    seeds = iter(range(1, 1_000))

    def phase() -> Phase:
        return Phase(server, venue, tokens, next(seeds))

    warm = phase()
    await closed_loop(8, 2.0, warm.single)
    warm.pool.close()

    single = phase()
    start = await closed_loop(args.connections, args.seconds, single.single)
    single.pool.close()
    tally = single.tally
    orders = tally.per_second(tally.placed + tally.cancelled, start)
    requests = tally.per_second(len(tally.latencies), start)
    print(f"  single      {args.connections} connections for {args.seconds:g} s: ", end="")
    print(f"{orders:,.0f} orders/s ({requests:,.0f} requests/s)")
    print(tally.lines())
    print(f"{INDENT}goal >= {GOALS['single']:,} orders/s: {verdict(orders >= GOALS['single'])}")
    single_requests = requests

    batched = phase()
    there = True

    async def one_batch(since: float) -> None:
        nonlocal there
        there = await batched.batch(since, args.batch) and there

    start = await closed_loop(args.batch_connections, args.seconds, one_batch)
    batched.pool.close()
    tally = batched.tally
    print(
        f"  batched     {args.batch_connections} connections, {args.batch:,} orders a request",
        end="",
    )
    if not there:
        print(": PENDING, POST /api/v1/orders/batch is not there yet (404)")
    else:
        placed = tally.per_second(tally.placed, start)
        requests = tally.per_second(len(tally.latencies), start)
        print(f", {args.seconds:g} s: {placed:,.0f} orders/s ({requests:,.2f} requests/s)")
        print(tally.lines())
        met = placed >= GOALS["batched"]
        print(f"{INDENT}goal >= {GOALS['batched']:,} orders/s: {verdict(met)}")

    for offered in (args.rate, single_requests / 2):
        paced_phase = phase()
        start, saturated = await paced(offered, args.seconds, paced_phase.single, MAX_BACKLOG)
        paced_phase.pool.close()
        tally = paced_phase.tally
        print(f"  paced       offered {offered:,.0f} requests/s for {args.seconds:g} s: ", end="")
        if saturated is not None:
            print(f"SATURATED after {saturated:.1f} s ({MAX_BACKLOG:,} unanswered); ", end="")
        print(f"answered {tally.per_second(len(tally.latencies), start):,.0f}/s")
        print(tally.lines())
        if offered == args.rate:
            met = saturated is None and tally.p99_ms() <= LATENCY_GOAL_MS
            print(f"{INDENT}goal p99 <= {LATENCY_GOAL_MS:g} ms: {verdict(met)}")


async def measure(scratch: Scratch, args: argparse.Namespace) -> None:
    """Set up a venue, start the server on it, and run every phase."""
    database = Database(scratch.url)
    try:
        venue = await open_venue(database, scratch.settings(), TRADERS)
    finally:
        await database.dispose()
    print(f"\n{label(scratch.backend)}: liquibond serve, one worker, {TRADERS} traders")
    server = Server(scratch)
    try:
        server.spawn()
        await server.wait_ready()
        tokens = await log_in_verified(server, venue)
        await report(server, venue, tokens, args)
    finally:
        server.stop()


def main() -> int:
    """Parse the options and measure each backend."""
    parser = argparse.ArgumentParser(description="HTTP order entry benchmark (prints figures).")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is made)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--connections", type=int, default=64, help="single-order connections")
    parser.add_argument("--batch-connections", type=int, default=2, help="batch connections")
    parser.add_argument("--batch", type=int, default=1_000, help="orders per batch request")
    parser.add_argument("--rate", type=float, default=1_000.0, help="paced requests/s offered")
    args = parser.parse_args()
    return run(on_each_backend(args.postgres, lambda scratch: measure(scratch, args)))


if __name__ == "__main__":
    raise SystemExit(main())
