"""Item pipelines: RawPage -> extract -> normalize -> validate -> deduplicate -> store.

Each stage is a plain class with `process_item(item)`; Scrapy runs them as ITEM_PIPELINES and
`pipelines.chain.ingest()` runs the very same objects without Scrapy (one-off fetches,
archive imports, tests).
"""

from finews_crawler.crawl.store_component import StageFailure, StoreComponent
from pipelines.chain import ingest, ingest_pages

__all__ = ["StageFailure", "StoreComponent", "ingest", "ingest_pages"]
