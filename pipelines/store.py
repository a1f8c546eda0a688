"""Stage 5, store: batched upserts into the configured store; counts every outcome.

Outcomes: new / updated / unchanged, failed (this document alone was refused: recorded as a
failure) and spooled (the store was unreachable: kept in the local spool, see
finews_crawler/storage/spool.py, and replayed when it is back, counted as replayed).

Inside Scrapy the batches are written in order by one writer coroutine, off the reactor
thread for a server-backed store (the spool's writer thread, or `call_store`), so a slow or
absent server never stalls a download. A batch is written when it is full, and every
FINEWS_STORE_FLUSH_SECONDS by a timer, so articles never wait for the next one to arrive.
At the end, what is still in the spool is unfinished: counted as failures (the exit status
is non-zero) and filed as one failure record, cleared when the spool is replayed.
Outside Scrapy (`pipelines.chain.ingest_pages`) `flush()` writes at once, synchronously.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Mapping
from typing import Any, ClassVar

from twisted.internet import defer, task

from finews_crawler.article import with_digest
from finews_crawler.crawl.store_component import StageFailure, StoreComponent
from finews_crawler.items import Article
from finews_crawler.storage.base import FAILED, UpsertOutcome, clear_resolved
from finews_crawler.storage.offthread import StoreUnavailable, call_store, wait_for
from finews_crawler.storage.spool import DrainReport, Spool, SpoolingStore, spool_mode
from pipelines.stage import Stage
from pipelines.tagging import learn, tagger_of

logger = logging.getLogger("finews.store")

DEFAULT_BATCH_SIZE = 500  # one transaction per 500 articles: 0.5x -> 0.65x of raw inserts
DEFAULT_FLUSH_SECONDS = 2.0
DEFAULT_RETRY_SECONDS = 5.0  # how long a batch waits for an unreachable store before spooling
# Beyond this many articles queued for the writer, items wait for it (memory stays bounded).
MAX_QUEUED_ARTICLES = 5_000


class StorePipeline(Stage):
    accepts: ClassVar[tuple[type, ...]] = (Article,)

    def __init__(
        self,
        run: StoreComponent,
        batch_size: int = DEFAULT_BATCH_SIZE,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        write_through: bool = False,
    ) -> None:
        super().__init__(run)
        # An item counts as done (its request acknowledged, in distributed mode) only once
        # its article is written: the writer runs off the reactor, so "processed" is not
        # "written" otherwise, and a worker killed in between would lose the article.
        self.write_through = write_through
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.retry_seconds = retry_seconds
        self.pending: list[dict] = []
        self._last_flush = time.monotonic()
        # Scrapy mode (open_spider was called): batches queue for the writer coroutine.
        self._queued: deque[list[dict]] | None = None
        self._queued_articles = 0
        self._writer: defer.Deferred[None] | None = None  # the running writer coroutine
        self._writing = False
        self._waiters: list[defer.Deferred[None]] = []
        self._timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler) -> StorePipeline:
        settings = crawler.settings
        run = StoreComponent.of(crawler)
        retry_seconds = settings.getfloat("FINEWS_STORE_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        if (
            run.store.transient_errors
            and not isinstance(run.store, SpoolingStore)
            and spool_mode(settings.get("FINEWS_SPOOL")) != "off"
        ):
            # Every writer of this run (failures, run record) shares the spooling wrapper.
            spool = Spool.for_store(run.store, settings.get("FINEWS_SPOOL_DIR") or None)
            run.store = SpoolingStore(
                run.store,
                spool,
                retry_seconds=retry_seconds,
                on_replay=lambda r: count_replay(run, r),
            )
        return cls(
            run,
            batch_size=settings.getint("FINEWS_STORE_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            flush_seconds=settings.getfloat("FINEWS_STORE_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS),
            retry_seconds=retry_seconds,
            write_through=settings.getbool("FINEWS_STORE_WRITE_THROUGH"),
        )

    # ---- items ---------------------------------------------------------------------------

    def process(self, item: Article) -> Article:
        # Shallow (ItemAdapter.asdict() deep-copies, slowly), with the dedupe stage's digest.
        self.pending.append(with_digest(item))
        if (
            len(self.pending) >= self.batch_size
            or time.monotonic() - self._last_flush >= self.flush_seconds
        ):
            self.flush()
        return item

    def process_item(self, item: Any) -> Any:
        result = super().process_item(item)
        if self._queued is not None and self.write_through:
            return self._after_written(result)
        if self._queued is not None and self._queued_articles > MAX_QUEUED_ARTICLES:
            return self._after_room(result)  # Scrapy awaits it: the writer is behind
        return result

    async def _after_room(self, item: Any) -> Any:
        while self._queued and self._queued_articles > MAX_QUEUED_ARTICLES:
            await self._progress()
        return item

    async def _after_written(self, item: Any) -> Any:
        self.flush()
        await self._idle()
        return item

    def flush(self) -> None:
        """Write the pending batch: queued for the writer inside Scrapy, else now."""
        self._last_flush = time.monotonic()
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        if self._queued is None:
            articles: list[Mapping[str, Any]] = list(batch)
            outcomes = self.run.store.upsert_articles(articles)
            clear_resolved(self.run.store, outcomes)
            self._count(batch, outcomes)
            learn(self.run.store, _stored(batch, outcomes), tagger_of(self.run))
            return
        self._queued.append(batch)
        self._queued_articles += len(batch)
        if not self._writing:
            self._writing = True  # set before the coroutine starts: it clears it when done
            self._writer = _deferred(self._write_queued())

    # ---- the writer ----------------------------------------------------------------------

    async def _write_queued(self) -> None:
        """Write the queued batches one after another (in order), then rest."""
        try:
            while self._queued:
                batch = self._queued[0]
                try:
                    outcomes = await self._write(batch)
                except Exception as exc:  # a write must never vanish
                    self._unwritten(batch, exc)
                else:
                    try:
                        self._count(batch, outcomes)
                    except Exception:  # written: counting must not stop the writer
                        logger.exception("counting %d stored article(s) failed", len(batch))
                    await self._learn(batch, outcomes)
                self._queued.popleft()
                self._queued_articles -= len(batch)
                self._wake()
        finally:
            self._writing = False
            self._wake()

    async def _learn(self, batch: list[dict], outcomes: list[UpsertOutcome]) -> None:
        """Teach the security master what the stored articles name (off the reactor)."""
        stored = _stored(batch, outcomes)
        if not stored:
            return
        store, tagger = self.run.store, tagger_of(self.run)
        with contextlib.suppress(Exception):  # learn() logs; an away store only delays it
            if isinstance(store, SpoolingStore):
                await wait_for(store.submit(learn, store.inner, stored, tagger))
            else:
                await call_store(
                    store, learn, store, stored, tagger, wait_seconds=self.retry_seconds
                )

    async def _write(self, batch: list[dict]) -> list[UpsertOutcome]:
        store = self.run.store
        if isinstance(store, SpoolingStore):  # its writer thread: in order, spools on outage
            return await wait_for(store.submit(store.write_articles, batch))
        return await call_store(store, _upsert, store, batch, wait_seconds=self.retry_seconds)

    async def _progress(self) -> None:
        """Until the writer finishes a batch (or stops)."""
        from scrapy.utils.defer import maybe_deferred_to_future

        waiter: defer.Deferred[None] = defer.Deferred()
        self._waiters.append(waiter)
        await maybe_deferred_to_future(waiter)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.callback(None)

    async def _idle(self) -> None:
        while self._writing:
            await self._progress()

    def _count(self, batch: list[dict], outcomes: list[UpsertOutcome]) -> None:
        for doc, outcome in zip(batch, outcomes, strict=True):
            self.run.count(f"articles/{outcome.status}")
            if outcome.status == FAILED:
                self.run.fail(doc, StageFailure("store", outcome.error or "refused by the store"))
        if self.run.keep_outcomes:
            self.run.outcomes.extend(outcomes)

    def _unwritten(self, batch: list[dict], exc: Exception) -> None:
        """No spool to keep them (FINEWS_SPOOL=off, or an embedded store that failed): each
        article is a failure, recorded if the store takes the record, counted in any case."""
        reason = f"not stored: {type(exc).__name__}: {exc}"[:300]
        logger.error("%d article(s) %s", len(batch), reason)
        if isinstance(exc, (StoreUnavailable, *self.run.store.transient_errors)):
            # The server is away: a record per article would wait for it on the reactor.
            self.run.count("failures", len(batch))
            self.run.count("failures/store", len(batch))
            return
        for doc in batch:
            try:
                self.run.fail(doc, StageFailure("store", reason))
            except Exception:  # the store is away: the count must still show it
                self.run.count("failures")
                self.run.count("failures/store")

    # ---- open and close ------------------------------------------------------------------

    async def open_spider(self) -> None:
        """Replay what an earlier run spooled, before this run writes anything; start the
        flush timer."""
        self._queued = deque()
        store = self.run.store
        if isinstance(store, SpoolingStore) and store.spool.has_pending():
            try:
                await wait_for(store.submit(store.drain_now))
            except store.transient_errors as exc:
                store.mark_down(exc)  # FINEWS_SPOOL=1 run while the store is away
            except Exception as exc:  # the spool stays as it is; the crawl goes on
                logger.error("replaying the spool %s failed: %s", store.spool.path, exc)
        if self.flush_seconds > 0:
            self._timer = task.LoopingCall(self.flush)
            self._timer.start(self.flush_seconds, now=False)

    def close_spider(self) -> Any:
        """Write everything; inside Scrapy, a coroutine Scrapy awaits (see `_close`)."""
        if self._queued is None:
            self.flush()
            return None
        return self._close()

    async def _close(self) -> None:
        """Write everything; try the spool once more; count and record what is left."""
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.flush()
        await self._idle()
        store = self.run.store
        if not isinstance(store, SpoolingStore):
            return
        if store.spool.has_pending():
            # Still unreachable after the wait: what is left is counted below.
            with contextlib.suppress(Exception):
                await call_store(store, _drain_on_writer, store, wait_seconds=self.retry_seconds)
        left = await wait_for(store.submit(store.spool.pending_articles))
        if left:
            self._left_in_spool(store, left)

    def _left_in_spool(self, store: SpoolingStore, left: int) -> None:
        """Spooled articles are not in the store: the run is unfinished until a replay."""
        reason = (
            f"{left} article(s) could not be written: the store {store.uri_for_display} was"
            f" unreachable; they wait in the spool {store.spool.path} and are written at the"
            " next start or by `finews replay`"
        )
        record = {
            "url": store.spool.record_url,
            "failed_url": None,
            "stage": "store",
            "reason": reason,
            "retriable": True,
            "status": None,
            "article_id": None,
            "spider": self.run.spider,
        }
        store.submit(store.record_unwritten, record)  # in the spool while the store is away
        self.run.failures.append(record)
        self.run.count("articles/unwritten", left)
        self.run.count("failures", left)
        self.run.count("failures/store", left)
        logger.warning("unfinished: %s", reason)


def _stored(batch: list[dict], outcomes: list[UpsertOutcome]) -> list[dict]:
    """The articles of a batch that are in the store now (new, updated or unchanged)."""
    return [doc for doc, outcome in zip(batch, outcomes, strict=False) if outcome.status != FAILED]


def _upsert(store: Any, batch: list[dict]) -> list[UpsertOutcome]:
    outcomes = store.upsert_articles(batch)
    clear_resolved(store, outcomes)
    return outcomes


def _drain_on_writer(store: SpoolingStore) -> DrainReport:
    """Run in a pool thread by `call_store` (which retries it on timers): one drain attempt,
    in order with the store's other writes."""
    return store.submit(store.drain_now).result()


def _deferred(coroutine: Any) -> defer.Deferred[None]:
    from scrapy.utils.defer import deferred_from_coro

    return deferred_from_coro(coroutine)


def count_replay(run: StoreComponent, report: DrainReport) -> None:
    """Spooled articles written at last: counted as replayed; refused ones as failures."""
    run.count("articles/replayed", report.articles)
    for failure in report.failed:
        run.failures.append(failure)
        run.count("failures")
        run.count("failures/store")
