"""A real webhook receiver on loopback for the push tests: records every POST, checks its
HMAC-SHA256 signature with the shared secret the way README "Push" tells receivers to, and
answers a chosen status (200, or 500 to make the sender retry and dead-letter)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivery:
    headers: dict[str, str]
    article: dict[str, Any]
    signature_ok: bool


@dataclass
class Receiver:
    secret: str
    status: int = 200
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def snapshot(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Written from the README's recipe, independent of the sender's code."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return header is not None and hmac.compare_digest(expected, header)


@contextmanager
def webhook_receiver(secret: str, status: int = 200, port: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(secret=secret, status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            delivery = Delivery(
                headers={k.lower(): v for k, v in self.headers.items()},
                article=json.loads(body),
                signature_ok=signature_ok(secret, body, self.headers.get("X-Finews-Signature")),
            )
            with receiver.lock:
                receiver.deliveries.append(delivery)
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
