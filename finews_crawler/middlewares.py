"""Downloader middlewares of this project."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

ALLOWED_SCHEMES = ("http", "https")


class LinkSafetyMiddleware:
    """Refuse URLs that are not http(s) (file:, ftp:, javascript:, data: ...) with a clear reason.

    The refusal reaches the spider's errback, so it becomes a failure record like any other.
    """

    def process_request(self, request, spider=None):
        scheme = urlsplit(request.url).scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise IgnoreRequest(f"refused {scheme or 'scheme-less'}: URL (only http/https)")
        return None
