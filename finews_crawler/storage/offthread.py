"""Store calls made from the Scrapy reactor thread without ever blocking it.

A server-backed store (MongoDB) can be slow or away; a call made on the reactor thread would
stall every download while it waits. `call_store` runs such calls in Twisted's thread pool and,
when the store is unreachable, waits between tries with a timer (never `time.sleep`), up to a
bound, then raises `StoreUnavailable` so the caller can mark its work unfinished with a record.

An embedded store (SQLite: no `transient_errors`) is called directly: it has no outage to wait
for, and its connection belongs to the reactor thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor, task, threads

from finews_crawler.storage.base import Store, StoreError

logger = logging.getLogger("finews.store")

T = TypeVar("T")
DEFAULT_WAIT_SECONDS = 60.0


class StoreUnavailable(StoreError):
    """The store stayed unreachable for the whole wait."""


async def call_store(
    store: Store,
    call: Callable[..., T],
    *args: Any,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    **kwargs: Any,
) -> T:
    """`call(*args, **kwargs)` against `store`, off the reactor thread when it is a server.

    Transient errors (the store's own list) are retried with growing pauses for at most
    `wait_seconds`; anything else propagates at once.
    """
    transient = getattr(store, "transient_errors", ())
    if not transient:
        return call(*args, **kwargs)
    deadline = time.monotonic() + wait_seconds
    delay = 0.5
    while True:
        try:
            return await maybe_deferred_to_future(threads.deferToThread(call, *args, **kwargs))
        except transient as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreUnavailable(
                    f"store {store.uri_for_display} unreachable for {wait_seconds:.0f}s:"
                    f" {type(exc).__name__}"
                ) from None
            pause = min(delay, left)
            logger.info("store call failed (%s); trying again in %.1fs", type(exc).__name__, pause)
            await maybe_deferred_to_future(task.deferLater(reactor, pause, lambda: None))
            delay = min(delay * 2, 5.0)
