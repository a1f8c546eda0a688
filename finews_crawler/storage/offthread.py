"""Store calls made from the Scrapy reactor thread without ever blocking it.

A server-backed store (MongoDB) can be slow or away; a call made on the reactor thread would
stall every download while it waits. `call_store` runs such calls in Twisted's thread pool and,
when the store is unreachable, waits between tries with a timer (never `time.sleep`), up to a
bound, then raises `StoreUnavailable` so the caller can mark its work unfinished with a record.

An embedded store (SQLite: no `transient_errors`) is called directly: it has no outage to wait
for, and its connection belongs to the reactor thread.

The reactor is imported inside the functions: importing this module must not install one.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from finews_crawler.storage.base import Store, StoreError

logger = logging.getLogger("finews.store")

T = TypeVar("T")
DEFAULT_WAIT_SECONDS = 60.0


class StoreUnavailable(StoreError):
    """The store stayed unreachable for the whole wait."""


def on_reactor_thread() -> bool:
    """True inside a running Twisted reactor's own thread (where nothing may block)."""
    if "twisted.internet.reactor" not in sys.modules:
        return False  # no reactor installed: a command line tool, a plain script
    from twisted.internet import reactor
    from twisted.python import threadable

    return bool(getattr(reactor, "running", False)) and threadable.isInIOThread()


def run_on_reactor(call: Callable[..., Any], *args: Any) -> None:
    """`call(*args)` on the reactor thread: now if this is it, else as soon as it is free.

    Without a running reactor (command line tools) the call runs at once, here.
    """
    if "twisted.internet.reactor" in sys.modules:
        from twisted.internet import reactor

        if getattr(reactor, "running", False) and not on_reactor_thread():
            reactor.callFromThread(call, *args)
            return
    call(*args)


async def wait_for(future: Future[T]) -> T:
    """The result of a `concurrent.futures.Future` (a store's writer thread), awaited on the
    reactor without blocking it."""
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import defer, reactor

    deferred: defer.Deferred[T] = defer.Deferred()

    def done(finished: Future[T]) -> None:
        exc = finished.exception()
        if exc is not None:
            reactor.callFromThread(deferred.errback, exc)
        else:
            reactor.callFromThread(deferred.callback, finished.result())

    future.add_done_callback(done)
    return await maybe_deferred_to_future(deferred)


def close_off_reactor(close: Callable[[], None]) -> None:
    """`close()` now, or, on the reactor thread, in a thread of its own that the interpreter
    waits for at exit (a client's close may wait for its server; the reactor must not)."""
    if on_reactor_thread():
        threading.Thread(target=close, name="finews-store-close").start()
    else:
        close()


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
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import reactor, task, threads

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
