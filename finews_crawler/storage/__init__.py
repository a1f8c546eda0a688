"""Storage backends behind one interface; `open_store(uri)` picks one from FINEWS_STORE."""

from __future__ import annotations

from finews_crawler.config import NO_STORE, default_store_uri, env_str
from finews_crawler.storage.base import (
    NEW,
    UNCHANGED,
    UPDATED,
    ArticleQuery,
    Store,
    StoreError,
    UpsertOutcome,
)
from finews_crawler.storage.query import FailureQuery, RunQuery

__all__ = [
    "NEW",
    "UNCHANGED",
    "UPDATED",
    "ArticleQuery",
    "FailureQuery",
    "RunQuery",
    "Store",
    "StoreError",
    "UpsertOutcome",
    "open_store",
    "store_uri",
]


def store_uri(uri: str | None = None) -> str:
    """The URI to use: explicit, else $FINEWS_STORE, else the project's embedded store
    (config.default_store_uri); with none of them, StoreError saying how to name one."""
    uri = uri or env_str("FINEWS_STORE") or default_store_uri()
    if not uri:
        raise StoreError(NO_STORE)
    return uri


def open_store(uri: str | None = None) -> Store:
    """Open the store a URI names: sqlite:///path (default) or mongodb://, mongodb+srv://."""
    uri = store_uri(uri)
    if uri.startswith("sqlite:///"):
        from finews_crawler.storage.sqlite import SQLiteStore, path_from_uri

        return SQLiteStore(path_from_uri(uri))
    if uri.startswith(("mongodb://", "mongodb+srv://")):
        from finews_crawler.storage.mongo import MongoStore

        return MongoStore(uri)
    raise StoreError(
        f"unknown store URI scheme in {uri.split('://')[0]!r}: use sqlite:///path or mongodb://host"
    )
