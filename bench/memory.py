"""Memory: peak RSS of end-to-end feed crawls of growing size against one mock site.

A crawler that keeps per-article state grows with the crawl. Each size is a fresh
`finews crawl emnews` limited to its first N articles (`-a max_pages`), into its own SQLite
file. Reported: bytes per article, the least-squares slope of peak RSS over the article count
(what each article costs beyond the fixed start-up, the intercept), and the ratio of the
largest crawl's peak to the smallest's (target <= 1.2).
"""

from __future__ import annotations

import math
from typing import Any

from bench.crawl import CRAWL_TIMEOUT, feed_crawl_command
from bench.measure import run_measured, scratch_dir
from bench.peers import PAGE
from mocksite.process import running_mock_site


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares (slope, intercept) of ys over xs."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs) or 1.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return slope, mean_y - slope * mean_x


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
                        "peak_rss_mb": round(measure.peak_rss_mb, 2),
                        "articles_per_s": round(size / measure.wall_s, 1),
                        "ok": measure.returncode == 0,
                    }
                )
        slope, intercept = fit([r["articles"] for r in rows], [r["peak_rss_mb"] for r in rows])
        return {
            "rows": rows,
            "bytes_per_article": round(slope * 2**20),
            "fixed_mb": round(intercept, 1),
            "ratio_largest_to_smallest": round(rows[-1]["peak_rss_mb"] / rows[0]["peak_rss_mb"], 3),
            "target_ratio": 1.2,
        }
