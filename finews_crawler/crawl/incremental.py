"""Incremental feed paging that cannot lose an article: the crawl side of crawl.paging.

Each feed keeps its paging state in the store as coverage: publish-time intervals in which every
entry is known to be stored, and a floor (how deep the store must be complete: the end of the
feed, the oldest entry the first run reached at its maximum depth, or `since`). A run pages from
the top; pages inside covered ranges cost no article fetches; paging goes on while any gap lies
between the current page and the floor, and stops once everything below is covered.

A page's range is written only when the store itself confirms that all of its articles are
there (`known_ids`, polled every FINEWS_FEED_CONFIRM_SECONDS and at the end of the crawl), so a
kill -9, a store outage (articles in the spool) or a failed article leaves the range uncovered
and the next run pages through it again. Ranges are added, never replaced: workers merge.

A run that ends with a gap above the floor, an article not stored, a failed feed page or a bad
entry leaves the feed unfinished: `incremental/unfinished_feeds` in the stats, a WARNING line,
a non-zero exit. A complete feed clears the failure records of its pages.

Store reads and writes go through storage.offthread.call_store: a server-backed store is called
off the reactor thread and waited for with timers; a store that stays away makes the feed
unfinished with a record, never ends paging silently.

Options (spider arguments): `-a since=2024-05-01|6h|2d` backfills down to since (bounded by
FINEWS_FEED_HARD_MAX_PAGES), `-a max_pages=N` bounds paging, `-a refresh=1` re-fetches known
articles (bounded by FINEWS_FEED_MAX_PAGES unless since or max_pages say otherwise).
Known entries that carry their whole item and a version (a wire item's edit time) are handed
on again when their page is read, so an edit becomes a new revision without a refresh run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import task

from finews_crawler.crawl.paging import (
    PAGE_NUMBER,
    REACHED,
    Carry,
    Entry,
    FeedCoverage,
    Limits,
    PagePlan,
    plan_failed_page,
    plan_page,
    to_us,
)
from finews_crawler.crawl.paging.coverage import show
from finews_crawler.flags import flag
from finews_crawler.parsing.dates import DateParseError, parse_datetime
from finews_crawler.scheduling.cron import parse_duration
from finews_crawler.storage import Store

logger = logging.getLogger("finews.incremental")


async def call_store(store: Store, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """storage.offthread.call_store, imported late: importing it installs Twisted's default
    reactor, and spider modules are imported before Scrapy installs the asyncio one."""
    from finews_crawler.storage.offthread import call_store as off_thread

    return await off_thread(store, call, *args, **kwargs)


STATS_PREFIX = "incremental/"
UNFINISHED_KEY = STATS_PREFIX + "unfinished_feeds"
DEFAULT_MAX_PAGES = 50
DEFAULT_HARD_MAX_PAGES = 2000
DEFAULT_CONFIRM_SECONDS = 1.0
DEFAULT_STORE_WAIT = 60.0  # seconds a paging read waits for an unreachable store
POLL_WAIT_SECONDS = 5.0  # a confirmation poll gives up early; the next one tries again
DEFAULT_SETTLE_SECONDS = 30.0  # distributed: how long a worker waits for the others' batches


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """`since` as an aware UTC datetime: a date/time (Beijing time unless an offset is
    given) or a look-back like 90m, 6h, 2d, 1w."""
    if not value:
        return None
    look_back = parse_duration(value, unit_required=True)
    if look_back is not None:
        return (now or datetime.now(UTC)) - look_back
    try:
        return parse_datetime(value)
    except DateParseError as exc:
        raise ValueError(
            f"since={value!r}: {exc} (use 2024-05-01, 2024-05-01 08:00 or 6h)"
        ) from None


@dataclass
class PagingOptions:
    """What the operator asked for; built from spider arguments."""

    since: datetime | None = None
    max_pages: int | None = None
    refresh: bool = False

    @classmethod
    def from_args(
        cls, since: str | None = None, max_pages: Any = None, refresh: Any = None
    ) -> PagingOptions:
        try:
            pages = int(max_pages) if max_pages not in (None, "", "0", 0) else None
        except ValueError:
            pages = 0  # not a number: the same one-line refusal as a negative one
        if pages is not None and pages < 1:
            raise ValueError(f"max_pages must be a positive whole number, got {max_pages!r}")
        return cls(since=parse_since(since), max_pages=pages, refresh=flag(refresh))

    def limits(self, settings: Any = None) -> Limits:
        def number(name: str, default: int) -> int:
            return settings.getint(name, default) if settings is not None else default

        return Limits(
            since=to_us(self.since) if self.since else None,
            refresh=self.refresh,
            max_pages=self.max_pages,
            default_max_pages=number("FINEWS_FEED_MAX_PAGES", DEFAULT_MAX_PAGES),
            hard_max_pages=number("FINEWS_FEED_HARD_MAX_PAGES", DEFAULT_HARD_MAX_PAGES),
            max_failed_in_row=number("FINEWS_FEED_MAX_FAILED_PAGES", 3),
        )


def published_us(value: Any) -> int | None:
    """An entry's own time in microseconds (text, datetime or epoch seconds); None if unread."""
    if value in (None, ""):
        return None
    try:
        return to_us(parse_datetime(value))
    except (DateParseError, ValueError, TypeError, OverflowError):
        return None


@dataclass
class Awaiting:
    """A page whose range counts once these ids are in the store."""

    feed: str
    interval: tuple[int, int]
    ids: set[str]


@dataclass
class FeedRun:
    """What this process learnt about one feed in this run."""

    top: int | None = None  # newest entry time of page 1
    newest: int | None = None  # newest entry time seen on any page
    stop: str | None = None
    problems: int = 0  # failure records this run wrote about the feed (pages, entries)
    pages: int = 0
    coverage: FeedCoverage = field(default_factory=FeedCoverage)  # as last read


@dataclass
class PageStep:
    """What the spider does after a page: fetch these entries, maybe request the next page."""

    follow: list[Any] = field(default_factory=list)
    next_page: bool = False
    carry: Carry | None = None


class FeedPaging:
    """The feeds of one crawl: store reads, the rule per page, confirmation, the final verdict.

    `record(url, reason, stage)` writes a failure record (the spider passes one that goes
    through the ingest run); `feed_of_url` names the feed a failure record's URL belongs to."""

    def __init__(
        self,
        store: Store,
        options: PagingOptions,
        *,
        settings: Any = None,
        stats: Any = None,
        record: Callable[..., Any] | None = None,
        feed_of_url: Callable[[str], str | None] | None = None,
        shared: bool = False,
    ) -> None:
        if feed_of_url is None:
            from finews_crawler.sources import feed_of_url as any_sources_feed

            feed_of_url = any_sources_feed
        self.feed_of_url: Callable[[str], str | None] = feed_of_url
        # Distributed mode: other workers read the other pages of the same feeds and confirm
        # them at their own end, so a worker judges only the pages it read itself.
        self.shared = shared
        self.store_wait = (
            settings.getfloat("FINEWS_FEED_STORE_WAIT", DEFAULT_STORE_WAIT)
            if settings is not None
            else DEFAULT_STORE_WAIT
        )
        self.settle_seconds = (
            settings.getfloat("FINEWS_FEED_SETTLE_SECONDS", DEFAULT_SETTLE_SECONDS)
            if settings is not None
            else DEFAULT_SETTLE_SECONDS
        )
        self.store = store
        self.options = options
        self.limits = options.limits(settings)
        self.stats = stats
        self.record = record or (lambda url, reason, stage="feed": None)
        self.feeds: dict[str, FeedRun] = {}
        self.confirmed: dict[str, FeedCoverage] = {}  # ranges this process wrote
        self.awaiting: list[Awaiting] = []
        self.requested: set[str] = set()
        self.confirm_seconds = (
            settings.getfloat("FINEWS_FEED_CONFIRM_SECONDS", DEFAULT_CONFIRM_SECONDS)
            if settings is not None
            else DEFAULT_CONFIRM_SECONDS
        )
        self._loop: task.LoopingCall | None = None
        self._finishing: asyncio.Future | None = None

    # ---- bookkeeping ---------------------------------------------------------------------

    def count(self, key: str, amount: int = 1) -> None:
        if self.stats is not None and amount:
            self.stats.inc_value(STATS_PREFIX + key, amount)

    def counts(self, counter: Counter[str]) -> None:
        for key, amount in counter.items():
            self.count(key, amount)

    def run_of(self, feed: str) -> FeedRun:
        return self.feeds.setdefault(feed, FeedRun())

    def problem(self, feed: str, url: str, reason: str, stage: str = "feed") -> None:
        """A failure record about the feed: the feed stays unfinished in this run."""
        self.run_of(feed).problems += 1
        self.record(url, reason, stage)

    async def _call(self, call: Callable[..., Any], *args: Any, wait: float | None = None) -> Any:
        """A store call off the reactor, waiting for an outage at most FINEWS_FEED_STORE_WAIT
        seconds (then StoreUnavailable: the feed ends unfinished, with a record)."""
        seconds = self.store_wait if wait is None else wait
        return await call_store(self.store, call, *args, wait_seconds=seconds)

    async def coverage(self, feed: str) -> FeedCoverage:
        floor, intervals = await self._call(self.store.get_feed_coverage, feed)
        stored = FeedCoverage(floor, intervals)
        return stored.union(self.confirmed.get(feed, FeedCoverage()))

    # ---- pages ---------------------------------------------------------------------------

    async def page(
        self, feed: str, kind: str, number: int, url: str, listing: Any, carry: Any
    ) -> PageStep:
        """Decide a page that was read: store reads (known ids, coverage) off the reactor.

        Raises StoreUnavailable (or the store's error) for the caller to record."""
        run = self.run_of(feed)
        run.pages += 1
        for index, reason in listing.problems:
            self.problem(feed, f"{url}#entry-{index}", reason)
            self.count("bad_entries")
        entries = [
            Entry(
                str(entry.context["article_id"]), published_us(entry.context.get("feed_published"))
            )
            for entry in listing.entries
        ]
        known = await self._call(self.store.known_ids, [e.article_id for e in entries])
        coverage = run.coverage = await self.coverage(feed)
        prev = Carry.from_context(carry)
        plan = plan_page(
            kind,
            number,
            entries,
            clean=not listing.problems,
            prev=prev,
            known=known,
            requested=self.requested,
            coverage=coverage,
            limits=self.limits,
        )
        self.counts(plan.counts)
        if number == 1 and prev is None:
            run.top = plan.newest if plan.newest is not None else run.top
        if plan.newest is not None:
            run.newest = max(run.newest or plan.newest, plan.newest)
        if plan.stop == "repeated":
            reason = (
                f"feed page {number} repeats the previous page's entries (the host ignores"
                " the paging parameter, or the cursor did not move): paging stopped"
            )
            self.problem(feed, url, reason)  # its WARNING line: "failed [feed] URL: reason"
        await self._settle(feed, plan, run)
        chosen = [*plan.follow, *plan.refresh, *self._rechecks(listing, plan, known)]
        follow = [listing.entries[i] for i in chosen]
        self.requested.update(str(f.context["article_id"]) for f in follow)
        return PageStep(follow=follow, next_page=plan.next_page, carry=plan.carry)

    def _rechecks(self, listing: Any, plan: PagePlan, known: set[str]) -> list[int]:
        """Known entries that carry their whole item and an edit marker (`feed_version`: a
        wire item's modification time), on a page this run reads anyway: handed on again at
        no fetch cost, so that an edited item becomes a new revision (an unchanged one is
        counted `unchanged` by the store). Entries older than `since` are left alone."""
        chosen = {*plan.follow, *plan.refresh}
        since = self.limits.since
        found = []
        for index, entry in enumerate(listing.entries):
            aid = str(entry.context["article_id"])
            if index in chosen or aid not in known or aid in self.requested:
                continue
            if getattr(entry, "text", None) is None or not entry.context.get("feed_version"):
                continue
            published = published_us(entry.context.get("feed_published"))
            if since is not None and published is not None and published < since:
                continue
            found.append(index)
        self.count("rechecked", len(found))
        return found

    def page_failed(self, feed: str, kind: str, number: int, carry: Any) -> PageStep:
        """A page that could not be read (its failure record is written by the caller)."""
        run = self.run_of(feed)
        run.pages += 1
        run.problems += 1
        plan = plan_failed_page(kind, number, Carry.from_context(carry), run.coverage, self.limits)
        self.counts(plan.counts)
        if plan.stop:
            self._stopped(feed, run, plan.stop)
        return PageStep(next_page=plan.next_page, carry=plan.carry)

    async def _settle(self, feed: str, plan: PagePlan, run: FeedRun) -> None:
        if plan.floor is not None:
            await self._call(self.store.lower_feed_floor, feed, plan.floor)
        if plan.interval is not None:
            if plan.confirm:
                self.awaiting.append(Awaiting(feed, plan.interval, set(plan.confirm)))
                self._start_polling()
            else:
                await self._write(feed, [plan.interval])
        if plan.stop:
            self._stopped(feed, run, plan.stop)

    def _stopped(self, feed: str, run: FeedRun, reason: str) -> None:
        run.stop = reason
        self.count(f"stop/{reason}")
        logger.info("%s: paging stopped after %d page(s): %s", feed, run.pages, reason)

    async def _write(self, feed: str, intervals: list[tuple[int, int]]) -> None:
        await self._call(self.store.add_feed_coverage, feed, intervals)
        mine = self.confirmed.setdefault(feed, FeedCoverage())
        for lo, hi in intervals:
            mine.add(lo, hi)
        self.count("covered_pages", len(intervals))

    # ---- confirmation --------------------------------------------------------------------

    def _start_polling(self) -> None:
        if self._loop is None and self._finishing is None and self.confirm_seconds > 0:
            self._loop = task.LoopingCall(lambda: deferred_from_coro(self._poll()))
            self._loop.start(self.confirm_seconds, now=False)

    async def _poll(self) -> None:
        try:
            await self.confirm(wait_seconds=POLL_WAIT_SECONDS)
        except Exception as exc:  # the final confirmation tries again; never kill the loop
            logger.info("coverage confirmation postponed: %s: %s", type(exc).__name__, exc)

    async def confirm(self, wait_seconds: float | None = None) -> None:
        """Write the ranges of the pages whose articles the store now holds."""
        if not self.awaiting:
            return
        waiting = list(self.awaiting)
        wanted = set().union(*(item.ids for item in waiting))
        known = await self._call(self.store.known_ids, wanted, wait=wait_seconds)
        done: dict[str, list[tuple[int, int]]] = {}
        for item in waiting:
            item.ids -= known
            if not item.ids:
                done.setdefault(item.feed, []).append(item.interval)
                self.awaiting.remove(item)
        for feed, intervals in done.items():
            await self._write(feed, intervals)

    # ---- the end -------------------------------------------------------------------------

    async def finish(self, reason: str) -> int:
        """At the end of the crawl (once, however often called): confirm what can be, then
        judge each feed; returns the number of unfinished feeds (also in the stats)."""
        if self._finishing is None:
            self._finishing = asyncio.ensure_future(self._finish(reason))
        return await self._finishing

    async def _finish(self, reason: str) -> int:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        try:
            await self.confirm()
            if self.shared:
                await self._await_other_workers()
        except Exception as exc:
            logger.warning("cannot confirm feed pages at the end: %s: %s", type(exc).__name__, exc)
        unfinished = 0
        for feed, run in self.feeds.items():
            local = self._local_reasons(feed, run)
            whole = await self._coverage_reasons(feed, run)
            # Distributed: other workers confirm the pages they read at their own end, so a
            # worker's verdict is about its own pages; the feed's records are cleared only
            # when the whole feed is complete.
            why = "; ".join(local if self.shared else [*local, *whole])
            if why:
                unfinished += 1
                logger.warning(
                    "%s: unfinished (%s); the next run pages through what is missing", feed, why
                )
            elif not whole:
                await self._clear_records(feed)
        if self.stats is not None:
            self.stats.set_value(UNFINISHED_KEY, unfinished)
        return unfinished

    async def _await_other_workers(self) -> None:
        """Distributed: some of a page's articles may sit in another worker's unflushed batch
        when this one ends (they end together); give them FINEWS_FEED_SETTLE_SECONDS."""
        from twisted.internet import reactor

        deadline = time.monotonic() + self.settle_seconds
        while self.awaiting and time.monotonic() < deadline:
            await maybe_deferred_to_future(task.deferLater(reactor, 0.5, lambda: None))
            await self.confirm(wait_seconds=POLL_WAIT_SECONDS)

    def _local_reasons(self, feed: str, run: FeedRun) -> list[str]:
        """What this process left undone: records, unconfirmed pages, paging cut short."""
        reasons = []
        if run.problems:
            reasons.append(f"{run.problems} failure record(s) about its pages")
        pending = sum(1 for item in self.awaiting if item.feed == feed)
        if pending:
            reasons.append(f"{pending} page(s) with articles not in the store")
        if run.stop is not None and run.stop not in REACHED:
            reasons.append(f"paging stopped: {run.stop}")
        return reasons

    async def _coverage_reasons(self, feed: str, run: FeedRun) -> list[str]:
        """Why the store is not complete from the newest entry seen down to the floor."""
        try:
            coverage = await self.coverage(feed)
        except Exception as exc:
            return [f"store unreadable: {type(exc).__name__}"]
        target = self.limits.target(coverage)
        top = run.top if run.top is not None else run.newest
        if target is None:
            return ["not yet paged to the end of the feed or its maximum depth"]
        gaps = coverage.gaps(target, top) if top is not None else []
        if gaps:
            lo, hi = gaps[-1]
            return [f"{len(gaps)} uncovered range(s), the newest from {show(lo)} to {show(hi)}"]
        return []

    async def _clear_records(self, feed: str) -> None:
        """A complete feed: the failure records of its pages are resolved."""

        def clear() -> int:
            urls = [
                record["url"]
                for record in self.store.iter_failures()
                if self.feed_of_url(str(record.get("url") or "").split("#")[0]) == feed
            ]
            return self.store.clear_failures(urls) if urls else 0

        try:
            cleared = await self._call(clear)
        except Exception as exc:
            logger.warning("%s: failure records not cleared: %s", feed, type(exc).__name__)
            return
        if cleared:
            logger.info("%s: complete; %d feed failure record(s) cleared", feed, cleared)
            self.count("cleared_records", cleared)


__all__ = ["PAGE_NUMBER", "FeedPaging", "PagingOptions", "parse_since", "published_us"]
