"""Run the mock site as a child process on a free loopback port (demo, benchmarks, tests)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class MockSiteError(RuntimeError):
    """The mock site did not come up."""


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it does not go; always reaped."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


@dataclass
class MockSiteProcess:
    """A running `python -m mocksite` child."""

    process: subprocess.Popen
    port: int
    workdir: Path
    banner: str = ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_process(self.process)
        if self.process.stdout:
            self.process.stdout.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_mock_site(
    articles: int, seed: int = 7, *, extra_args: tuple[str, ...] = (), timeout: float = 30.0
) -> MockSiteProcess:
    """Start the mock site on port 0 and wait until it answers HTTP."""
    workdir = Path(tempfile.mkdtemp(prefix="finews-mock-"))
    port_file, log_file = workdir / "port", workdir / "stderr.log"
    command = [sys.executable, "-m", "mocksite", "--host", "127.0.0.1"]
    command += ["--port", "0", "--articles", str(articles), "--seed", str(seed)]
    command += ["--port-file", str(port_file), *extra_args]
    # stderr goes to a file: a pipe nobody reads would stall a chatty server.
    with log_file.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, text=True, encoding="utf-8"
        )
    site: MockSiteProcess | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = log_file.read_text(encoding="utf-8", errors="replace")
            shutil.rmtree(workdir, ignore_errors=True)
            raise MockSiteError(f"mock site exited with {process.returncode}: {error[-500:]}")
        text = port_file.read_text().strip() if port_file.exists() else ""
        if site is None and text.isdigit():
            banner = process.stdout.readline().strip() if process.stdout else ""
            site = MockSiteProcess(process, int(text), workdir, banner)
        if site is not None:
            try:  # /_log: not counted in the request log, never delayed or faulted
                urllib.request.urlopen(f"{site.base_url}/_log", timeout=2).read()
                return site
            except OSError:
                pass
        time.sleep(0.05)
    if site is None:
        site = MockSiteProcess(process, 0, workdir)
    site.stop()
    raise MockSiteError(f"mock site did not answer within {timeout:.0f}s")


@contextmanager
def running_mock_site(articles: int, seed: int = 7, **kwargs) -> Iterator[MockSiteProcess]:
    site = start_mock_site(articles, seed, **kwargs)
    try:
        yield site
    finally:
        site.stop()
