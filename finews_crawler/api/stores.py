"""A store for each request: SQLite connections belong to the thread that opened them (the
API answers on a thread pool), so each thread opens its own; other stores are shared."""

from __future__ import annotations

import contextlib
import threading

from finews_crawler.storage import Store, open_store


class StoreAccess:
    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._per_thread = uri.startswith("sqlite:")
        self._local = threading.local()
        self._shared: Store | None = None
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        if not self._per_thread:
            with self._lock:
                if self._shared is None:
                    self._shared = open_store(self.uri)
                    self._opened.append(self._shared)
                return self._shared
        store = getattr(self._local, "store", None)
        if store is None:
            store = open_store(self.uri)
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for store in opened:
            # at shutdown, SQLite handles of other threads refuse: the process exit closes them
            with contextlib.suppress(Exception):
                store.close()
