"""RunReport: live progress while a crawl runs, a summary at its end, and its run record.

The run record is written twice: "running" at the start (after marking earlier runs whose
process died as "killed", see run_records.py) and "ended" with the counts at the end.

Counts come from the stats collector (pipelines mirror theirs into it), so the progress bar,
the summary and the stored run record always agree.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from twisted.internet import task

from finews_crawler.crawl.run_records import ENDED, RUNNING, mark_killed, this_process
from finews_crawler.crawl.store_component import STATS_PREFIX, StoreComponent
from finews_crawler.errors import describe_exception
from finews_crawler.storage.redact import redact_uri

logger = logging.getLogger("finews.run")
# A store outage at the start delays the crawl at most this long for its "running" record.
START_RECORD_WAIT_SECONDS = 5.0


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The summary figures out of a stats dict."""

    def value(key: str) -> int:
        return int(stats.get(STATS_PREFIX + key, 0))

    return {
        "pages": int(stats.get("response_received_count", 0)),
        "requests": int(stats.get("downloader/request_count", 0)),
        "retries": int(stats.get("retry/count", 0)),
        "new": value("articles/new"),
        "updated": value("articles/updated"),
        "unchanged": value("articles/unchanged"),
        "duplicates": value("articles/duplicate"),
        "failures": value("failures"),
        "spooled": value("articles/spooled"),  # store unreachable: kept in the local spool
        "replayed": value("articles/replayed"),  # spooled earlier, written to the store now
        # feeds left with an uncovered range above their floor (finews_crawler/crawl/incremental.py)
        "unfinished_feeds": int(stats.get("incremental/unfinished_feeds", 0)),
    }


def run_failed(counts: dict[str, int], reason: str | None) -> bool:
    """Whether the run must exit non-zero: a failure, an unfinished feed, an abnormal end."""
    return bool(counts["failures"] or counts.get("unfinished_feeds")) or reason not in (
        None,
        "finished",
    )


def format_summary(counts: dict[str, int], elapsed: float) -> str:
    stored = counts["new"] + counts["updated"] + counts["unchanged"]
    rate = stored / elapsed if elapsed > 0 else 0.0
    return (
        f"pages fetched {counts['pages']} (retries {counts['retries']}) | articles: "
        f"{counts['new']} new, {counts['updated']} updated, {counts['unchanged']} unchanged"
        f" ({counts['duplicates']} duplicates skipped) | failures {counts['failures']}"
        + (
            f" | unfinished feeds {counts['unfinished_feeds']}"
            if counts.get("unfinished_feeds")
            else ""
        )
        + f" | {elapsed:.1f}s ({rate:.1f} articles/s)"
    )


class RunReport:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.run_id = uuid.uuid4().hex
        self.started_at = datetime.now(UTC)
        self.progress: Any = None  # rich.progress.Progress on a terminal
        self.loop: task.LoopingCall | None = None
        self.show_progress = crawler.settings.getbool("FINEWS_PROGRESS", sys.stderr.isatty())

    @classmethod
    def from_crawler(cls, crawler) -> RunReport:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    async def spider_opened(self, spider) -> None:
        self.started_at = datetime.now(UTC)
        await self.record_start(spider)
        if self.show_progress:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                TextColumn("{task.fields[line]}"),
                TimeElapsedColumn(),
                transient=True,
            )
            self.progress.start()
            self.task_id = self.progress.add_task(spider.name, total=None, line="")
            self.loop = task.LoopingCall(self.refresh)
            self.loop.start(0.5, now=False)

    def base_record(self, spider) -> dict[str, Any]:
        return {
            "_id": self.run_id,
            "spider": spider.name,
            "args": getattr(spider, "arguments", {}),
            "store": redact_uri(StoreComponent.of(self.crawler).store.uri_for_display),
            "started_at": self.started_at,
            **this_process(),
        }

    async def record_start(self, spider) -> None:
        """Mark runs killed before they could end, then record this one as running."""
        # Imported here: offthread imports the reactor, which must not be installed at import.
        from finews_crawler.storage.offthread import call_store

        store = StoreComponent.of(self.crawler).store
        try:
            wait = START_RECORD_WAIT_SECONDS
            killed = await call_store(store, mark_killed, store, self.started_at, wait_seconds=wait)
            if killed:
                logger.warning(
                    "%d earlier run(s) were killed before they ended: %s",
                    len(killed),
                    ", ".join(killed),
                )
            record = {**self.base_record(spider), "status": RUNNING}
            await call_store(store, store.record_run, record, wait_seconds=wait)
        except Exception as exc:  # the record informs; it never stops the crawl
            logger.warning("could not write the run record: %s", describe_exception(exc))

    def refresh(self) -> None:
        if self.progress is None:
            return
        counts = run_counts(self.crawler.stats.get_stats())
        stored = counts["new"] + counts["updated"] + counts["unchanged"]
        self.progress.update(
            self.task_id,
            line=f"pages {counts['pages']}  stored {stored} ({counts['new']} new)"
            f"  failures {counts['failures']}",
        )

    async def spider_closed(self, spider, reason: str) -> None:
        # Components that settle counts at the end (the feed pager's verdict) go first.
        for before_report in getattr(self.crawler, "finews_before_report", ()):
            try:
                await before_report(reason)
            except Exception:
                logger.exception("end-of-crawl accounting failed")
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.progress is not None:
            self.progress.stop()
        finished_at = datetime.now(UTC)
        elapsed = (finished_at - self.started_at).total_seconds()
        counts = run_counts(self.crawler.stats.get_stats())
        summary = format_summary(counts, elapsed)
        logger.info("finished (%s): %s", reason, summary)
        if self.crawler.settings.getbool("FINEWS_PRINT_SUMMARY", True):
            print(f"{spider.name}: {summary}", file=sys.stderr, flush=True)
        run = StoreComponent.of(self.crawler)
        run.store.record_run(
            {
                **self.base_record(spider),
                "status": ENDED,
                "finished_at": finished_at,
                "finish_reason": reason,
                "counts": counts,
                "failures": run.failures[:100],
                "exit_status": 1 if run_failed(counts, reason) else 0,
            }
        )


class MemoryTrim:
    """Hand freed heap memory back to the OS every FINEWS_MALLOC_TRIM_SECONDS (glibc only).

    Parsing thousands of article bodies leaves glibc's heap fragmented: RSS creeps up with the
    crawl's length though live data stays flat. malloc_trim(0) releases the free pages, so a
    100,000-article crawl peaks where a 1,000-article one does.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self._trim: Any
        try:
            self._trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            self._trim = None

    @classmethod
    def from_crawler(cls, crawler) -> MemoryTrim:
        extension = cls(crawler.settings.getfloat("FINEWS_MALLOC_TRIM_SECONDS", 10.0))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider) -> None:
        if self._trim is not None and self.interval > 0:
            self.loop = task.LoopingCall(self._trim, 0)
            self.loop.start(self.interval, now=False)

    def spider_closed(self, spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
