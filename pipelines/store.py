"""Stage 5, store: batched upserts into the configured store; counts new/updated/unchanged."""

from __future__ import annotations

import time
from typing import ClassVar

from itemadapter import ItemAdapter

from finews_crawler.items import Article
from pipelines.run import IngestRun
from pipelines.stage import Stage

DEFAULT_BATCH_SIZE = 200
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
        return cls(
            IngestRun.of(crawler),
            batch_size=settings.getint("FINEWS_STORE_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            flush_seconds=settings.getfloat("FINEWS_STORE_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS),
        )

    def process(self, item: Article) -> Article:
        self.pending.append(ItemAdapter(item).asdict())
        if (
            len(self.pending) >= self.batch_size
            or time.monotonic() - self._last_flush >= self.flush_seconds
        ):
            self.flush()
        return item

    def flush(self) -> None:
        """Write the pending batch; count outcomes; clear failures the articles resolve."""
        self._last_flush = time.monotonic()
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        outcomes = self.run.store.upsert_articles(batch)
        for outcome in outcomes:
            self.run.count(f"articles/{outcome.status}")
        self.run.store.clear_failures(
            urls=[doc.get("source_url") for doc in batch],
            article_ids=[doc["_id"] for doc in batch],
        )
        self.run.outcomes.extend(outcomes)

    def close_spider(self) -> None:
        self.flush()
