"""The servers a scenario needs, all on loopback: the mock site, SecantusDB, redis-server.

The mock site is restarted on the same port to heal it, so URLs stored before and after the
heal name the same host. Servers are started with the project's own launchers
(mocksite/process.py, bench/mongo.py, tests/redis_server.py).
"""

from __future__ import annotations

import json
import shutil
import threading
import urllib.request
from pathlib import Path
from typing import Any

from bench.mongo import SERVER, LocalServer, secantus_executable
from mocksite.faults import parse_faults
from mocksite.process import MockSiteProcess, start_mock_site, stop_process
from tests.redis_server import RedisServer, redis_binary, start_redis

from .scenarios import SEED


class Unavailable(RuntimeError):
    """A server this row needs cannot be had here (the row is skipped with this reason)."""


def unknown_kinds(kinds: set[str]) -> set[str]:
    """Fault kinds the mock site of this checkout does not know (its own parser decides)."""
    unknown = set()
    for kind in kinds:
        try:
            parse_faults(None, rules=[f"^$={kind}"])
        except ValueError:
            unknown.add(kind)
    return unknown


class MockSite:
    """A mock site child that can be healed: restarted on its port without its faults."""

    def __init__(self, articles: int, fault_args: tuple[str, ...], latency_ms: float) -> None:
        self.articles = articles
        self.latency = ("--latency-ms", str(latency_ms)) if latency_ms else ()
        self.process: MockSiteProcess = start_mock_site(
            articles, SEED, extra_args=(*fault_args, *self.latency)
        )
        self.port = self.process.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def heal(self) -> None:
        """Restart without fault flags, on the same port (the crawler keeps its base URL)."""
        self.process.stop()
        self.process = start_mock_site(
            self.articles, SEED, extra_args=("--port", str(self.port), *self.latency)
        )

    def get_json(self, path: str, timeout: float = 30) -> Any:
        with urllib.request.urlopen(self.base_url + path, timeout=timeout) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.stop()


def start_mongo(workdir: Path) -> LocalServer:
    """A private SecantusDB in `workdir` (the kill-db rows kill it; others share one)."""
    executable = secantus_executable()
    if executable is None:
        raise Unavailable(f"{SERVER} not installed (pip install secantusdb)")
    server = LocalServer(executable, workdir)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        raise Unavailable(f"{SERVER} did not start: {str(exc)[:120]}") from exc
    return server


class SharedMongo:
    """One SecantusDB for every MongoDB row that does not kill its server; started lazily."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.server: LocalServer | None = None
        self.error: str | None = None
        self.lock = threading.Lock()

    def uri(self) -> str:
        with self.lock:
            if self.server is None and self.error is None:
                try:
                    self.server = start_mongo(self.workdir)
                except Unavailable as exc:
                    self.error = str(exc)
            if self.server is None:
                raise Unavailable(self.error or "no MongoDB")
            return self.server.uri

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def start_private_redis() -> RedisServer:
    """A redis-server of this row's own (two rows with one spider would share keys)."""
    binary, why = redis_binary()
    if binary is None:
        raise Unavailable(f"no redis-server: {why}")
    try:
        return start_redis(binary)
    except RuntimeError as exc:
        raise Unavailable(str(exc)) from exc


def stop_redis(server: RedisServer) -> None:
    stop_process(server.process)
    shutil.rmtree(server.workdir, ignore_errors=True)
