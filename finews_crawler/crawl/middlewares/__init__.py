"""Scrapy middlewares of this project, one module per job; settings name them from here."""

from finews_crawler.crawl.middlewares.backoff import BackoffMiddleware, retry_after_seconds
from finews_crawler.crawl.middlewares.callback_errors import CallbackErrorsMiddleware
from finews_crawler.crawl.middlewares.encoding import EncodingFallbackMiddleware
from finews_crawler.crawl.middlewares.link_safety import (
    LinkRefused,
    LinkSafetyMiddleware,
    host_is_private,
    is_private,
    literal_address,
)
from finews_crawler.crawl.middlewares.redirects import LoopSafeRedirectMiddleware
from finews_crawler.crawl.middlewares.requeue import RequeuedFollowUpsMiddleware

__all__ = [
    "BackoffMiddleware",
    "CallbackErrorsMiddleware",
    "EncodingFallbackMiddleware",
    "LinkRefused",
    "LinkSafetyMiddleware",
    "LoopSafeRedirectMiddleware",
    "RequeuedFollowUpsMiddleware",
    "host_is_private",
    "is_private",
    "literal_address",
    "retry_after_seconds",
]
