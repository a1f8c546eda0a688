"""pytest plugin: a real Redis server (Debian's `redis-server`) on a free loopback port.

The distributed tests need the engine scrapy-redis talks to, not a fake. When the binary is
missing the fixture installs the Debian package with apt-get (the test machines are root
containers); when that is impossible the tests skip with a one-line reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from finews_crawler.mocksite.process import free_port, stop_process

START_TIMEOUT = 20.0
APT_TIMEOUT = 600


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
    """The redis-server path, installing Debian's package if needed; else (None, why)."""
    found = shutil.which("redis-server")
    if found:
        return found, ""
    if os.environ.get("FINEWS_NO_APT") or not shutil.which("apt-get"):
        return None, "redis-server is not installed and apt-get is unavailable or disabled"
    if os.geteuid() != 0:
        return None, "redis-server is not installed and installing it needs root (apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "redis-server"],
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "redis-server"],
    ):
        try:
            result = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"apt-get failed: {exc}"
        if command[1] == "install" and result.returncode == 0:
            break
    found = shutil.which("redis-server")
    return (found, "") if found else (None, "apt-get could not install redis-server")


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
