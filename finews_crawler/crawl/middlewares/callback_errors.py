"""An exception raised in a spider callback ends its page as a failure record, not a log line.

Scrapy logs a callback's exception ("Spider error processing") and moves on: the page, and
every article behind it, would vanish without a record or a count. This spider middleware
turns the exception into the RawPage error `parse: ExcClass: message`, which the pipelines
record like any other failure (stage "parse"); the crawl goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import CloseSpider, DontCloseSpider, IgnoreRequest

logger = logging.getLogger("finews.spider")

# Exceptions Scrapy itself acts on: never turned into failure records.
_CONTROL = (CloseSpider, DontCloseSpider, IgnoreRequest)


class CallbackErrorsMiddleware:
    """Spider middleware: a callback's exception becomes a failed RawPage (stage "parse")."""

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> CallbackErrorsMiddleware:
        return cls(crawler)

    def process_spider_exception(self, response, exception, spider=None) -> list[Any] | None:
        spider = spider or getattr(self.crawler, "spider", None)
        if isinstance(exception, _CONTROL) or not hasattr(spider, "callback_failure"):
            return None
        # The failure record's own log line says what happened; the traceback is for debugging.
        logger.debug("callback raised for %s", response.url, exc_info=exception)
        return [spider.callback_failure(response, "parse", exception)]
