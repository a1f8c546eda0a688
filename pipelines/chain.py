"""The whole pipeline: one Scrapy item pipeline running the stages in order (ChainPipeline),
and a plain function running the same stage objects without Scrapy.

Inside Scrapy the five stages are one item pipeline: each Scrapy pipeline step costs a
coroutine, an awaitable check and a name lookup per item, about as much as validate and dedupe
together; the stages stay classes of their own and keep their own failure records.

The plain function is used by one-off fetches, archive imports, benchmarks and tests:

    from finews_crawler.storage import open_store
    from pipelines import ingest_pages
    results = ingest_pages([raw_page], open_store("sqlite:///data/finews.sqlite3"))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from finews_crawler.crawl.store_component import StoreComponent
from finews_crawler.items import RawPage
from finews_crawler.storage import Store
from pipelines.dedupe import DedupePipeline, DuplicateArticle
from pipelines.extract import ExtractPipeline
from pipelines.normalize import NormalizePipeline
from pipelines.stage import FailedItem
from pipelines.store import StorePipeline
from pipelines.validate import ValidatePipeline

STAGES = (ExtractPipeline, NormalizePipeline, ValidatePipeline, DedupePipeline, StorePipeline)


class ChainPipeline:
    """ITEM_PIPELINES' one entry: every stage of STAGES, in order, for each item.

    A stage's FailedItem (its failure record is filed), a DuplicateArticle or any other
    DropItem ends the item there, as Scrapy's own chain would; what the store stage returns
    (the item, or a coroutine Scrapy awaits when the writer is behind or in write-through
    mode) is what Scrapy gets.
    """

    def __init__(self, stages: list[Any]) -> None:
        *self.article_stages, self.store_stage = stages
        self.stages = stages

    @classmethod
    def from_crawler(cls, crawler) -> ChainPipeline:
        return cls([stage.from_crawler(crawler) for stage in STAGES])

    def process_item(self, item: Any) -> Any:
        for stage in self.article_stages:
            item = stage.process_item(item)
        return self.store_stage.process_item(item)

    async def open_spider(self) -> None:
        for stage in self.stages:  # in order, as Scrapy opens its pipelines
            opened = getattr(stage, "open_spider", None)
            if opened is not None:
                await _awaited(opened())

    async def close_spider(self) -> None:
        for stage in reversed(self.stages):  # the store last opened, first closed
            closed = getattr(stage, "close_spider", None)
            if closed is not None:
                await _awaited(closed())


async def _awaited(result: Any) -> Any:
    """The result of a stage's open/close: awaited when it is a coroutine or Deferred."""
    from scrapy.utils.defer import ensure_awaitable

    return await ensure_awaitable(result)


@dataclass
class IngestResult:
    """What became of one page: new/updated/unchanged/duplicate, or failed with a record."""

    url: str
    status: str
    article: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None


def as_raw_page(page: RawPage | dict[str, Any]) -> RawPage:
    return page if isinstance(page, RawPage) else RawPage(**page)


def ingest_pages(
    pages: Iterable[RawPage | dict[str, Any]],
    store: Store | None = None,
    *,
    run: StoreComponent | None = None,
    spider: str = "ingest",
) -> list[IngestResult]:
    """Run every page through all stages and store the articles in one batch."""
    if run is None:
        if store is None:
            raise ValueError("ingest_pages needs a store or an StoreComponent")
        run = StoreComponent(store, spider=spider)
    run.keep_outcomes = True
    *article_stages, store_stage = (stage(run) for stage in STAGES)
    assert isinstance(store_stage, StorePipeline)
    store_stage.batch_size, store_stage.flush_seconds = 10**9, float("inf")  # flush at the end
    results: list[IngestResult] = []
    stored: list[IngestResult] = []
    for page in pages:
        item: Any = as_raw_page(page)
        url = item.get("url", "?")
        try:
            for stage in article_stages:
                item = stage.process_item(item)
        except DuplicateArticle:
            results.append(IngestResult(url, "duplicate"))
            continue
        except FailedItem as failed:  # its own record: run.failures stops at KEPT_FAILURES
            results.append(IngestResult(url, "failed", failure=failed.record))
            continue
        store_stage.process_item(item)
        result = IngestResult(url, "pending")
        results.append(result)
        stored.append(result)
    first_outcome = len(run.outcomes)
    store_stage.flush()
    for result, outcome in zip(stored, run.outcomes[first_outcome:], strict=True):
        result.status, result.article = outcome.status, outcome.article
    return results


def ingest(page: RawPage | dict[str, Any], store: Store) -> IngestResult:
    """One page through the whole chain."""
    return ingest_pages([page], store)[0]
