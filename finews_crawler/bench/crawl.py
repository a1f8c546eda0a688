"""Crawl throughput: our end-to-end crawl vs the fetch-only ceiling and two peers.

All four read the rolling feed and fetch each article's text API from the same mock site, in
the same run, with the same network latency added by the mock site to every response (the real
source is not on loopback: without latency a sequential loop would look as fast as a crawler):
  ours           `finews crawl emnews`: feed -> text API -> pipelines -> SQLite store
  scrapy-fetch   the same crawl with the item pipelines disabled (the fetch-only ceiling)
  requests-loop  the replaced archive's way: one request at a time, one file per article
  aiohttp        the same requests at our per-host concurrency, fetch only
"""

from __future__ import annotations

import sys
from typing import Any

from finews_crawler.bench.measure import run_measured, scratch_dir
from finews_crawler.mocksite.process import running_mock_site
from finews_crawler.settings import CONCURRENT_REQUESTS_PER_DOMAIN

CRAWL_TIMEOUT = 3600
LATENCY_MS = 50  # a round trip to a mainland server plus its own response time


def feed_crawl_command(store_uri: str, base: str, *extra: str) -> list[str]:
    """`finews crawl emnews` against a mock site, quiet, no progress line."""
    return [
        sys.executable,
        "-m",
        "finews_crawler.cli",
        "--store",
        store_uri,
        "crawl",
        "emnews",
        "-s",
        f"FINEWS_FEED_BASE={base}",
        "-s",
        f"FINEWS_SHARE_BASE={base}",
        "-s",
        "FINEWS_PROGRESS=0",
        "-L",
        "WARNING",
        *extra,
    ]


def row(name: str, articles: int, measure) -> dict[str, Any]:
    return {
        "name": name,
        "articles": articles,
        "wall_s": round(measure.wall_s, 3),
        "articles_per_s": round(articles / measure.wall_s, 1),
        "cpu_ms_per_article": round(1000 * measure.cpu_s / articles, 3),
        "peak_rss_mb": round(measure.peak_rss_mb, 1),
        "ok": measure.returncode == 0,
    }


def run(articles: int, seed: int = 5, latency_ms: int = LATENCY_MS) -> dict[str, Any]:
    with scratch_dir("finews-bench-crawl-") as work:
        peer = [sys.executable, "-m", "finews_crawler.bench.peers"]
        rows = []
        extra = ("--latency-ms", str(latency_ms))
        with running_mock_site(articles, seed, extra_args=extra) as site:
            base = site.base_url
            variants = {
                "ours (end to end)": feed_crawl_command(f"sqlite:///{work}/ours.sqlite3", base),
                "scrapy fetch-only (a)": feed_crawl_command(
                    f"sqlite:///{work}/fetch-only.sqlite3", base, "-s", "ITEM_PIPELINES={}"
                ),
                "requests loop (b)": [
                    *peer,
                    "requests-loop",
                    base,
                    str(articles),
                    str(work / "posts"),
                ],
                "aiohttp fetch-only (c)": [
                    *peer,
                    "aiohttp",
                    base,
                    str(articles),
                    str(CONCURRENT_REQUESTS_PER_DOMAIN),
                ],
            }
            for name, command in variants.items():
                measure = run_measured(command, timeout=CRAWL_TIMEOUT)
                if measure.returncode != 0:
                    print(f"  {name} failed: {measure.stderr_tail}", file=sys.stderr)
                rows.append(row(name, articles, measure))
                print(f"  {name}: {rows[-1]['articles_per_s']} articles/s", file=sys.stderr)
        ours, ceiling, loop, aio = (entry["articles_per_s"] for entry in rows)
        return {
            "articles": articles,
            "latency_ms": latency_ms,
            "rows": rows,
            "ratios": {
                "ours / scrapy fetch-only": round(ours / ceiling, 3),
                "ours / requests loop": round(ours / loop, 2),
                "ours / aiohttp fetch-only": round(ours / aio, 3),
            },
            "targets": {"ours / scrapy fetch-only": 0.70, "ours / requests loop": 10.0},
        }
