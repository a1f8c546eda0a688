"""pytest plugin: a real Redis server (Debian's `redis-server`) on a free loopback port.

The distributed tests need the engine scrapy-redis talks to, not a fake. `make test`
installs it first (`make system-deps`: Debian's redis-server); nothing is installed from
inside pytest. Without the binary the tests skip with a one-line reason naming that target.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mocksite.process import free_port, stop_process

START_TIMEOUT = 20.0


@dataclass
class RedisServer:
    """A running redis-server child bound to 127.0.0.1."""

    process: subprocess.Popen
    port: int
    workdir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def redis_binary() -> tuple[str | None, str]:
    """The redis-server path; else (None, why)."""
    found = shutil.which("redis-server")
    if found:
        return found, ""
    return None, "redis-server is not installed (run `make system-deps` as root, or `make test`)"


def start_redis(binary: str) -> RedisServer:
    """Start redis-server without persistence on a free port and wait until it answers."""
    workdir = Path(tempfile.mkdtemp(prefix="finews-redis-"))
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(workdir), "--protected-mode", "yes"]
    with (workdir / "redis.log").open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return RedisServer(process, port, workdir)
        except OSError:
            time.sleep(0.05)
    stop_process(process)
    shutil.rmtree(workdir, ignore_errors=True)
    raise RuntimeError(f"redis-server did not answer within {START_TIMEOUT:.0f}s")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """Session-wide Redis on loopback; tests flush what they use (keys are per spider)."""
    binary, why = redis_binary()
    if binary is None:
        pytest.skip(f"no Redis for the distributed tests: {why}")
    try:
        server = start_redis(binary)
    except RuntimeError as exc:
        pytest.skip(f"no Redis for the distributed tests: {exc}")
    try:
        yield server
    finally:
        stop_process(server.process)
        shutil.rmtree(server.workdir, ignore_errors=True)
