"""Where the end-to-end crawl spends its time: our crawl under pyinstrument, report kept."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from finews_crawler.bench.crawl import CRAWL_TIMEOUT, feed_crawl_command
from finews_crawler.bench.measure import run_measured, scratch_dir
from finews_crawler.mocksite.process import running_mock_site


def run(articles: int, out_dir: Path, seed: int = 37) -> dict[str, Any]:
    with scratch_dir("finews-bench-profile-") as work:
        report = out_dir / "profile.txt"
        out_dir.mkdir(parents=True, exist_ok=True)
        with running_mock_site(articles, seed) as site:
            crawl = feed_crawl_command(f"sqlite:///{work}/profile.sqlite3", site.base_url)
            # crawl[0:3] is "python -m finews_crawler.cli": run the same module under the profiler.
            command = [
                sys.executable,
                "-m",
                "pyinstrument",
                "-r",
                "text",
                "-o",
                str(report),
                "-m",
                *crawl[2:],
            ]
            measure = run_measured(command, timeout=CRAWL_TIMEOUT)
        return {"articles": articles, "report": str(report), "ok": measure.returncode == 0}
