"""Waiting before retries: exponential backoff, and 429/503 Retry-After honoured per host."""

from __future__ import annotations

import logging
import time
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

logger = logging.getLogger("finews.politeness")


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class BackoffMiddleware:
    """Polite retries: wait before each retry (exponential backoff), and honour Retry-After.

    Scrapy's RetryMiddleware re-sends a failed request at once and ignores Retry-After. Here a
    429/503 with Retry-After holds every request to that host until the time has passed
    (capped by FINEWS_RETRY_AFTER_MAX), and the n-th retry of a request waits
    FINEWS_RETRY_BACKOFF * 2**(n-1) seconds (capped by FINEWS_RETRY_BACKOFF_MAX). Waiting
    requests count against CONCURRENT_REQUESTS, so a throttled host slows the crawl down.
    """

    def __init__(self, stats=None, base: float = 0.5, cap: float = 30.0, max_after: float = 300.0):
        self.stats = stats
        self.base, self.cap, self.max_after = base, cap, max_after
        self.not_before: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler) -> BackoffMiddleware:
        settings = crawler.settings
        return cls(
            crawler.stats,
            base=settings.getfloat("FINEWS_RETRY_BACKOFF", 0.5),
            cap=settings.getfloat("FINEWS_RETRY_BACKOFF_MAX", 30.0),
            max_after=settings.getfloat("FINEWS_RETRY_AFTER_MAX", 300.0),
        )

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    async def process_request(self, request, spider=None):
        host = urlsplit(request.url).netloc
        wait = self.not_before.get(host, 0.0) - time.monotonic()
        retries = int(request.meta.get("retry_times") or 0)
        if retries and self.base > 0:
            wait = max(wait, min(self.cap, self.base * 2 ** (retries - 1)))
        if wait > 0:
            from twisted.internet import reactor  # the installed one, never at import time

            self._inc("backoff/waits")
            await maybe_deferred_to_future(deferLater(reactor, wait))
        return None

    def process_response(self, request, response, spider=None):
        if response.status in (429, 503):
            delay = retry_after_seconds(response.headers.get(b"Retry-After"))
            if delay is not None:
                delay = min(delay, self.max_after)
                host = urlsplit(request.url).netloc
                self.not_before[host] = max(
                    self.not_before.get(host, 0.0), time.monotonic() + delay
                )
                self._inc("backoff/retry_after")
                logger.info(
                    "%s answered %d with Retry-After: holding requests to it for %.1fs",
                    host,
                    response.status,
                    delay,
                )
        return response
