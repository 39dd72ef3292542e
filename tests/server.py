"""A real `liquibond demo` process on a free port, for tests that go over real HTTP."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def demo_process(data_dir: Path) -> Iterator[str]:
    """Run `liquibond demo` serving from `data_dir`; yields its base URL once it is ready."""
    port = _free_port()
    env = {
        **os.environ,
        "LIQUIBOND_DATA_DIR": str(data_dir),
        "LIQUIBOND_SANDBOX_RAIL_DELAY_SECONDS": "0",
        "LIQUIBOND_AUTH_ATTEMPTS_PER_MINUTE": "100000",
    }
    env.pop("LIQUIBOND_DATABASE_URL", None)
    log_path = data_dir / "demo.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "liquibond", "demo", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            else:
                pytest.fail("the demo did not become ready:\n" + log_path.read_text())
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture
def running_demo(tmp_path: Path) -> Iterator[str]:
    """The base URL of a `liquibond demo` serving from `tmp_path` (its data directory)."""
    with demo_process(tmp_path) as url:
        yield url
