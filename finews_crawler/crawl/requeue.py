"""Fetch again, inside the same crawl, pages that arrived but could not be used.

Scrapy's RetryMiddleware already retries network errors and 5xx/429 (RETRY_TIMES). What it
cannot see is a 200 whose content is unusable: an empty body, JSON cut off mid-way, a body
of the wrong type, a redirect loop. Such a retriable failure is not recorded at once: the
article is fetched again from its entry URL (so a share page leads to the text API afresh,
and a feed entry keeps its feed fields), up to FINEWS_REQUEUE_TIMES times per failed URL.
Only when that budget is spent does the failure record appear. Requeues count as retries.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger("finews.requeue")

COUNT_KEY = "requeues"  # context key: {failed URL: times fetched again}
DEFAULT_TIMES = 2


def error_type(error: str) -> str:
    """The exception name a spider errback put in front of its message ("X: ...")."""
    head, sep, _ = error.partition(":")
    return head.strip() if sep and head.strip().isidentifier() else ""


class Requeuer:
    """Callable given to StoreComponent: True when the page was scheduled again (no record yet)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.times = settings.getint("FINEWS_REQUEUE_TIMES", DEFAULT_TIMES)
        # Errors Scrapy's RetryMiddleware has retried already: their budget is spent.
        self.retried_errors = (
            {
                (entry if isinstance(entry, str) else entry.__name__).rsplit(".", 1)[-1]
                for entry in settings.getlist("RETRY_EXCEPTIONS")
            }
            if settings.getbool("RETRY_ENABLED")
            else set()
        )

    def already_retried(self, item: Mapping[str, Any]) -> bool:
        if int(item.get("status") or 0) >= 400:
            return True  # HTTP errors: Scrapy retried RETRY_HTTP_CODES, the rest are final
        return error_type(str(item.get("error") or "")) in self.retried_errors

    def __call__(self, item: Mapping[str, Any], stage: str) -> bool:
        spider = getattr(self.crawler, "spider", None)
        engine = getattr(self.crawler, "engine", None)
        if self.times <= 0 or spider is None or engine is None:
            return False
        if not hasattr(spider, "page_request") or self.already_retried(item):
            return False
        context = dict(item.get("context") or {})
        failed_url = str(item.get("url") or "")
        entry_url = context.get("entry_url") or failed_url
        counts = dict(context.get(COUNT_KEY) or {})
        if not entry_url or counts.get(failed_url, 0) >= self.times:
            return False
        counts[failed_url] = counts.get(failed_url, 0) + 1
        context[COUNT_KEY] = counts
        request = spider.page_request(entry_url, context).replace(dont_filter=True)
        engine.crawl(request)
        stats = self.crawler.stats
        stats.inc_value("retry/count")
        stats.inc_value(f"retry/reason_count/finews.requeue/{stage}")
        logger.info(
            "fetching %s again (%d/%d): [%s] failed at %s",
            entry_url,
            counts[failed_url],
            self.times,
            stage,
            failed_url,
        )
        return True
