"""A local MongoDB wire-protocol server (SecantusDB) for the storage benchmark and the tests.

FINEWS_BENCH_MONGO_URI points the benchmark at a real MongoDB instead; tests have their own
FINEWS_TEST_MONGO_URI (tests/mongo_server.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymongo

from mocksite.process import free_port, stop_process

SERVER = "secantusd-py"


def secantus_executable() -> str | None:
    """The server on PATH, or the one installed in this virtualenv (often off PATH)."""
    beside_python = Path(sys.executable).parent / SERVER
    return shutil.which(SERVER) or (str(beside_python) if beside_python.exists() else None)


def wait_for_ping(uri: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=300
    )
    try:
        while True:
            try:
                client.admin.command("ping")
                return
            except pymongo.errors.PyMongoError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        client.close()


@dataclass
class LocalServer:
    """A SecantusDB process; `kill()` is kill -9, `start()` again reuses port and storage."""

    executable: str
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra_args: tuple[str, ...] = ()  # more server options, e.g. ("--auth",)

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, timeout: float = 20.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "EMPTY.toml"  # keeps it from reading a stray secantusd.toml
        config.touch()
        with open(self.workdir / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    self.executable,
                    "--config",
                    str(config),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--storage-path",
                    str(self.workdir / "data"),
                    "--log-level",
                    "WARNING",
                    "--sync-on-commit",
                    *self.extra_args,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
            )
        try:
            wait_for_ping(self.uri, timeout)
        except pymongo.errors.PyMongoError as exc:
            self.stop()
            tail = (self.workdir / "server.log").read_text(errors="replace")[-500:]
            raise RuntimeError(f"{SERVER} did not answer: {exc}; log: {tail}") from exc

    def kill(self) -> None:
        """kill -9: no shutdown, no flush; what was acknowledged must survive."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process:
            stop_process(self.process, timeout=15)


@contextmanager
def running_mongo() -> Iterator[str | None]:
    """Yield a MongoDB URI, or None (with a note on stderr) when none can be had."""
    given = os.environ.get("FINEWS_BENCH_MONGO_URI")
    if given:
        yield given
        return
    executable = secantus_executable()
    if executable is None:
        print("[bench] no MongoDB: pip install secantusdb or set FINEWS_BENCH_MONGO_URI")
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="finews-bench-mongo-") as work:
        server = LocalServer(executable, Path(work))
        try:
            server.start()
        except (OSError, RuntimeError) as exc:
            print(f"[bench] SecantusDB did not start ({exc}); MongoDB storage not measured")
            yield None
            return
        try:
            yield server.uri
        finally:
            server.stop()
