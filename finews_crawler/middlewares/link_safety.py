"""Link safety: only http(s), and no reaching into private networks from user input."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

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
