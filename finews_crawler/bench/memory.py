"""Memory: peak RSS of end-to-end feed crawls of growing size against one mock site.

A crawler that keeps per-article state grows with the crawl; ours must not: the 100,000-article
peak may be at most 1.2x the 1,000-article peak. Each size is a fresh `finews crawl emnews`
limited to its first N articles (`-a max_pages`), into its own SQLite file.
"""

from __future__ import annotations

import math
from typing import Any

from finews_crawler.bench.crawl import CRAWL_TIMEOUT, feed_crawl_command
from finews_crawler.bench.measure import run_measured, scratch_dir
from finews_crawler.bench.peers import PAGE
from finews_crawler.mocksite.process import running_mock_site


def run(sizes: tuple[int, ...] = (1_000, 20_000, 100_000), seed: int = 31) -> dict[str, Any]:
    with scratch_dir("finews-bench-mem-") as work:
        rows = []
        with running_mock_site(max(sizes), seed) as site:
            for size in sizes:
                command = feed_crawl_command(
                    f"sqlite:///{work}/mem-{size}.sqlite3",
                    site.base_url,
                    "-a",
                    f"count={PAGE}",
                    "-a",
                    f"max_pages={math.ceil(size / PAGE)}",
                )
                measure = run_measured(command, timeout=CRAWL_TIMEOUT)
                rows.append(
                    {
                        "articles": size,
                        "peak_rss_mb": round(measure.peak_rss_mb, 1),
                        "articles_per_s": round(size / measure.wall_s, 1),
                        "ok": measure.returncode == 0,
                    }
                )
        return {
            "rows": rows,
            "ratio_largest_to_smallest": round(rows[-1]["peak_rss_mb"] / rows[0]["peak_rss_mb"], 3),
            "target_ratio": 1.2,
        }
