"""Downloader middlewares of this project."""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

logger = logging.getLogger("finews.politeness")
ALLOWED_SCHEMES = ("http", "https")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_ANSWERS: dict[str, bool] = {}  # host -> private? (per process; DNS answers are cached)


class LinkRefused(IgnoreRequest):
    """A URL the crawler will not fetch; permanent (a retry cannot change the answer)."""


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names without DNS: dotted, IPv6, and the integer/hex/octal forms
    (http://2130706433/, http://0x7f.1/) that browsers and resolvers also accept."""
    host = host.strip("[]").split("%")[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # inet_aton accepts the legacy shorthand forms; it is what resolvers apply
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local (cloud metadata), unspecified, reserved or multicast."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
        or address.is_multicast
    )


def host_is_private(host: str) -> bool:
    """Whether a host name or literal leads into a private network (resolves names).

    Names that do not resolve count as public: the download fails on its own, with its reason.
    """
    host = host.lower().rstrip(".")
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    literal = literal_address(host)
    if literal is not None:
        return is_private(literal)
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    return any(is_private(ipaddress.ip_address(info[4][0].split("%")[0])) for info in infos)


def _referrer(request: Request) -> str | None:
    referer = request.headers.get(b"Referer")
    if referer:
        return referer.decode("latin-1")
    context = (request.cb_kwargs or {}).get("context") or {}
    source = context.get("source_url")
    return source if source and source != request.url else None


class LinkSafetyMiddleware:
    """Refuse what a crawler of the public web must not fetch, with a clear reason:

    - URLs that are not http(s) (file:, ftp:, javascript:, data: ...): always;
    - a link found on (or a redirect from) a public page into a private or loopback
      address: always, so a hostile page cannot aim the crawler at the operator's network;
    - any private or loopback address when FINEWS_ALLOW_PRIVATE is false (what one-off
      fetches of user-given URLs should run with; crawls of configured bases allow them).

    The refusal (LinkRefused) reaches the spider's errback and becomes a permanent failure
    record like any other.
    """

    def __init__(self, allow_private: bool = True) -> None:
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler) -> LinkSafetyMiddleware:
        return cls(crawler.settings.getbool("FINEWS_ALLOW_PRIVATE", True))

    async def process_request(self, request, spider=None):
        parts = urlsplit(request.url)
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise LinkRefused(f"refused {scheme or 'scheme-less'}: URL (only http/https)")
        host = parts.hostname or ""
        if not host:
            raise LinkRefused(f"refused URL without a host: {request.url[:200]}")
        if not await self._private(host):
            return None
        if not self.allow_private:
            raise LinkRefused(
                f"refused private/loopback address {host} (set FINEWS_ALLOW_PRIVATE=1 to allow)"
            )
        # Where the request came from: the linking page, and every hop of a redirect chain.
        origins = [_referrer(request), *request.meta.get("redirect_urls", [])]
        for origin in origins:
            origin_host = urlsplit(origin).hostname if origin else None
            if origin_host and not await self._private(origin_host):
                raise LinkRefused(
                    f"refused link from public page {origin_host} to private address {host}"
                )
        return None

    @staticmethod
    async def _private(host: str) -> bool:
        """Literals and names seen before answer at once; new names resolve off the reactor."""
        key = host.lower()
        if key not in _ANSWERS:
            if literal_address(key.strip("[]")) is not None or key in _LOCAL_NAMES:
                _ANSWERS[key] = host_is_private(key)
            else:
                _ANSWERS[key] = await maybe_deferred_to_future(deferToThread(host_is_private, key))
        return _ANSWERS[key]


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


class RequeuedFollowUpsMiddleware:
    """Spider middleware: requests made on behalf of a requeued article skip the dupe filter.

    pipelines.requeue fetches an article again from its entry URL; the follow-ups (the text
    API behind a share page) were seen before and would otherwise be filtered, silently.
    """

    @staticmethod
    def _mark(entry):
        if isinstance(entry, Request):
            context = (entry.cb_kwargs or {}).get("context") or {}
            if context.get("requeues"):
                entry.dont_filter = True
        return entry

    def process_spider_output(self, response, result, spider=None):
        for entry in result:
            yield self._mark(entry)

    async def process_spider_output_async(self, response, result, spider=None):
        async for entry in result:
            yield self._mark(entry)


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(resolve_encoding(encoding) or encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


class EncodingFallbackMiddleware:
    """Decode Chinese pages right when their charset is missing or wrong.

    Scrapy decodes with the header charset, a BOM or <meta charset>, and otherwise guesses
    statistically, which reads a short GBK page as Korean (cp949) without a trace. Here an
    undeclared body that is not valid UTF-8 is read as GB18030 (the superset of GBK and
    GB2312) when it decodes cleanly as such, and so is a body its declared charset cannot
    decode (a GBK page labelled UTF-8). Valid, declared pages pass untouched; binary bodies
    (NUL bytes under a non-text content type) stay binary.
    """

    FALLBACKS = ("utf-8", "gb18030")
    TEXTUAL = ("text/", "json", "xml", "javascript", "html")

    def process_response(self, request, response, spider=None):
        if not isinstance(response, TextResponse) or not response.body:
            return response
        body = response.body
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if b"\x00" in body[:4096] and not any(kind in content_type for kind in self.TEXTUAL):
            # An image or archive Scrapy sniffed as text (by the URL's .html): keep it binary,
            # so it fails as "not a text response" instead of as an odd page.
            return Response(
                url=response.url,
                status=response.status,
                headers=response.headers,
                body=body,
                flags=response.flags,
                request=response.request,
                ip_address=response.ip_address,
                protocol=response.protocol,
            )
        declared = self.declared_encoding(response)
        if declared and _decodes(body, declared):
            return response
        for encoding in self.FALLBACKS:
            if _decodes(body, encoding):
                return response.replace(encoding=encoding)
        return response

    @staticmethod
    def declared_encoding(response: TextResponse) -> str | None:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        bom, _ = read_bom(response.body)
        declared = bom or http_content_type_encoding(content_type)
        if not declared and isinstance(response, HtmlResponse):
            declared = html_body_declared_encoding(response.body)
        return declared
