"""Stage 5, store: batched upserts into the configured store; counts every outcome.

Outcomes: new / updated / unchanged, failed (this document alone was refused: recorded as a
failure) and spooled (the store was unreachable: kept in the local spool, see
finews_crawler/storage/spool.py, and replayed when it is back, counted as replayed).
"""

from __future__ import annotations

import logging
import time
from typing import ClassVar

from finews_crawler.items import Article
from finews_crawler.storage.base import FAILED, clear_resolved
from finews_crawler.storage.spool import DrainReport, Spool, SpoolingStore, spool_mode
from pipelines.run import IngestRun, StageFailure
from pipelines.stage import Stage

logger = logging.getLogger("finews.store")

DEFAULT_BATCH_SIZE = 500  # one transaction per 500 articles: 0.5x -> 0.65x of raw inserts
DEFAULT_FLUSH_SECONDS = 2.0


class StorePipeline(Stage):
    accepts: ClassVar[tuple[type, ...]] = (Article,)

    def __init__(
        self,
        run: IngestRun,
        batch_size: int = DEFAULT_BATCH_SIZE,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
    ) -> None:
        super().__init__(run)
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.pending: list[dict] = []
        self._last_flush = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler) -> StorePipeline:
        settings = crawler.settings
        run = IngestRun.of(crawler)
        if (
            run.store.transient_errors
            and not isinstance(run.store, SpoolingStore)
            and spool_mode(settings.get("FINEWS_SPOOL")) != "off"
        ):
            # Every writer of this run (failures, run record) shares the spooling wrapper.
            spool = Spool.for_store(run.store, settings.get("FINEWS_SPOOL_DIR") or None)
            run.store = SpoolingStore(run.store, spool, on_replay=lambda r: count_replay(run, r))
        return cls(
            run,
            batch_size=settings.getint("FINEWS_STORE_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            flush_seconds=settings.getfloat("FINEWS_STORE_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS),
        )

    def process(self, item: Article) -> Article:
        self.pending.append(dict(item))  # shallow: ItemAdapter.asdict() deep-copies, slowly
        if (
            len(self.pending) >= self.batch_size
            or time.monotonic() - self._last_flush >= self.flush_seconds
        ):
            self.flush()
        return item

    def open_spider(self) -> None:
        """Replay what an earlier run spooled, before this run writes anything."""
        if isinstance(self.run.store, SpoolingStore):
            self.run.store.drain_if_reachable()

    def flush(self) -> None:
        """Write the pending batch; count outcomes; clear failures the articles resolve."""
        self._last_flush = time.monotonic()
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        outcomes = self.run.store.upsert_articles(batch)
        for doc, outcome in zip(batch, outcomes, strict=True):
            self.run.count(f"articles/{outcome.status}")
            if outcome.status == FAILED:
                self.run.fail(doc, StageFailure("store", outcome.error or "refused by the store"))
        clear_resolved(self.run.store, outcomes)
        if self.run.keep_outcomes:
            self.run.outcomes.extend(outcomes)

    def close_spider(self) -> None:
        self.flush()
        store = self.run.store
        if isinstance(store, SpoolingStore) and store.spool.has_pending():
            logger.warning(
                "%d article(s) this run could not store are in the spool %s; they are written"
                " at the next start or by `finews replay`",
                self.run.counts["articles/spooled"],
                store.spool.path,
            )


def count_replay(run: IngestRun, report: DrainReport) -> None:
    """Spooled articles written at last: counted as replayed; refused ones as failures."""
    run.count("articles/replayed", report.articles)
    for failure in report.failed:
        run.failures.append(failure)
        run.count("failures")
        run.count("failures/store")
