"""pytest plugin: a real MongoDB wire-protocol server for the storage tests.

`FINEWS_TEST_MONGO_URI` points the suite at any MongoDB; otherwise SecantusDB (test-only
dependency, `pip install secantusdb`) is started once per session on a free loopback port.
Each test gets its own database (`mongo_store_uri`), so tests never see each other's data.
Load with `pytest_plugins = ["tests.mongo_server"]` or `pytest -p tests.mongo_server`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pymongo
import pytest

from bench.mongo import SERVER, LocalServer, secantus_executable

ENV_URI = "FINEWS_TEST_MONGO_URI"
HOW_TO_ENABLE = f"pip install secantusdb, or set {ENV_URI} to a MongoDB URI"


def start_local_server(workdir: Path) -> LocalServer:
    """Start SecantusDB in `workdir`, or skip the test with how to enable it."""
    executable = secantus_executable()
    if executable is None:
        pytest.skip(f"{SERVER} not installed: {HOW_TO_ENABLE}")
    server = LocalServer(executable, workdir)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"{SERVER} failed to start ({str(exc)[:120]}): {HOW_TO_ENABLE}")
    return server


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


@dataclass(frozen=True)
class AuthServer:
    """A SecantusDB that requires a login (`--auth`) and has one user."""

    server: LocalServer
    user: str
    password: str

    def uri(self, database: str, password: str | None = None) -> str:
        secret = self.password if password is None else password
        return (
            f"mongodb://{self.user}:{secret}@127.0.0.1:{self.server.port}/{database}"
            "?directConnection=true&authSource=admin"
        )


@pytest.fixture(scope="module")
def auth_mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    """SecantusDB with authentication on: the user is created without auth, then the server
    is restarted with `--auth` on the same data (SecantusDB's documented way)."""
    workdir = tmp_path_factory.mktemp("secantusdb-auth")
    user, password = "finews", "Pw-4f9c2e71-secret"
    setup = start_local_server(workdir)
    client = pymongo.MongoClient(setup.uri, serverSelectionTimeoutMS=3000)
    try:
        client.admin.command("createUser", user, pwd=password, roles=["root"])
    finally:
        client.close()
        setup.stop()
    server = LocalServer(setup.executable, workdir, port=setup.port, extra_args=("--auth",))
    server.start()
    try:
        yield AuthServer(server, user, password)
    finally:
        server.stop()
