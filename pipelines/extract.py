"""Stage 1, extract: find the article's raw fields on a fetched page with its source adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from finews_crawler.crawl.fetch_check import check_fetch
from finews_crawler.crawl.store_component import StageFailure
from finews_crawler.items import RawPage
from finews_crawler.sources import Extracted, ExtractionError, Page, SourceAdapter, adapter_for
from pipelines.stage import Stage


@dataclass
class ExtractedPage:
    """A RawPage with its adapter's findings, on the way to normalisation."""

    raw: RawPage
    adapter: SourceAdapter
    extracted: Extracted

    def get(self, key: str, default: Any = None) -> Any:
        """Read raw-page fields (url, context) so failure records work at any stage."""
        return self.raw.get(key, default)


class ExtractPipeline(Stage):
    accepts: ClassVar[tuple[type, ...]] = (RawPage,)

    def process(self, item: RawPage) -> ExtractedPage:
        self.run.count("pages")
        check_fetch(item)
        page = Page.of(item)
        adapter = adapter_for(page.address)
        if adapter is None:
            raise StageFailure("extract", f"no adapter handles {page.address!r}")
        try:
            extracted = adapter.extract(page)
        except ExtractionError as exc:
            raise StageFailure("extract", exc.reason, retriable=exc.retriable) from None
        return ExtractedPage(raw=item, adapter=adapter, extracted=extracted)
