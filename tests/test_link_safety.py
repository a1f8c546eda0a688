"""Link safety: what the crawler refuses to fetch, and that each refusal is a clear record.

Refused always: non-http(s) schemes (redirects to them included), link-local / cloud
metadata / reserved addresses from every origin, and links (or redirects) from a public page
into a private network. Refused when FINEWS_ALLOW_PRIVATE is false (one-off fetches of
user-given URLs): any private or loopback address. The tests allow loopback explicitly where
they crawl the mock site. Nothing here leaves loopback: "public" pages are literal public
addresses that are never contacted, and the suite's network guard (tests/netguard) fails any
test whose processes try to connect outside 127.0.0.0/8. Non-loopback addresses are built
from integers, so no private or metadata address is written out in the tests.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from scrapy.http import Request

from finews_crawler.crawl.middlewares import (
    LinkRefused,
    LinkSafetyMiddleware,
    host_is_private,
    literal_address,
)
from finews_crawler.crawl.middlewares.link_safety import BLOCKED, LOOPBACK, PRIVATE, address_kind
from tests.crawl_helpers import CrawlResult, finews_command
from tests.crawl_helpers import crawl as run_crawl
from tests.netguard import violations_since

TIMEOUT = 120


def v4(number: int) -> str:
    return str(ipaddress.IPv4Address(number))


def v6(number: int) -> str:
    return str(ipaddress.IPv6Address(number))


METADATA = v4(0xA9FEA9FE)  # the cloud metadata address (AWS, GCP, Azure, OpenStack)
LINK_LOCAL_V6 = v6(0xFE80 << 112 | 1)
LAN = v4(0x0A000008)  # an RFC 1918 address


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # http://2130706433/
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        (METADATA, METADATA),
        (str(0xA9FEA9FE), METADATA),  # the same, as one integer
    ],
)
def test_address_literals_in_every_spelling(host: str, address: str) -> None:
    assert literal_address(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "2130706433", "0x7f.1", "[::1]", "::ffff:127.0.0.1", v4(0x0A010203),
     v4(0xAC100009), v4(0xC0A80101), METADATA, "0.0.0.0", v6(0xFD00 << 112 | 1), "224.0.0.1",
     "localhost", "LOCALHOST.", "api.localhost"],
)  # fmt: skip
def test_private_hosts(host: str) -> None:
    assert host_is_private(host)


@pytest.mark.parametrize("host", ["8.8.8.8", "93.184.216.34", "2606:4700::1111"])
def test_public_hosts(host: str) -> None:
    assert not host_is_private(host)  # literals only: a name would be a DNS query


def _refusal(middleware: LinkSafetyMiddleware, request: Request) -> str | None:
    """Run the real middleware on one request; the refusal message, or None if let through."""
    try:
        asyncio.run(middleware.process_request(request))
    except LinkRefused as refused:
        return str(refused)
    return None


def test_links_from_public_pages_into_private_networks_are_refused() -> None:
    allowing = LinkSafetyMiddleware(allow_private=True)
    target = f"http://{LAN}/admin"
    linked = Request(target, headers={"Referer": "http://93.184.216.34/feed.json"})
    assert "refused link from public page 93.184.216.34" in _refusal(allowing, linked)
    redirected = Request(target, meta={"redirect_urls": ["http://93.184.216.34/a.html"]})
    assert f"to private address {LAN}" in _refusal(allowing, redirected)
    # A private page may link to its own network (the mock site, a LAN mirror) ...
    local = Request("http://127.0.0.1:9/a.html", headers={"Referer": "http://127.0.0.1:9/"})
    assert _refusal(allowing, local) is None
    # ... and a crawl may be pointed at one directly, unless private addresses are off.
    assert _refusal(allowing, Request(f"http://{LAN}/a.html")) is None
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


NON_ROUTABLE = [
    METADATA,
    v4(0xA9FE0001),  # elsewhere in link-local
    LINK_LOCAL_V6,
    f"::ffff:{METADATA}",  # IPv4-mapped
    v6(0x2002 << 112 | 0xA9FEA9FE << 80),  # 6to4 carrying the metadata address
    v6(0xFD00 << 112 | 0x0EC2 << 96 | 0x254),  # AWS's IPv6 metadata (inside unique-local)
    v4(0x646464C8),  # Alibaba Cloud's metadata (shared address space)
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    v4(0xF0000001),  # reserved (240/4)
]


@pytest.mark.parametrize("address", NON_ROUTABLE)
@pytest.mark.parametrize(
    "origin",
    [None, "http://127.0.0.1:9/feed.json", f"http://{LAN}/a.html", "http://93.184.216.34/"],
)
def test_non_routable_addresses_are_refused_from_every_origin(address: str, origin) -> None:
    """Allowing private addresses (crawls of configured bases) never opens these."""
    host = f"[{address}]" if ":" in address else address
    meta = {"redirect_urls": [origin]} if origin else {}
    request = Request(f"http://{host}/latest/meta-data/", meta=meta)
    message = _refusal(LinkSafetyMiddleware(allow_private=True), request)
    assert message and message.startswith(f"refused non-routable address {address}")
    assert address_kind(ipaddress.ip_address(address)) == BLOCKED


def test_loopback_and_lan_stay_allowed_from_private_bases() -> None:
    allowing = LinkSafetyMiddleware(allow_private=True)
    for origin in ("http://127.0.0.1:9/feed.json", f"http://{LAN}/feed.json"):
        for target in ("http://127.0.0.1:9/a.html", f"http://{LAN}/a.html", "http://[::1]:9/"):
            request = Request(target, meta={"redirect_urls": [origin]})
            assert _refusal(allowing, request) is None, (origin, target)
    assert address_kind(ipaddress.ip_address("127.0.0.1")) == LOOPBACK
    assert address_kind(ipaddress.ip_address(LAN)) == PRIVATE
    assert address_kind(ipaddress.IPv4Address(0x64400001)) == PRIVATE  # a VPN overlay (CGNAT)


def redirect_to(mock_site, target: str) -> str:
    """A mock-site URL answering 302 with `Location: target` (never contacted by the site)."""
    return mock_site.url(f"/_redirect?to={quote(target, safe='')}")


def requests_logged(mock_site, url: str) -> int:
    return mock_site.get_json("/_log")["requests"].get(url.removeprefix(mock_site.base_url), 0)


def test_redirect_from_loopback_to_metadata_is_refused_before_connecting(
    mock_site, tmp_path, network_guard: Path
) -> None:
    """A loopback base is allowed loopback, never the metadata address it redirects to.

    The network guard (conftest) would have refused the connection and failed this test;
    here it also proves that no connection outside loopback was even attempted.
    """
    guard_offset = network_guard.stat().st_size
    url = redirect_to(mock_site, f"http://{METADATA}/latest/meta-data/")
    before = requests_logged(mock_site, url)
    store = tmp_path / "metadata.sqlite3"
    result = crawl(store, "-a", f"url={url}", "-s", "FINEWS_ALLOW_PRIVATE=1")
    assert result.returncode == 1, result.stderr[-2000:]
    assert requests_logged(mock_site, url) == before + 1  # the 302 was served, once
    (record,) = failures(store).values()
    assert record["reason"].startswith(f"LinkRefused: refused non-routable address {METADATA}")
    assert record["url"] == url and record["retriable"] is False
    assert violations_since(network_guard, guard_offset) == ""


def test_redirect_to_another_scheme_is_a_link_refused_record(mock_site, tmp_path) -> None:
    url = redirect_to(mock_site, "file:///etc/passwd")
    store = tmp_path / "file-redirect.sqlite3"
    result = crawl(store, "-a", f"url={url}")
    assert result.returncode == 1, result.stderr[-2000:]
    (record,) = failures(store).values()
    assert record["reason"].startswith("LinkRefused: refused file: URL (only http/https)")
    assert record["url"] == url and record["stage"] == "fetch" and record["retriable"] is False


def test_fetch_refuses_redirects_to_metadata_and_other_schemes(
    mock_site, tmp_path, network_guard: Path
) -> None:
    """`finews fetch --allow-private` (loopback allowed) still refuses both redirects."""
    guard_offset = network_guard.stat().st_size
    to_metadata = redirect_to(mock_site, f"http://{METADATA}/latest/meta-data/")
    to_file = redirect_to(mock_site, "file:///etc/passwd")
    command = finews_command(f"sqlite:///{tmp_path / 'fetch.sqlite3'}", "fetch", "--allow-private")
    done = subprocess.run(
        [*command, to_metadata, to_file],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=tmp_path,
        env=dict(os.environ),
        check=False,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    failed = {
        line.split()[3].rstrip(":"): line for line in done.stderr.splitlines() if " FAILED " in line
    }
    assert f"LinkRefused: refused non-routable address {METADATA}" in failed[to_metadata]
    assert "LinkRefused: refused file: URL (only http/https)" in failed[to_file]
    assert "2 target(s): 0 ok" in done.stderr
    assert violations_since(network_guard, guard_offset) == ""
