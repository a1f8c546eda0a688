"""Shared pytest fixtures.

mock_site / start_mock_site run the deterministic mock site (mocksite) as a real
subprocess on a free loopback port, so crawler tests exercise real HTTP without the internet.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from finews_crawler.sources.eastmoney import share_url
from mocksite import MockCorpus
from mocksite.process import MockSiteProcess
from mocksite.process import start_mock_site as launch
from tests.netguard import guard_session, violations_since

pytest_plugins = ["tests.redis_server", "tests.mongo_server"]

# Before any test or fixture opens a socket: nothing leaves 127.0.0.0/8 (tests/netguard).
NET_GUARD_LOG = guard_session()

MOCK_SITE_ARTICLES = 300
MOCK_SITE_SEED = 7


@dataclass
class MockSite:
    """A running mock-site subprocess plus an in-process corpus with the same seed/count."""

    running: MockSiteProcess
    corpus: MockCorpus

    @property
    def base_url(self) -> str:
        return self.running.base_url

    @property
    def port(self) -> int:
        return self.running.port

    @property
    def banner(self) -> str:
        return self.running.banner

    def url(self, path: str) -> str:
        return self.base_url + path

    def share_url(self, i: int) -> str:
        return share_url(self.base_url, f"NW{self.corpus.article_id(i)}")

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
        self.running.stop()


def launch_mock_site(articles: int, seed: int, *extra_args: str) -> MockSite:
    return MockSite(launch(articles, seed, extra_args=extra_args), MockCorpus(seed, articles))


@pytest.fixture(scope="session")
def mock_site() -> Iterator[MockSite]:
    """Session-wide mock site: 300 articles, seed 7. Do not mutate it (use start_mock_site)."""
    site = launch_mock_site(MOCK_SITE_ARTICLES, MOCK_SITE_SEED)
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture
def start_mock_site() -> Iterator[Callable[..., MockSite]]:
    """Factory: ``start_mock_site(articles=..., seed=..., extra_args=(...))`` -> a private site."""
    started: list[MockSite] = []

    def _start(
        articles: int = MOCK_SITE_ARTICLES, seed: int = MOCK_SITE_SEED, extra_args: tuple = ()
    ) -> MockSite:
        site = launch_mock_site(articles, seed, *extra_args)
        started.append(site)
        return site

    try:
        yield _start
    finally:
        for site in started:
            site.stop()


@pytest.fixture(scope="session", autouse=True)
def network_guard() -> Path:
    """Session-wide: every process of the suite is guarded; the log of refused attempts."""
    return NET_GUARD_LOG


@pytest.fixture(autouse=True)
def no_packet_leaves_loopback(network_guard: Path) -> Iterator[None]:
    """Fail the test if any of its processes tried to reach beyond 127.0.0.0/8 or ::1."""
    offset = network_guard.stat().st_size
    yield
    refused = violations_since(network_guard, offset)
    if refused:
        pytest.fail(f"the test tried to send a packet outside loopback:\n{refused[:4000]}")
