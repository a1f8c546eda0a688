"""The pipelines' view of the crawl's store component (finews_crawler/crawl/store_component.py).

`IngestRun` is the name the stages, importers and tests use for it.
"""

from __future__ import annotations

from finews_crawler.crawl.store_component import (
    KEPT_FAILURES,
    SEEN_HASHES_LIMIT,
    STATS_PREFIX,
    RecentHashes,
    StageFailure,
    StoreComponent,
    failure_article_id,
    failure_url,
)

IngestRun = StoreComponent

__all__ = [
    "KEPT_FAILURES",
    "SEEN_HASHES_LIMIT",
    "STATS_PREFIX",
    "IngestRun",
    "RecentHashes",
    "StageFailure",
    "StoreComponent",
    "failure_article_id",
    "failure_url",
]
