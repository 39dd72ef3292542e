"""The anvil chain: a local anvil node Liquibond runs as a child process, with a state file.

anvil loads the state file when it starts and writes it when it stops (on SIGTERM) and every
`state_interval` seconds, so the chain survives a restart of Liquibond. Once the node
answers, this is an :class:`~liquibond.chain.rpc.RpcChain` on a free loopback port.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
from pathlib import Path

from .port import ChainUnavailable, Signer
from .rpc import RpcChain

#: Where `npm install --prefix .tools/anvil @foundry-rs/anvil-linux-amd64` puts the binary.
BUNDLED_ANVIL = (
    Path(__file__).resolve().parents[3]
    / ".tools/anvil/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
)
#: anvil's default chain id.
ANVIL_CHAIN_ID = 31337


def find_anvil(binary: str | Path | None = None) -> Path | None:
    """The anvil binary: `binary` if given, else the one on PATH, else the repository's."""
    if binary is not None:
        return Path(binary)
    on_path = shutil.which("anvil")
    if on_path is not None:
        return Path(on_path)
    return BUNDLED_ANVIL if BUNDLED_ANVIL.is_file() else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class AnvilChain(RpcChain):
    """An anvil node Liquibond starts and stops, its chain kept in `state_file`."""

    kind = "anvil"
    persistent = True

    def __init__(
        self,
        signer: Signer,
        state_file: str | Path,
        *,
        binary: str | Path | None = None,
        chain_id: int = ANVIL_CHAIN_ID,
        state_interval: int = 30,
        startup_timeout: float = 30.0,
        stop_timeout: float = 30.0,
    ) -> None:
        super().__init__(signer, "", confirmations=0, poll_interval=0.02)
        self.state_file = Path(state_file)
        self._binary = binary
        self._node_chain_id = chain_id
        self._state_interval = state_interval
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._process: asyncio.subprocess.Process | None = None

    @property
    def log_file(self) -> Path:
        """Where anvil's output goes (next to the state file)."""
        return self.state_file.with_name(self.state_file.name + ".log")

    async def start(self) -> None:
        """Start anvil on the state file and connect; ChainUnavailable if it does not come up."""
        if self._process is not None:
            return
        binary = find_anvil(self._binary)
        if binary is None or not binary.is_file():
            raise ChainUnavailable(
                "anvil not found: pass its path, put it on PATH, or run "
                "npm install --prefix .tools/anvil @foundry-rs/anvil-linux-amd64"
            )
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        with self.log_file.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                str(binary),
                "--host", "127.0.0.1",
                "--port", str(port),
                "--chain-id", str(self._node_chain_id),
                "--state", str(self.state_file),
                "--state-interval", str(self._state_interval),
                "--preserve-historical-states",  # reads at old blocks after a restart
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )  # fmt: skip
        try:
            await self._wait_listening(port)
            await super().start()
        except BaseException:
            await self.stop()
            raise

    async def _wait_listening(self, port: int) -> None:
        """Wait until anvil accepts connections on `port`."""
        assert self._process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._startup_timeout
        while True:
            if self._process.returncode is not None:
                raise ChainUnavailable(
                    f"anvil exited with {self._process.returncode}: see {self.log_file}"
                )
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                if loop.time() > deadline:
                    message = f"anvil did not listen within {self._startup_timeout} s"
                    raise ChainUnavailable(f"{message}: see {self.log_file}") from None
                await asyncio.sleep(0.05)
            else:
                writer.close()
                await writer.wait_closed()
                return

    async def stop(self) -> None:
        """Disconnect and stop anvil (SIGTERM, so it writes its state file), and wait for it."""
        await super().stop()
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), self._stop_timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
