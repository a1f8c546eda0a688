"""Webhook target: HTTP POST of the article JSON, signed with HMAC-SHA256 over the raw body.

Headers: `X-Finews-Signature: sha256=<hex HMAC-SHA256(secret, body)>`, `X-Finews-Id`,
`X-Finews-Revision`, `X-Finews-Seq`, `X-Finews-Source`, `X-Finews-Status`. A 2xx answer is
the acknowledgement; anything else (or no answer within the timeout) is a failed attempt. A
refused connection or an unknown host means the receiver is away (TargetUnavailable).
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

from finews_crawler.push.message import Message, TargetUnavailable

SIGNATURE_HEADER = "X-Finews-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for this body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute over the raw body, compare in constant time."""
    return bool(header) and hmac.compare_digest(sign(secret, body), str(header))


class WebhookError(Exception):
    """The receiver did not acknowledge (status or transport error)."""


class WebhookTarget:
    def __init__(self, url: str, secret: str, timeout: float = 10.0) -> None:
        if not urlsplit(url).scheme.startswith("http"):
            raise ValueError(f"webhook URL must be http(s)://, got {url!r}")
        if not secret:
            raise ValueError("a webhook needs a secret (--secret or FINEWS_PUSH_SECRET)")
        self.url = url
        self._secret = secret
        self.timeout = timeout
        parts = urlsplit(url)
        self.name = "webhook:" + urlunsplit(
            (parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", "")
        )

    def send(self, message: Message) -> None:
        body = message.body.encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json; charset=utf-8")
        request.add_header(SIGNATURE_HEADER, sign(self._secret, body))
        request.add_header("X-Finews-Id", message.article_id)
        request.add_header("X-Finews-Revision", str(message.revision))
        request.add_header("X-Finews-Seq", str(message.seq))
        request.add_header("X-Finews-Source", message.source)
        request.add_header("X-Finews-Status", message.status)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise WebhookError(f"HTTP {exc.code}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError | socket.gaierror):
                raise TargetUnavailable(str(exc.reason)) from None
            raise WebhookError(str(exc.reason)) from None
        except (OSError, ValueError) as exc:
            raise WebhookError(f"{type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        """Nothing held between requests."""
