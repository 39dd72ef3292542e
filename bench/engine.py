"""Matching-engine benchmark: throughput and per-command latency, in memory, one instrument.

    uv run python bench/engine.py            # our engine only
    uv run python bench/engine.py --peer     # also PyPI matching-engine==0.1.1, same commands

The command stream (seed 42, 200,000 commands by default) is 60% passive GTC limits 1-50
ticks from the mid, 25% cancels of live orders and 15% limits crossing the opposite best
by 0-4 ticks; 1-100 lots, 200 accounts (so some self-trade prevention happens). It is
generated once by driving a scratch book (that is how the generator knows which orders
are live and where the touch is), written to a JSON-lines file, and then replayed from
that file into fresh books: ours in this process, and with ``--peer`` into matching-engine
in a Python 3.12 subprocess (bench/engine_peer.py), because that package needs Python
>= 3.12 and this project is on 3.11. The peer venv is created once under
``~/.cache/liquibond-bench`` (or ``$XDG_CACHE_HOME``).

Both sides: GC enabled as in production, with the loaded command list frozen out of the
collector (``gc.freeze``) so that neither pays for scanning the input; the same command
list is applied through one entry point (``Book.apply`` / ``MatchingEngine.process``).
Throughput runs of ours and the peer's alternate, so machine noise hits both alike; the
ratio is the median of the per-pair ratios. Latency is a separate run timing every
command with ``perf_counter_ns``. At the end both books' resting orders (order id, side,
price, open quantity, in queue order) are compared.

Prints figures; it asserts nothing about speed (DESIGN.md section 9).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from liquibond.trading.engine import (
    AccountId,
    Book,
    CancelOrder,
    NewOrder,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderId,
    Side,
    Trade,
)

PEER_SPEC = "matching-engine==0.1.1"
GOAL = 1.25
HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- the workload


def generate(n: int, seed: int, path: Path) -> None:
    """Write ``n`` commands to ``path`` (JSON lines), deterministically from ``seed``."""
    rng = random.Random(seed)
    book = Book("BENCH")
    live: list[int] = []  # live order ids, with positions for O(1) removal
    where: dict[int, int] = {}
    owner: dict[int, int] = {}
    next_id = 1
    ref_mid = 100_000

    def forget(oid: int) -> None:
        i = where.pop(oid, None)
        if i is not None:
            last = live.pop()
            if last != oid:
                live[i] = last
                where[last] = i

    with path.open("w", encoding="utf-8") as out:
        for _ in range(n):
            roll = rng.random()
            record: dict[str, Any]
            if roll < 0.25 and live:
                oid = live[rng.randrange(len(live))]
                record = {"op": "cancel", "id": oid, "account": owner[oid]}
                events = book.cancel(OrderId(oid), AccountId(owner[oid]))
            else:
                side = Side.BUY if rng.random() < 0.5 else Side.SELL
                account = rng.randint(1, 200)
                qty = rng.randint(1, 100)
                bb, ba = book.best_bid, book.best_ask
                if bb is not None and ba is not None:
                    mid = (bb + ba) // 2
                elif bb is not None:
                    mid = bb + 1
                elif ba is not None:
                    mid = ba - 1
                else:
                    mid = ref_mid
                if roll < 0.85:  # passive (also the fallback for a cancel with nothing live)
                    k = rng.randint(1, 50)
                    price = mid - k if side is Side.BUY else mid + k
                else:  # crossing by 0-4 ticks, when there is something to cross
                    j = rng.randint(0, 4)
                    if side is Side.BUY:
                        price = ba + j if ba is not None else mid - 1
                    else:
                        price = bb - j if bb is not None else mid + 1
                oid = next_id
                next_id += 1
                owner[oid] = account
                side_name = "buy" if side is Side.BUY else "sell"
                record = {
                    "op": "new",
                    "id": oid,
                    "account": account,
                    "side": side_name,
                    "price": price,
                    "qty": qty,
                }
                events = book.submit(NewOrder(OrderId(oid), AccountId(account), side, qty, price))
                if oid in book:
                    where[oid] = len(live)
                    live.append(oid)
            for e in events:
                if type(e) is OrderFilled or type(e) is OrderCancelled or type(e) is OrderExpired:
                    forget(e.order_id)
            out.write(json.dumps(record, separators=(",", ":")) + "\n")


def load(path: Path) -> list[NewOrder | CancelOrder]:
    commands: list[NewOrder | CancelOrder] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["op"] == "new":
                side = Side.BUY if r["side"] == "buy" else Side.SELL
                commands.append(
                    NewOrder(OrderId(r["id"]), AccountId(r["account"]), side, r["qty"], r["price"])
                )
            else:
                commands.append(CancelOrder(OrderId(r["id"]), AccountId(r["account"])))
    return commands


# --------------------------------------------------------------------------- our runs


def throughput(commands: list[NewOrder | CancelOrder]) -> float:
    book = Book("BENCH")
    apply = book.apply
    start = time.perf_counter()
    for c in commands:
        apply(c)
    return len(commands) / (time.perf_counter() - start)


def latency(commands: list[NewOrder | CancelOrder]) -> dict[str, Any]:
    book = Book("BENCH")
    apply = book.apply
    clock = time.perf_counter_ns
    samples = [0] * len(commands)
    trades = 0
    for i, c in enumerate(commands):
        t0 = clock()
        events = apply(c)
        samples[i] = clock() - t0
        trades += sum(1 for e in events if type(e) is Trade)
    samples.sort()
    n = len(samples)
    return {
        "p50_ns": samples[n // 2],
        "p99_ns": samples[min(n - 1, n * 99 // 100)],
        "p999_ns": samples[min(n - 1, n * 999 // 1000)],
        "trades": trades,
    }


def resting(commands: list[NewOrder | CancelOrder]) -> tuple[list[list[Any]], str]:
    book = Book("BENCH")
    for c in commands:
        book.apply(c)
    rows = [
        [s.order_id, "buy" if s.side is Side.BUY else "sell", s.price, s.leaves_qty]
        for s in book.snapshot()
    ]
    return rows, book.state_hash()


# --------------------------------------------------------------------------- the peer


class PeerUnavailable(Exception):
    pass


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "liquibond-bench"


def find_python312(explicit: str | None) -> str:
    """The first candidate that really runs as Python >= 3.12 (a pyenv shim may not)."""
    candidates = (
        [explicit]
        if explicit
        else [
            os.environ.get("LIQUIBOND_BENCH_PYTHON312"),
            shutil.which("python3.12"),
            "/root/.pyenv/versions/3.12.1/bin/python3.12",  # where this machine has one
            shutil.which("python3.13"),
        ]
    )
    check = "import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)"
    for c in candidates:
        if (
            c
            and Path(c).exists()
            and subprocess.run([c, "-c", check], capture_output=True).returncode == 0
        ):
            return c
    raise PeerUnavailable(
        "no working Python >= 3.12 found (pass --peer-python PATH or set LIQUIBOND_BENCH_PYTHON312)"
    )


def peer_venv(python312: str) -> Path:
    """A throwaway venv with matching-engine installed; created on first use."""
    venv = cache_root() / "peer-matching-engine-0.1.1"
    py = venv / "bin" / "python"
    probe = [str(py), "-c", "import matching_engine, sys; assert sys.version_info >= (3, 12)"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return py
    print(
        f"  creating peer venv in {venv} ({python312} -m venv; pip install {PEER_SPEC}) ...",
        flush=True,
    )
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        [python312, "-m", "venv", str(venv)],
        [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PEER_SPEC],
    ]
    for step in steps:
        r = subprocess.run(step, capture_output=True, text=True)
        if r.returncode != 0:
            raise PeerUnavailable(
                f"`{' '.join(step)}` failed: {(r.stderr or r.stdout).strip()[-500:]}"
            )
    if subprocess.run(probe, capture_output=True).returncode != 0:
        raise PeerUnavailable("matching-engine installed but does not import")
    return py


class Peer:
    def __init__(self, python: Path, commands_file: Path) -> None:
        self.proc = subprocess.Popen(
            [str(python), str(HERE / "engine_peer.py"), str(commands_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = self._read()
        self.python_version = hello["python"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise PeerUnavailable(f"peer driver exited (code {self.proc.wait()})")
        out: dict[str, Any] = json.loads(line)
        return out

    def ask(self, what: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"do": what}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


# --------------------------------------------------------------------------- report


def us(ns: int) -> str:
    return f"{ns / 1000:6.2f} us"


def report(name: str, ops: list[float], lat: dict[str, Any], rest: int, extra: str = "") -> None:
    print(f"\n{name}")
    best, med = max(ops), statistics.median(ops)
    print(f"  throughput  best {best:>9,.0f} commands/s   median {med:>9,.0f}   ({len(ops)} runs)")
    p50, p99, p999 = us(lat["p50_ns"]), us(lat["p99_ns"]), us(lat["p999_ns"])
    print(f"  latency     p50 {p50}   p99 {p99}   p99.9 {p999}   (per command)")
    print(f"  end state   {rest:,} resting orders, {lat['trades']:,} trades{extra}")


def start_peer(args: argparse.Namespace, path: Path) -> Peer | None:
    try:
        return Peer(peer_venv(find_python312(args.peer_python)), path)
    except (PeerUnavailable, OSError) as exc:
        print(f"\nPEER NOT RUN: {exc}")
        print("(our figures follow; rerun with --peer where Python 3.12 and PyPI are reachable)")
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description="Matching-engine benchmark (prints figures).")
    parser.add_argument("--commands", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=7, help="throughput runs per engine")
    parser.add_argument("--peer", action="store_true", help=f"also run PyPI {PEER_SPEC}")
    parser.add_argument("--peer-python", help="path of a python3.12 for the peer venv")
    parser.add_argument("--file", type=Path, help="where to write the command stream")
    args = parser.parse_args()

    name = f"engine-commands-seed{args.seed}-n{args.commands}.jsonl"
    path: Path = args.file or cache_root() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    generate(args.commands, args.seed, path)
    commands = load(path)
    n_cancel = sum(1 for c in commands if type(c) is CancelOrder)
    print(f"workload: {len(commands):,} commands (seed {args.seed}), {n_cancel:,} cancels")
    print(f"          file {path}")
    print(f"          generated and loaded in {time.perf_counter() - t0:.1f} s")
    print(f"          Python {sys.version.split()[0]}, GC on, inputs frozen out of the GC")

    peer = start_peer(args, path) if args.peer else None

    gc.collect()
    gc.freeze()  # the loaded commands are input, not the engine's garbage

    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.runs):
        ours.append(throughput(commands))
        if peer is not None:
            theirs.append(peer.ask("throughput")["ops"])
    our_lat = latency(commands)
    our_rest, our_hash = resting(commands)
    report("liquibond.trading.engine", ours, our_lat, len(our_rest), f", hash {our_hash[:16]}")

    if peer is None:
        if not args.peer:
            print(f"\n(peer not requested: add --peer to compare with PyPI {PEER_SPEC})")
        return 0
    try:
        peer_lat = peer.ask("latency")
        peer_rest = peer.ask("resting")["resting"]
    finally:
        peer.close()
    report(f"{PEER_SPEC} (Python {peer.python_version})", theirs, peer_lat, len(peer_rest))

    pairs = [o / t for o, t in zip(ours, theirs, strict=True)]
    ratio = statistics.median(pairs)
    print("\ncomparison")
    print(f"  throughput ours/peer: {ratio:.2f}x (median of {len(pairs)} paired runs, ", end="")
    print(f"range {min(pairs):.2f}-{max(pairs):.2f}; best/best {max(ours) / max(theirs):.2f}x)")
    print(f"  goal >= {GOAL:.2f}x: {'MET' if ratio >= GOAL else 'NOT MET'}")
    same = our_rest == peer_rest
    agree = "YES" if same else "NO"
    print(f"  resting orders agree: {agree} ({len(our_rest):,} ours, {len(peer_rest):,} peer)")
    if not same:
        for i, (a, b) in enumerate(zip(our_rest, peer_rest, strict=False)):
            if a != b:
                print(f"  first difference at position {i}: ours {a} vs peer {b}")
                break
        return 1
    if our_lat["trades"] != peer_lat["trades"]:
        print(f"  trade counts differ: ours {our_lat['trades']} vs peer {peer_lat['trades']}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
