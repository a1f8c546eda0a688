"""Redirects that cannot loop forever, and cannot be lost to the duplicate filter."""

from __future__ import annotations

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request


class LoopSafeRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects, minus two ways of losing a page without a trace.

    Scrapy filters a redirect target the crawl has already seen as a duplicate, silently: a
    redirect loop (A -> B -> A) or many dead articles redirected to one home page would vanish
    without a failure record. Here every redirect hop bypasses the duplicate filter, and a
    loop is refused with its own reason (which reaches the errback, hence a failure record);
    REDIRECT_MAX_TIMES still bounds every chain.
    """

    def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if isinstance(result, Request) and result is not request:
            chain = [*request.meta.get("redirect_urls", []), request.url]
            if result.url in chain:
                raise IgnoreRequest(
                    f"redirect loop after {len(chain)} hop(s): {request.url} -> {result.url}"
                )
            result.dont_filter = True
        return result
