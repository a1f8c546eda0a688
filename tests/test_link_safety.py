"""Link safety: what the crawler refuses to fetch, and that each refusal is a clear record.

Refused always: non-http(s) schemes, and links (or redirects) from a public page into a
private network. Refused when FINEWS_ALLOW_PRIVATE is false (one-off fetches of user-given
URLs): any private or loopback address. The tests allow loopback explicitly where they crawl
the mock site. Nothing here leaves loopback: "public" pages are literal public addresses
that are never contacted (the refusal happens before any connection).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import sqlite3

import pytest
from scrapy.http import Request

from finews_crawler.middlewares import (
    LinkRefused,
    LinkSafetyMiddleware,
    host_is_private,
    literal_address,
)
from tests.crawl_helpers import CrawlResult
from tests.crawl_helpers import crawl as run_crawl

TIMEOUT = 120


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # http://2130706433/
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("169.254.169.254", "169.254.169.254"),  # cloud metadata
    ],
)
def test_address_literals_in_every_spelling(host: str, address: str) -> None:
    assert literal_address(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "2130706433", "0x7f.1", "[::1]", "::ffff:127.0.0.1", "10.1.2.3", "172.16.0.9",
     "192.168.1.1", "169.254.169.254", "0.0.0.0", "fd00::1", "224.0.0.1", "localhost",
     "LOCALHOST.", "api.localhost"],
)  # fmt: skip
def test_private_hosts(host: str) -> None:
    assert host_is_private(host)


@pytest.mark.parametrize("host", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "no-such.invalid"])
def test_public_hosts(host: str) -> None:
    assert not host_is_private(host)  # unresolvable names are left to fail on their own


def _refusal(middleware: LinkSafetyMiddleware, request: Request) -> str | None:
    """Run the real middleware on one request; the refusal message, or None if let through."""
    try:
        asyncio.run(middleware.process_request(request))
    except LinkRefused as refused:
        return str(refused)
    return None


def test_links_from_public_pages_into_private_networks_are_refused() -> None:
    allowing = LinkSafetyMiddleware(allow_private=True)
    target = "http://169.254.169.254/latest/meta-data/"
    linked = Request(target, headers={"Referer": "http://93.184.216.34/feed.json"})
    assert "refused link from public page 93.184.216.34" in _refusal(allowing, linked)
    redirected = Request(target, meta={"redirect_urls": ["http://93.184.216.34/a.html"]})
    assert "to private address 169.254.169.254" in _refusal(allowing, redirected)
    # A private page may link to its own network (the mock site, a LAN mirror) ...
    local = Request("http://127.0.0.1:9/a.html", headers={"Referer": "http://127.0.0.1:9/"})
    assert _refusal(allowing, local) is None
    # ... and a crawl may be pointed at one directly, unless private addresses are off.
    assert _refusal(allowing, Request("http://10.0.0.8/a.html")) is None
    refusing = LinkSafetyMiddleware(allow_private=False)
    message = _refusal(refusing, Request("http://2130706433/a.html"))
    assert message and "refused private/loopback address" in message
    assert _refusal(refusing, Request("http://93.184.216.34/a.html")) is None


def crawl(store, *arguments: str) -> CrawlResult:
    return run_crawl(
        f"sqlite:///{store}", "newsshare", *arguments, "-s", "DOWNLOAD_TIMEOUT=2", timeout=TIMEOUT
    )


def failures(store) -> dict[str, dict]:
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT url, doc FROM failures").fetchall()
    return {url: json.loads(doc) for url, doc in rows}


def test_crawl_refuses_other_schemes_with_a_permanent_record(tmp_path) -> None:
    store = tmp_path / "schemes.sqlite3"
    urls = ["file:///etc/passwd", "ftp://127.0.0.1/pub/x.html", "data:text/html,<p>x</p>"]
    urls_file = tmp_path / "urls.txt"
    urls_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    result = crawl(store, "-a", f"urls_file={urls_file}")
    assert result.returncode == 1
    records = failures(store)
    assert set(records) == set(urls)
    for url, record in records.items():
        scheme = url.split(":", 1)[0]
        assert record["stage"] == "fetch" and record["retriable"] is False
        assert record["reason"].startswith(f"LinkRefused: refused {scheme}: URL (only http/https)")


def test_private_addresses_refused_when_not_allowed(mock_site, tmp_path) -> None:
    url = mock_site.share_url(11)
    before = mock_site.get_json("/_log")["requests"]
    refused_store = tmp_path / "refused.sqlite3"
    refused = crawl(refused_store, "-a", f"url={url}", "-s", "FINEWS_ALLOW_PRIVATE=0")
    assert refused.returncode == 1
    (record,) = failures(refused_store).values()
    assert record["url"] == url and record["retriable"] is False
    assert "refused private/loopback address 127.0.0.1" in record["reason"]
    after = mock_site.get_json("/_log")["requests"]
    path = url.removeprefix(mock_site.base_url)
    assert after.get(path, 0) == before.get(path, 0)  # not even one request reached the site

    allowed_store = tmp_path / "allowed.sqlite3"
    allowed = crawl(allowed_store, "-a", f"url={url}", "-s", "FINEWS_ALLOW_PRIVATE=1")
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert failures(allowed_store) == {}
