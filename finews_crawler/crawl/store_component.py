"""The crawler-level store component: the store, counters and failure recording of one crawl.

One per crawl, shared by everything that needs the store: spiders (incremental decisions, feed
failure records), extensions (run records) and the pipelines' stages all receive the same
object (`StoreComponent.of(crawler)`). It lives below the pipelines, so nothing in the crawl
runtime imports `pipelines`. It mirrors its counters into the stats collector, so the summary
and run record come free. Outside Scrapy (one-off ingests, imports) it is built directly.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from finews_crawler.sources import identify
from finews_crawler.storage import Store, UpsertOutcome, open_store

logger = logging.getLogger("finews.ingest")

STATS_PREFIX = "finews/"
# In-run duplicates arrive close together (the same article in several feeds of one page);
# a bounded memory keeps a 100,000-article crawl as small as a 1,000-article one. Repeats
# older than this are still caught by the store, which reports them as unchanged.
SEEN_HASHES_LIMIT = 5_000
KEPT_FAILURES = 1_000


class RecentHashes(OrderedDict[str, str]):
    """A dict that forgets its oldest entries beyond a limit."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if len(self) > self.limit:
            self.popitem(last=False)


class StageFailure(Exception):
    """A page cannot become a stored article; recorded as a failure, never silently dropped."""

    def __init__(self, stage: str, reason: str, *, retriable: bool = False) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason
        self.retriable = retriable


def failure_url(item: Mapping[str, Any]) -> str:
    """The URL a failure is filed under: where the crawl entered (share page, feed entry)."""
    context = item.get("context") or {}
    return (
        context.get("entry_url")
        or context.get("source_url")
        or item.get("source_url")
        or item.get("url")
        or "?"
    )


def failure_article_id(item: Mapping[str, Any], url: str) -> str | None:
    """The article a failure concerns, when known: its success later clears the record."""
    if item.get("_id"):
        return item["_id"]
    context = item.get("context") or {}
    for candidate in (url, item.get("url"), context.get("source_url")):
        identity = identify(candidate) if candidate else None
        if identity and identity.numbered:
            return identity.article_id
    return None


class StoreComponent:
    """Store, counters and failure log of one crawl (or one plain-function ingest)."""

    def __init__(self, store: Store, spider: str = "", stats: Any = None) -> None:
        self.store = store
        self.spider = spider
        self.stats = stats
        self.counts: Counter[str] = Counter()
        self.failures: list[dict[str, Any]] = []
        # Store outcomes hold whole articles: kept only when the caller asks (plain-function
        # ingests read them back); a crawl keeps counts, so its memory does not grow.
        self.keep_outcomes = False
        self.outcomes: list[UpsertOutcome] = []
        self.seen_hashes = RecentHashes(SEEN_HASHES_LIMIT)  # _id -> content_hash, this run
        # Inside Scrapy: fetch a retriable failure again before recording it (crawl/requeue.py).
        self.requeue: Callable[[Mapping[str, Any], str], bool] | None = None

    @classmethod
    def of(cls, crawler) -> StoreComponent:
        """The crawl's component, created (and the store opened) on first use."""
        run = getattr(crawler, "finews_run", None)
        if run is None:
            from scrapy import signals

            store = open_store(crawler.settings.get("FINEWS_STORE") or None)
            spider_name = getattr(getattr(crawler, "spidercls", None), "name", "")
            run = cls(store, spider=spider_name, stats=crawler.stats)
            crawler.finews_run = run
            from finews_crawler.crawl.requeue import Requeuer

            run.requeue = Requeuer(crawler)
            crawler.signals.connect(run._close, signal=signals.engine_stopped)
        return run

    def _close(self) -> None:
        self.store.close()

    def count(self, key: str, amount: int = 1) -> None:
        self.counts[key] += amount
        if self.stats is not None:
            self.stats.inc_value(STATS_PREFIX + key, amount)

    def fail(self, item: Mapping[str, Any], failure: StageFailure) -> dict[str, Any]:
        """Record one failure in the store and the counters; one clear log line.

        A retriable failure the crawl can still fetch again is requeued instead: the record
        is returned (marked `requeued`) but not stored or counted.
        """
        url = failure_url(item)
        record = {
            "url": url,
            "failed_url": item.get("url"),
            "stage": failure.stage,
            "reason": failure.reason[:500],
            "retriable": failure.retriable,
            "status": item.get("status"),
            "article_id": failure_article_id(item, url),
            "spider": self.spider or item.get("spider"),
        }
        if failure.retriable and self.requeue is not None and self.requeue(item, failure.stage):
            self.count("requeued")
            return {**record, "requeued": True}
        self.store.record_failure(record)
        if len(self.failures) < KEPT_FAILURES:  # the store has them all; this is for reports
            self.failures.append(record)
        self.count("failures")
        self.count(f"failures/{failure.stage}")
        logger.warning("failed [%s] %s: %s", failure.stage, record["url"], record["reason"])
        return record
