"""Shared pytest fixtures.

mock_site / start_mock_site run the deterministic mock site (finews_crawler.mocksite) as a real
subprocess on a free loopback port, so crawler tests exercise real HTTP without the internet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from finews_crawler.mocksite import MockCorpus  # noqa: E402

MOCK_SITE_ARTICLES = 300
MOCK_SITE_SEED = 7


@dataclass
class MockSite:
    """A running mock-site subprocess plus an in-process corpus with the same seed/count."""

    base_url: str
    port: int
    corpus: MockCorpus
    process: subprocess.Popen[str]
    banner: str

    def url(self, path: str) -> str:
        return self.base_url + path

    def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) without raising on 4xx/5xx."""
        req = urllib.request.Request(self.url(path), method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def get_json(self, path: str, method: str = "GET") -> Any:
        status, _, body = self.get(path, method)
        assert status == 200, (path, status, body[:200])
        return json.loads(body)

    def get_text(self, path: str) -> str:
        status, _, body = self.get(path)
        assert status == 200, (path, status)
        return body.decode("utf-8")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


def launch_mock_site(articles: int, seed: int, workdir: Path, timeout: float = 30.0) -> MockSite:
    """Start ``python -m finews_crawler.mocksite`` on port 0 and wait until it answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / f"mock-site-{seed}-{articles}-{time.monotonic_ns()}.port"
    err_path = port_file.with_suffix(".stderr")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    cmd = [
        sys.executable, "-m", "finews_crawler.mocksite", "--host", "127.0.0.1", "--port", "0",
        "--articles", str(articles), "--seed", str(seed), "--port-file", str(port_file),
    ]  # fmt: skip
    with open(err_path, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True
        )
    deadline = time.monotonic() + timeout
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"mock site did not start: {err_path.read_text()}")
        time.sleep(0.02)
    port = int(port_file.read_text().strip())
    assert proc.stdout is not None
    banner = proc.stdout.readline().strip()
    site = MockSite(f"http://127.0.0.1:{port}", port, MockCorpus(seed, articles), proc, banner)
    while True:  # poll until it answers HTTP
        try:
            with urllib.request.urlopen(site.url("/robots.txt"), timeout=2) as resp:
                if resp.status == 200:
                    return site
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            site.stop()
            raise RuntimeError(f"mock site did not answer: {err_path.read_text()}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def mock_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockSite]:
    """Session-wide mock site: 300 articles, seed 7. Do not mutate it (use start_mock_site)."""
    site = launch_mock_site(
        MOCK_SITE_ARTICLES, MOCK_SITE_SEED, tmp_path_factory.mktemp("mock_site")
    )
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture
def start_mock_site(tmp_path: Path) -> Iterator[Callable[..., MockSite]]:
    """Factory: ``start_mock_site(articles=..., seed=...)`` -> a private MockSite, stopped after."""
    started: list[MockSite] = []

    def _start(articles: int = MOCK_SITE_ARTICLES, seed: int = MOCK_SITE_SEED) -> MockSite:
        site = launch_mock_site(articles, seed, tmp_path / f"site{len(started)}")
        started.append(site)
        return site

    try:
        yield _start
    finally:
        for site in started:
            site.stop()
