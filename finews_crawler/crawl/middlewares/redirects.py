"""Redirects that cannot loop forever, cannot be lost to the duplicate filter, and cannot
leave http(s) without a record."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from finews_crawler.crawl.middlewares.link_safety import ALLOWED_SCHEMES, LinkRefused

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class LoopSafeRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects, minus three ways of losing a page without a trace.

    Scrapy filters a redirect target the crawl has already seen as a duplicate, silently: a
    redirect loop (A -> B -> A) or many dead articles redirected to one home page would vanish
    without a failure record. Here every redirect hop bypasses the duplicate filter, and a
    loop is refused with its own reason (which reaches the errback, hence a failure record);
    REDIRECT_MAX_TIMES still bounds every chain. Scrapy also hands a redirect to a non-http(s)
    scheme (file:///etc/passwd) to the spider as an empty 3xx page; here it is a LinkRefused
    (permanent) like any other refused URL. Every hop that is followed is a new request, so
    the link-safety middleware judges its address before it is downloaded.
    """

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        result = super().process_response(request, response)
        if result is response:
            refused = _refused_scheme(self, request, response)
            if refused:
                raise LinkRefused(refused)
        if isinstance(result, Request) and result is not request:
            chain = [*request.meta.get("redirect_urls", []), request.url]
            if result.url in chain:
                raise IgnoreRequest(
                    f"redirect loop after {len(chain)} hop(s): {request.url} -> {result.url}"
                )
            result.dont_filter = True
        return result


def _refused_scheme(middleware: RedirectMiddleware, request: Request, response: Response) -> str:
    """Why a redirect Scrapy declined to follow must be refused ('' when it need not be).

    Only redirects the request did not opt out of (dont_redirect, handle_httpstatus_*) count.
    """
    location = response.headers.get(b"Location")
    if response.status not in REDIRECT_STATUSES or not location:
        return ""
    spider = getattr(middleware.crawler, "spider", None)
    if (
        request.meta.get("dont_redirect", False)
        or request.meta.get("handle_httpstatus_all", False)
        or response.status in request.meta.get("handle_httpstatus_list", ())
        or response.status in getattr(spider, "handle_httpstatus_list", ())
    ):
        return ""
    target = urljoin(request.url, location.decode("latin-1").strip())
    scheme = urlsplit(target).scheme.lower()
    if scheme in ALLOWED_SCHEMES:
        return ""
    return (
        f"refused {scheme or 'scheme-less'}: URL (only http/https) in a redirect to {target[:200]}"
    )
