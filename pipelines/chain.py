"""The whole pipeline as a plain function: the same stage objects Scrapy runs, without Scrapy.

Used by one-off fetches, archive imports, benchmarks and tests:

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
