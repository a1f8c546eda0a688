"""Network guard for the test suite: nothing may leave 127.0.0.0/8, in any process.

tests/conftest.py installs it in the pytest process and puts this folder first on the
children's PYTHONPATH, so every Python child (crawls, the mock site, helpers) imports it at
start-up as `sitecustomize`. A connect()/connect_ex()/sendto() to an address outside
127.0.0.0/8 and ::1, or a name lookup other than localhost (a DNS query is a packet too), is
refused before the packet exists (EACCES for connects, EAI_NONAME for lookups: the code under
test sees an ordinary network error) and is appended to the file named by
TESTS_NET_GUARD_LOG (not a FINEWS_* name: some tests strip those from a child's environment);
conftest fails the test during which a line was added.

Every Python-level client goes through these calls: Twisted's TCP client (Scrapy's
downloader) uses socket.connect_ex, asyncio's sock_connect and the stdlib use connect, and
both resolve names with socket.getaddrinfo.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import traceback
from typing import Any

LOG_ENV = "TESTS_NET_GUARD_LOG"
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_installed = False


def loopback_only(host: Any) -> bool:
    """Whether `host` (address or name) stays on loopback without sending a DNS query."""
    if isinstance(host, bytes):
        host = host.decode("idna", "replace")
    if not isinstance(host, str):
        return True  # an AF_UNIX path or similar: never leaves the machine
    name = host.strip("[]").split("%")[0].lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # a name: resolving it would query DNS
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _report(what: str) -> None:
    path = os.environ.get(LOG_ENV)
    stack = "".join(traceback.format_stack(limit=12)[:-2])
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()}: {what}\n{stack}\n")


def _remote(address: Any) -> bool:
    """Whether a socket address tuple points outside loopback."""
    return isinstance(address, tuple) and bool(address) and not loopback_only(address[0])


def install() -> None:
    """Patch the socket module once (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if _remote(address):
            _report(f"connect() to {address!r} refused by the test network guard")
            raise PermissionError(errno.EACCES, f"test network guard: no connect to {address!r}")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if _remote(address):
            _report(f"connect_ex() to {address!r} refused by the test network guard")
            return errno.EACCES
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        if args and _remote(args[-1]):
            _report(f"sendto() to {args[-1]!r} refused by the test network guard")
            raise PermissionError(errno.EACCES, f"test network guard: no sendto {args[-1]!r}")
        return real_sendto(self, data, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> list:
        if host is not None and not _numeric(host) and not loopback_only(host):
            _report(f"getaddrinfo({host!r}) refused by the test network guard (DNS query)")
            raise socket.gaierror(socket.EAI_NONAME, f"test network guard: no lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


def _numeric(host: Any) -> bool:
    """A literal address: resolving it sends nothing (connect() is guarded on its own)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    text = str(host).strip("[]").split("%")[0]
    try:
        ipaddress.ip_address(text)
    except ValueError:
        try:  # the legacy forms (2130706433, 0x7f.1) that getaddrinfo also reads as numbers
            socket.inet_aton(text)
        except OSError:
            return False
    return True


if __name__ == "sitecustomize" and os.environ.get(LOG_ENV):
    install()
