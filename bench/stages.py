"""CPU per article of each pipeline stage, in process: the profile of the speed work.

The crawl benchmark measures the whole crawler (Scrapy included) in a child process; this one
runs the same stage objects the crawl runs (extract, normalize, validate, dedupe, store into
SQLite in batches of the pipeline's size) on the mock site's text-API answers, as the
`emnews` feed spider hands them over, and times each stage with the process's CPU clock.
Repeated `--repeats` times, interleaved over the stages; medians are printed.

    python -m bench.stages [ARTICLES] [--repeats N] [--profile FILE]

`--profile FILE` writes a cProfile of one more pass (pstats format) for `python -m pstats`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import statistics
import sys
from datetime import UTC, datetime
from typing import Any

from bench.measure import cpu_time, scratch_dir
from finews_crawler.crawl.store_component import StoreComponent
from finews_crawler.items import RawPage
from finews_crawler.storage import open_store
from mocksite import MockCorpus
from mocksite.render import text_api
from pipelines.chain import STAGES
from pipelines.store import StorePipeline

BASE = "http://127.0.0.1:8000"


def raw_pages(count: int, seed: int = 5) -> list[RawPage]:
    """The text-API answers of `count` mock articles with the feed's context, as fetched."""
    corpus = MockCorpus(seed=seed, count=count)
    pages = []
    now = datetime.now(UTC)
    for i in range(count):
        article = corpus.article(i)
        code = article.info_code
        url = f"{BASE}/NewsData/GetNewsText.do?id={code}"
        link = f"{BASE}/html_News/NewsShare.html?infoCode={code}"
        context: dict[str, Any] = {
            "feed_title": article.title,
            "feed_published": article.showtime,
            "feed_summary": article.summary,
            "category": None,
            "tags": [],
            "info_code": code,
            "article_id": code[2:],
            "entry_url": link,
            "source_url": link,
        }
        pages.append(
            RawPage(
                url=url,
                final_url=url,
                status=200,
                text=json.dumps(text_api(article), ensure_ascii=False),
                content_type="application/json",
                error=None,
                context=context,
                spider="emnews",
                fetched_at=now,
            )
        )
    return pages


def one_pass(pages: list[RawPage], uri: str) -> dict[str, float]:
    """Every page through every stage, timing each stage's own CPU seconds."""
    with open_store(uri) as store:
        run = StoreComponent(store, spider="emnews")
        stages = [stage(run) for stage in STAGES]
        spent = {stage.stage_name(): 0.0 for stage in stages}
        for page in pages:
            item: Any = page
            for stage in stages:
                started = cpu_time()
                item = stage.process_item(item)
                spent[stage.stage_name()] += cpu_time() - started
        store_stage = stages[-1]
        assert isinstance(store_stage, StorePipeline)
        started = cpu_time()
        store_stage.flush()
        spent["store"] += cpu_time() - started
        if run.failures:
            raise SystemExit(f"failures: {run.failures[:3]}")
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("articles", type=int, nargs="?", default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile (pstats) of one more pass here")
    args = parser.parse_args(argv)
    pages = raw_pages(args.articles)
    passes = []
    with scratch_dir("finews-bench-stages-") as work:
        for attempt in range(args.repeats):
            passes.append(one_pass(pages, f"sqlite:///{work}/stages-{attempt}.sqlite3"))
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            one_pass(pages, f"sqlite:///{work}/profiled.sqlite3")
            profiler.disable()
            profiler.dump_stats(args.profile)
    total = 0.0
    print(f"{args.articles} articles, median of {args.repeats} passes (CPU ms / article)")
    for name in passes[0]:
        value = statistics.median(p[name] for p in passes) * 1000 / args.articles
        total += value
        print(f"  {name:10s} {value:.3f}")
    print(f"  {'total':10s} {total:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
