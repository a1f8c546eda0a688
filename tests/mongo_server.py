"""pytest plugin: a real MongoDB wire-protocol server for the storage tests.

`FINEWS_TEST_MONGO_URI` points the suite at any MongoDB; otherwise SecantusDB (test-only
dependency, `pip install secantusdb`) is started once per session on a free loopback port.
Each test gets its own database (`mongo_store_uri`), so tests never see each other's data.
Load with `pytest_plugins = ["tests.mongo_server"]` or `pytest -p tests.mongo_server`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pymongo
import pytest

ENV_URI = "FINEWS_TEST_MONGO_URI"
SERVER = "secantusd-py"
HOW_TO_ENABLE = f"pip install secantusdb, or set {ENV_URI} to a MongoDB URI"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_ping(uri: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=300)
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
    """A SecantusDB process; `kill()` is kill -9, `restart()` reuses port and storage."""

    executable: str
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, timeout: float = 20.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "EMPTY.toml"  # keeps it from reading a stray secantusd.toml
        config.touch()
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115 (owned by the process)
        self.process = subprocess.Popen(
            [
                self.executable, "--config", str(config), "--host", "127.0.0.1",
                "--port", str(self.port), "--storage-path", str(self.workdir / "data"),
                "--log-level", "WARNING", "--sync-on-commit",
            ],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir,
        )  # fmt: skip
        log.close()
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

    def restart(self, timeout: float = 30.0) -> None:
        self.kill()
        self.start(timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_local_server(workdir: Path) -> LocalServer:
    """Start SecantusDB in `workdir`, or skip the test with how to enable it."""
    executable = shutil.which(SERVER) or _venv_executable()
    if executable is None:
        pytest.skip(f"{SERVER} not installed: {HOW_TO_ENABLE}")
    server = LocalServer(executable, workdir)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"{SERVER} failed to start ({str(exc)[:120]}): {HOW_TO_ENABLE}")
    return server


def _venv_executable() -> str | None:
    import sys

    candidate = Path(sys.executable).parent / SERVER
    return str(candidate) if candidate.exists() else None


def with_database(uri: str, database: str) -> str:
    """The URI with `database` as its path; credentials keep authenticating where they did."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    has_auth_source = any(key.lower() == "authsource" for key, _ in query)
    if "@" in parts.netloc and not has_auth_source:
        query.append(("authSource", parts.path.strip("/").split(".")[0] or "admin"))
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", urlencode(query), ""))


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A reachable MongoDB: $FINEWS_TEST_MONGO_URI or a session SecantusDB."""
    given = os.environ.get(ENV_URI)
    if given:
        yield given
        return
    server = start_local_server(tmp_path_factory.mktemp("secantusdb"))
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture
def mongo_store_uri(mongo_uri: str) -> Iterator[str]:
    """A store URI with a database of this test's own, dropped afterwards."""
    database = f"finews_test_{uuid.uuid4().hex[:12]}"
    yield with_database(mongo_uri, database)
    client = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=3000)
    try:
        client.drop_database(database)
    except pymongo.errors.PyMongoError:
        pass
    finally:
        client.close()


@pytest.fixture
def mongo_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A private SecantusDB this test may kill -9 and restart (fault tests).

    Skips when only $FINEWS_TEST_MONGO_URI is available: a shared server is not ours to kill.
    """
    if os.environ.get(ENV_URI) and not shutil.which(SERVER):
        pytest.skip(f"fault tests need a local {SERVER} to kill: pip install secantusdb")
    server = start_local_server(tmp_path / "secantusdb")
    try:
        yield server
    finally:
        server.stop()
