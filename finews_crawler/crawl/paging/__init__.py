"""Feed paging that cannot lose an article: coverage in time (coverage.py), the per-page rule
(rule.py); the crawl-side glue that reads and writes the store is crawl.incremental."""

from finews_crawler.crawl.paging.coverage import (
    NEG_INF,
    FeedCoverage,
    from_us,
    merge_intervals,
    to_us,
)
from finews_crawler.crawl.paging.rule import (
    CURSOR,
    PAGE_NUMBER,
    PAGING_KINDS,
    REACHED,
    TIME_CURSOR,
    Carry,
    Entry,
    FeedListing,
    Limits,
    PagePlan,
    plan_failed_page,
    plan_page,
)

__all__ = [
    "CURSOR",
    "NEG_INF",
    "PAGE_NUMBER",
    "PAGING_KINDS",
    "REACHED",
    "TIME_CURSOR",
    "Carry",
    "Entry",
    "FeedCoverage",
    "FeedListing",
    "Limits",
    "PagePlan",
    "from_us",
    "merge_intervals",
    "plan_failed_page",
    "plan_page",
    "to_us",
]
