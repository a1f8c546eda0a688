"""Run the mock site as a child process on a free loopback port (demo, benchmarks, tests)."""

from __future__ import annotations

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


@dataclass
class MockSiteProcess:
    """A running `python -m finews_crawler.mocksite` child."""

    process: subprocess.Popen
    port: int
    articles: int
    seed: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_mock_site(
    articles: int, seed: int = 7, *, extra_args: tuple[str, ...] = (), timeout: float = 30.0
) -> MockSiteProcess:
    """Start the mock site on port 0 and wait until it answers HTTP."""
    port_file = Path(tempfile.mkdtemp(prefix="finews-mock-")) / "port"
    command = [sys.executable, "-m", "finews_crawler.mocksite", "--host", "127.0.0.1"]
    command += ["--port", "0", "--articles", str(articles), "--seed", str(seed)]
    command += ["--port-file", str(port_file), *extra_args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise MockSiteError(f"mock site exited with {process.returncode}: {error[-500:]}")
        text = port_file.read_text().strip() if port_file.exists() else ""
        if text.isdigit():
            site = MockSiteProcess(process, int(text), articles, seed)
            try:
                urllib.request.urlopen(f"{site.base_url}/robots.txt", timeout=2).read()
                return site
            except OSError:
                pass
        time.sleep(0.05)
    process.kill()
    raise MockSiteError(f"mock site did not answer within {timeout:.0f}s")


@contextmanager
def running_mock_site(articles: int, seed: int = 7, **kwargs) -> Iterator[MockSiteProcess]:
    site = start_mock_site(articles, seed, **kwargs)
    try:
        yield site
    finally:
        site.stop()
