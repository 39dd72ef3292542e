"""Peer driver: replay a bench/engine.py command file against PyPI ``matching-engine==0.1.1``.

Runs under Python >= 3.12 in the throwaway venv bench/engine.py builds (``--peer``); it
imports nothing from Liquibond. It speaks JSON lines on stdin/stdout so the parent can
interleave its runs with ours (the machine is shared and noisy; paired runs compare
like with like):

    parent: {"do": "throughput"}  child: {"ops": <commands per second>}
    parent: {"do": "latency"}     child: {"p50_ns": .., "p99_ns": .., "p999_ns": .., "trades": ..}
    parent: {"do": "resting"}     child: {"resting": [[order_id, "buy"|"sell", price, qty], ...]}

Command file format (one JSON object per line), written by bench/engine.py:

    {"op": "new", "id": 7, "account": 3, "side": "buy", "price": 99990, "qty": 12}
    {"op": "cancel", "id": 7, "account": 3}

Every new order is a GTC limit with the peer's default self-trade prevention,
``cancel_taker``, which is Liquibond's ``CANCEL_NEWEST``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from typing import Any

from matching_engine.domain import (  # type: ignore[import-not-found]
    CancelOrder,
    NewOrder,
    SelfTradePrevention,
    SequencedCommand,
    Side,
)
from matching_engine.engine import MatchingEngine  # type: ignore[import-not-found]
from matching_engine.events import Trade  # type: ignore[import-not-found]


def load(path: str) -> list[Any]:
    commands: list[Any] = []
    with open(path, encoding="utf-8") as f:
        for seq, line in enumerate(f, start=1):
            r = json.loads(line)
            if r["op"] == "new":
                side = Side.BUY if r["side"] == "buy" else Side.SELL
                cmd: Any = NewOrder(
                    r["id"],
                    r["account"],
                    side,
                    r["price"],
                    r["qty"],
                    stp=SelfTradePrevention.CANCEL_TAKER,
                )
            else:
                cmd = CancelOrder(r["id"], r["account"])
            commands.append(SequencedCommand(seq, 0, cmd))
    return commands


def throughput(commands: list[Any]) -> float:
    engine = MatchingEngine()
    process = engine.process
    start = time.perf_counter()
    for c in commands:
        process(c)
    return len(commands) / (time.perf_counter() - start)


def latency(commands: list[Any]) -> dict[str, Any]:
    engine = MatchingEngine()
    process = engine.process
    clock = time.perf_counter_ns
    samples = [0] * len(commands)
    trades = 0
    for i, c in enumerate(commands):
        t0 = clock()
        events = process(c)
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


def resting(commands: list[Any]) -> list[list[Any]]:
    engine = MatchingEngine()
    for c in commands:
        engine.process(c)
    return [
        [e.order_id, "buy" if e.side is Side.BUY else "sell", e.price, e.qty]
        for e in engine.book.entries()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commands", help="JSON-lines command file from bench/engine.py")
    args = parser.parse_args()
    commands = load(args.commands)
    gc.collect()
    gc.freeze()  # the loaded commands are not the engine's garbage (bench/engine.py does the same)
    print(json.dumps({"ready": len(commands), "python": sys.version.split()[0]}), flush=True)
    for line in sys.stdin:
        what = json.loads(line)["do"]
        if what == "throughput":
            out: dict[str, Any] = {"ops": throughput(commands)}
        elif what == "latency":
            out = latency(commands)
        elif what == "resting":
            out = {"resting": resting(commands)}
        else:
            out = {"error": f"unknown request {what!r}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
