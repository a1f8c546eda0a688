"""Memory: peak RSS of end-to-end crawls of growing size, from the same mock site process.

A crawler that keeps per-article state grows with the crawl; ours must not: the 100,000-article
peak may be at most 1.2x the 1,000-article peak.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from finews_crawler.bench.crawl import CRAWL_TIMEOUT, crawl_command
from finews_crawler.bench.measure import run_measured
from finews_crawler.mocksite import MockCorpus
from finews_crawler.mocksite.process import running_mock_site
from finews_crawler.sources.eastmoney import share_url


def run(sizes: tuple[int, ...] = (1_000, 20_000, 100_000), seed: int = 31) -> dict[str, Any]:
    largest = max(sizes)
    corpus = MockCorpus(seed=seed, count=largest)
    work = Path(tempfile.mkdtemp(prefix="finews-bench-mem-"))
    rows = []
    with running_mock_site(largest, seed) as site:
        for size in sizes:
            urls = work / f"urls-{size}.txt"
            with urls.open("w") as out:
                for i in range(size):
                    out.write(share_url(site.base_url, f"NW{corpus.article_id(i)}") + "\n")
            command = crawl_command(f"sqlite:///{work}/mem-{size}.sqlite3", urls)
            measure = run_measured(command, timeout=CRAWL_TIMEOUT)
            rows.append(
                {
                    "articles": size,
                    "peak_rss_mb": round(measure.peak_rss_mb, 1),
                    "articles_per_s": round(size / measure.wall_s, 1),
                    "ok": measure.returncode == 0,
                }
            )
    smallest = rows[0]["peak_rss_mb"]
    return {
        "rows": rows,
        "ratio_largest_to_smallest": round(rows[-1]["peak_rss_mb"] / smallest, 3),
        "target_ratio": 1.2,
    }
