"""Crawl throughput: our end-to-end crawl vs the fetch-only ceiling and two peers.

All four fetch from the same mock site in the same run:
  ours           share page -> text API -> pipelines -> SQLite store (`finews crawl newsshare`)
  scrapy-fetch   the same crawl with the item pipelines disabled (the fetch-only ceiling)
  requests-loop  the replaced archive's way: sequential text-API calls, one file per article
  aiohttp        the same share + API requests at our concurrency, fetch only
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from finews_crawler.bench.measure import run_measured
from finews_crawler.mocksite import MockCorpus
from finews_crawler.mocksite.process import running_mock_site
from finews_crawler.settings import CONCURRENT_REQUESTS_PER_DOMAIN
from finews_crawler.sources.eastmoney import share_url

CRAWL_TIMEOUT = 1800


def crawl_command(store_uri: str, urls_file: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "finews_crawler.cli",
        "--store",
        store_uri,
        "crawl",
        "newsshare",
        "-a",
        f"urls_file={urls_file}",
        "-L",
        "WARNING",
        "-s",
        "FINEWS_PROGRESS=0",
        *extra,
    ]


def _row(name: str, articles: int, measure) -> dict[str, Any]:
    return {
        "name": name,
        "articles": articles,
        "wall_s": round(measure.wall_s, 3),
        "articles_per_s": round(articles / measure.wall_s, 1),
        "cpu_ms_per_article": round(1000 * measure.cpu_s / articles, 3),
        "peak_rss_mb": round(measure.peak_rss_mb, 1),
        "ok": measure.returncode == 0,
    }


def run(articles: int, seed: int = 5) -> dict[str, Any]:
    corpus = MockCorpus(seed=seed, count=articles)
    work = Path(tempfile.mkdtemp(prefix="finews-bench-crawl-"))
    codes = [corpus.article_id(i) for i in range(articles)]
    (work / "codes.txt").write_text("\n".join(f"NW{code}" for code in codes) + "\n")
    rows = []
    with running_mock_site(articles, seed) as site:
        urls_file = work / "share-urls.txt"
        urls_file.write_text("\n".join(share_url(site.base_url, f"NW{c}") for c in codes) + "\n")
        variants = {
            "ours (end to end)": crawl_command(f"sqlite:///{work}/ours.sqlite3", urls_file),
            "scrapy fetch-only (a)": crawl_command(
                f"sqlite:///{work}/fetch-only.sqlite3", urls_file, "-s", "ITEM_PIPELINES={}"
            ),
            "requests loop (b)": [
                sys.executable,
                "-m",
                "finews_crawler.bench.peers",
                "requests-loop",
                site.base_url,
                str(work / "codes.txt"),
                str(work / "posts"),
            ],
            "aiohttp fetch-only (c)": [
                sys.executable,
                "-m",
                "finews_crawler.bench.peers",
                "aiohttp",
                str(urls_file),
                str(CONCURRENT_REQUESTS_PER_DOMAIN),
            ],
        }
        for name, command in variants.items():
            measure = run_measured(command, timeout=CRAWL_TIMEOUT)
            if measure.returncode != 0:
                print(f"  {name} failed: {measure.stderr_tail}", file=sys.stderr)
            rows.append(_row(name, articles, measure))
            print(f"  {name}: {rows[-1]['articles_per_s']} articles/s", file=sys.stderr)
    ours, ceiling, loop, aio = (row["articles_per_s"] for row in rows)
    return {
        "articles": articles,
        "rows": rows,
        "ratios": {
            "ours / scrapy fetch-only": round(ours / ceiling, 3),
            "ours / requests loop": round(ours / loop, 2),
            "ours / aiohttp fetch-only": round(ours / aio, 3),
        },
        "targets": {"ours / scrapy fetch-only": 0.70, "ours / requests loop": 10.0},
    }
