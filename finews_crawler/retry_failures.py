"""`finews retry-failures`: crawl the URLs of retriable failure records again.

Each record names the URL where its article was entered (share page, feed entry) and the
spider that met it. The URLs go back to that spider through `-a urls_file=FILE` (or to the
`fetch` spider, which takes any URL, when that spider cannot take a URL list), one crawl
subprocess per spider. A success clears the record (the store pipeline does that); a new
failure updates it (attempts + 1). Permanent failures (HTTP 404, refused links, invalid
articles) stay put unless --include-permanent asks for them too.

A record about a feed page (or one of its entries) is not a URL to fetch once: its feed is
crawled again (`-a feeds=NAME`), which pages through the covered ranges to the gap and on;
the pager clears the feed's records when the feed is complete down to its floor.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from finews_crawler.config import environment as config_environment

FALLBACK_SPIDERS = ("fetch", "newsshare")


def plan_retries(
    failures: Iterable[Mapping[str, Any]], include_permanent: bool = False
) -> dict[str, list[str]]:
    """Spider name -> URLs to crawl again (unique, in record order)."""
    plan: dict[str, dict[str, None]] = {}
    for failure in failures:
        url = str(failure.get("url") or "")
        if not url.startswith(("http://", "https://")):
            continue
        if not failure.get("retriable") and not include_permanent:
            continue
        plan.setdefault(str(failure.get("spider") or ""), {})[url] = None
    return {spider: list(urls) for spider, urls in plan.items()}


def plan_feed_retries(failures: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Spider -> feeds to crawl again, for records about feed pages (any host, any page)."""
    plan: dict[str, dict[str, None]] = {}
    for failure in failures:
        feed = feed_of_record(failure)
        if feed is not None:
            plan.setdefault(feed_spider_for(str(failure.get("spider") or ""), feed), {})[feed] = (
                None
            )
    return {spider: list(feeds) for spider, feeds in plan.items()}


def feed_of_record(failure: Mapping[str, Any]) -> str | None:
    from finews_crawler.sources import feed_of_url

    return feed_of_url(str(failure.get("url") or "").split("#", 1)[0])


def feed_spider_for(spider: str, feed: str) -> str:
    """The spider that met the record if it pages that feed, else `feeds` (pages them all)."""
    spider_class = _spider_class(spider) if spider else None
    if spider_class is not None and feed in getattr(spider_class, "feed_names", ()):
        return spider
    return "feeds"


def _spider_class(spider: str) -> Any:
    from scrapy.spiderloader import SpiderLoader

    from finews_crawler.config import project_settings

    try:
        return SpiderLoader.from_settings(project_settings()).load(spider)
    except KeyError:
        return None


def takes_url_file(spider: str) -> bool:
    """Whether a project spider exists and accepts `-a urls_file=FILE`."""
    spider_class = _spider_class(spider)
    if spider_class is None:
        return False
    return "urls_file" in inspect.signature(spider_class.__init__).parameters


def spider_for(name: str) -> str:
    if name and takes_url_file(name):
        return name
    return next(spider for spider in FALLBACK_SPIDERS if takes_url_file(spider))


def retry_failures(
    store: str,
    *,
    include_permanent: bool = False,
    dry_run: bool = False,
    settings: Sequence[str] = (),
    log_level: str = "WARNING",
) -> int:
    """Re-crawl the failures' URLs; 0 when every crawl succeeded (or nothing was to do)."""
    from finews_crawler.storage import open_store

    with open_store(store) as opened:
        failures = list(opened.iter_failures())
    feed_records = [failure for failure in failures if feed_of_record(failure) is not None]
    feed_plan = plan_feed_retries(feed_records)
    plan: dict[str, list[str]] = {}
    article_records = [failure for failure in failures if feed_of_record(failure) is None]
    for recorded, urls in plan_retries(article_records, include_permanent).items():
        plan.setdefault(spider_for(recorded), []).extend(urls)
    total = sum(len(urls) for urls in plan.values())
    skipped = len(article_records) - total
    print(
        f"{total} failure record(s) to retry, {skipped} left as they are"
        f" ({'permanent or not a URL' if not include_permanent else 'not a URL'});"
        f" {len(feed_records)} about feed pages: {sum(map(len, feed_plan.values()))} feed(s)"
        " to crawl again",
        file=sys.stderr,
    )
    if dry_run or not (plan or feed_plan):
        for spider, urls in plan.items():
            for url in urls:
                print(f"{spider}\t{url}")
        for spider, feeds in feed_plan.items():
            print(f"{spider}\tfeeds={','.join(feeds)}")
        return 0
    status = 0
    # the store goes in the environment, not argv: a password shows in `ps`
    environment = {**config_environment(), "FINEWS_STORE": store}
    for spider, feeds in feed_plan.items():
        command = [sys.executable, "-m", "finews_crawler.cli", "crawl", spider]
        command += ["-a", f"feeds={','.join(feeds)}", "-L", log_level]
        for setting in settings:
            command += ["-s", setting]
        print(f"crawling feed(s) {', '.join(feeds)} again with spider {spider}", file=sys.stderr)
        status = max(status, subprocess.run(command, env=environment, check=False).returncode)
    with tempfile.TemporaryDirectory(prefix="finews-retry-") as scratch:
        for spider, urls in plan.items():
            urls_file = Path(scratch) / f"{spider}.txt"
            urls_file.write_text("\n".join(dict.fromkeys(urls)) + "\n", encoding="utf-8")
            command = [sys.executable, "-m", "finews_crawler.cli", "crawl", spider]
            command += ["-a", f"urls_file={urls_file}", "-L", log_level]
            for setting in settings:
                command += ["-s", setting]
            print(f"retrying {len(urls)} URL(s) with spider {spider}", file=sys.stderr)
            crawl = subprocess.run(command, env=environment, check=False)
            status = max(status, crawl.returncode)
    with open_store(store) as opened:
        left = sum(1 for _ in opened.iter_failures())
    print(f"{left} failure record(s) left", file=sys.stderr)
    return status
