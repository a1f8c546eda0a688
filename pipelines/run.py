"""Per-crawl ingest state shared by the stages: the store, counters, failure recording.

One IngestRun per crawl. Inside Scrapy it hangs off the crawler (`IngestRun.of(crawler)`) and
mirrors its counters into the stats collector, so the summary and run record come free.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any

from finews_crawler.sources import identify
from finews_crawler.storage import Store, UpsertOutcome, open_store

logger = logging.getLogger("finews.ingest")

STATS_PREFIX = "finews/"


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
        if identity and identity.info_code:
            return identity.article_id
    return None


class IngestRun:
    """Store, counters and failure log of one crawl (or one plain-function ingest)."""

    def __init__(self, store: Store, spider: str = "", stats: Any = None) -> None:
        self.store = store
        self.spider = spider
        self.stats = stats
        self.counts: Counter[str] = Counter()
        self.failures: list[dict[str, Any]] = []
        self.outcomes: list[UpsertOutcome] = []  # every store outcome, in order
        self.seen_hashes: dict[str, str] = {}  # _id -> content_hash, for in-run duplicates

    @classmethod
    def of(cls, crawler) -> IngestRun:
        """The crawl's IngestRun, created (and the store opened) on first use."""
        run = getattr(crawler, "finews_run", None)
        if run is None:
            from scrapy import signals

            store = open_store(crawler.settings.get("FINEWS_STORE") or None)
            spider_name = getattr(getattr(crawler, "spidercls", None), "name", "")
            run = cls(store, spider=spider_name, stats=crawler.stats)
            crawler.finews_run = run
            crawler.signals.connect(run._close, signal=signals.engine_stopped)
        return run

    def _close(self) -> None:
        self.store.close()

    def count(self, key: str, amount: int = 1) -> None:
        self.counts[key] += amount
        if self.stats is not None:
            self.stats.inc_value(STATS_PREFIX + key, amount)

    def fail(self, item: Mapping[str, Any], failure: StageFailure) -> dict[str, Any]:
        """Record one failure in the store and the counters; one clear log line."""
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
        self.store.record_failure(record)
        self.failures.append(record)
        self.count("failures")
        self.count(f"failures/{failure.stage}")
        logger.warning("failed [%s] %s: %s", failure.stage, record["url"], record["reason"])
        return record
