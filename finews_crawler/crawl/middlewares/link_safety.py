"""Link safety: only http(s), never a non-routable or metadata address, and no reaching into
private networks from user input or public pages."""

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
_ANSWERS: dict[str, str] = {}  # host -> its kind (per process; DNS answers are cached)
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class LinkRefused(IgnoreRequest):
    """A URL the crawler will not fetch; permanent (a retry cannot change the answer)."""


def literal_address(host: str) -> Address | None:
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


# What an address is to the crawler, from harmless to never fetched.
PUBLIC, LOOPBACK, PRIVATE, BLOCKED = "public", "loopback", "private", "blocked"
_SEVERITY = {PUBLIC: 0, LOOPBACK: 1, PRIVATE: 2, BLOCKED: 3}
# Networks a LAN mirror may live on (RFC 1918, shared address space as VPN overlays use it,
# IPv6 unique local): private, allowed from private bases, never from public pages.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
# Cloud metadata endpoints outside link-local (AWS IPv6, Alibaba, Oracle) and the link-local
# ones by name (AWS/GCP/Azure/OpenStack, AWS ECS): never fetched, whatever their network.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _ipv4_inside(address: Address) -> Address:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is where it leads."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def address_kind(address: Address) -> str:
    """PUBLIC, LOOPBACK, PRIVATE (a LAN) or BLOCKED: cloud metadata, link-local, unspecified,
    multicast, broadcast, reserved, documentation/benchmark ranges: nothing a crawler has any
    business reaching, from any origin."""
    address = _ipv4_inside(address)
    if address in METADATA_ADDRESSES:
        return BLOCKED
    if address.is_loopback:
        return LOOPBACK
    if any(address in network for network in PRIVATE_NETWORKS):
        return PRIVATE
    if address.is_global and not (address.is_multicast or address.is_reserved):
        return PUBLIC
    return BLOCKED


def is_private(address: Address) -> bool:
    """Anything but a public address: loopback, a LAN, or blocked."""
    return address_kind(address) != PUBLIC


def host_kind(host: str) -> str:
    """What a host name or literal leads to (resolves names; the worst answer wins).

    Names that do not resolve count as public: the download fails on its own, with its reason.
    """
    host = host.lower().rstrip(".")
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return LOOPBACK
    literal = literal_address(host)
    if literal is not None:
        return address_kind(literal)
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return PUBLIC
    kinds = [address_kind(ipaddress.ip_address(str(info[4][0]).split("%")[0])) for info in infos]
    return max(kinds, key=_SEVERITY.__getitem__, default=PUBLIC)


def host_is_private(host: str) -> bool:
    """Whether a host name or literal leads anywhere but the public internet."""
    return host_kind(host) != PUBLIC


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
    - link-local (cloud metadata), unspecified, multicast, reserved and other non-routable
      addresses: always, from every origin, private and loopback bases included;
    - a link found on (or a redirect from) a public page into a private or loopback
      address: always, so a hostile page cannot aim the crawler at the operator's network;
    - any private or loopback address when FINEWS_ALLOW_PRIVATE is false (what one-off
      fetches of user-given URLs should run with; crawls of configured bases allow them).

    Every redirect hop passes through here before it is downloaded, so a refusal comes
    before any connection. The refusal (LinkRefused) reaches the spider's errback and
    becomes a permanent failure record like any other.
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
        kind = await self._kind(host)
        if kind == PUBLIC:
            return None
        if kind == BLOCKED:
            raise LinkRefused(
                f"refused non-routable address {host} (link-local, cloud metadata or reserved)"
            )
        if not self.allow_private:
            raise LinkRefused(
                f"refused private/loopback address {host} (set FINEWS_ALLOW_PRIVATE=1 to allow)"
            )
        # Where the request came from: the linking page, and every hop of a redirect chain.
        origins = [_referrer(request), *request.meta.get("redirect_urls", [])]
        for origin in origins:
            origin_host = urlsplit(origin).hostname if origin else None
            if origin_host and await self._kind(origin_host) == PUBLIC:
                raise LinkRefused(
                    f"refused link from public page {origin_host} to private address {host}"
                )
        return None

    @staticmethod
    async def _kind(host: str) -> str:
        """Literals and names seen before answer at once; new names resolve off the reactor."""
        key = host.lower()
        if key not in _ANSWERS:
            if literal_address(key.strip("[]")) is not None or key in _LOCAL_NAMES:
                _ANSWERS[key] = host_kind(key)
            else:
                _ANSWERS[key] = await maybe_deferred_to_future(deferToThread(host_kind, key))
        return _ANSWERS[key]
