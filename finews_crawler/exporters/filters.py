"""Filters as people type them (CLI options, API query parameters) turned into store queries.

One translation for exports, `finews articles|failures|runs` and `finews serve`, so
`--stock 600519.SH` and `?stock=600519.SH` select the same articles. Times: an ISO date or
date-time (Beijing time without an offset) or a look-back such as 90m, 6h, 1d, 2w.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from finews_crawler.exporters import query_bound
from finews_crawler.parsing.stock_query import UnknownStock, resolve_stock
from finews_crawler.scheduling.cron import parse_duration
from finews_crawler.storage import ArticleQuery, FailureQuery, RunQuery, Store
from finews_crawler.storage.query import decode_cursor

MAX_LIMIT = 1000


class FilterError(ValueError):
    """A filter value that cannot be understood; the message says which and why."""


def time_bound(name: str, value: str | None, now: datetime | None = None) -> datetime | None:
    """`since`/`until` as an aware UTC datetime (a look-back counts back from `now`)."""
    if value is None or not value.strip():
        return None
    look_back = parse_duration(value, unit_required=True)
    if look_back is not None:
        return (now or datetime.now(UTC)) - look_back
    try:
        return query_bound(value)
    except ValueError:
        raise FilterError(
            f"{name}={value!r}: use a date (2024-05-01), a date-time (2024-05-01T08:00,"
            " Beijing time without an offset) or a look-back (90m, 6h, 1d, 2w)"
        ) from None


def names_of(store: Store) -> Callable[[str], set[str]]:
    """How a stock name resolves on this store: its security master (storage/securities.py)
    when that knows the name, else the names stored articles give their stocks."""

    def lookup(name: str) -> set[str]:
        try:
            known = store.securities.named(name)
        except AttributeError:  # a store without a master
            known = []
        codes = {str(doc["code"]) for doc in known if doc.get("code")}
        return codes or store.stock_codes_named(name)

    return lookup


def stock_codes(store: Store, stock: str | None) -> list[str]:
    if stock is None or not stock.strip():
        return []
    try:
        return resolve_stock(stock, names_of(store))
    except UnknownStock as exc:
        raise FilterError(str(exc)) from None


def source_name(source: str | None) -> str | None:
    """A source articles are stored under; any other is refused rather than silently
    matching nothing (a route stored under another source says which)."""
    if source is None or not source.strip():
        return None
    from finews_crawler.sources import all_adapters

    adapters = all_adapters()
    names = sorted({adapter.name for adapter in adapters if not adapter.stored_as})
    route = next((a for a in adapters if a.name == source and a.stored_as), None)
    if route is not None:
        raise FilterError(
            f"{source!r} articles are stored as source {route.stored_as!r} (one record per "
            f"article, whichever route found it): use --source {route.stored_as}"
        )
    if source not in names:
        raise FilterError(f"unknown source {source!r} (sources: {', '.join(names)})")
    return source


def _int(name: str, value: Any, low: int, high: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FilterError(f"{name}={value!r}: not a whole number") from None
    if number < low or (high is not None and number > high):
        raise FilterError(f"{name}={number}: must be between {low} and {high or 'any'}")
    return number


def article_query(
    store: Store,
    *,
    stock: str | None = None,
    source: str | None = None,
    media: str | None = None,
    since: str | None = None,
    until: str | None = None,
    text: str | None = None,
    importance: Any = None,
    limit: Any = None,
    cursor: str | None = None,
    now: datetime | None = None,
) -> ArticleQuery:
    """The ArticleQuery these filters mean; FilterError names a bad value."""
    now = now or datetime.now(UTC)
    try:
        after = decode_cursor(cursor) if cursor else None
    except ValueError as exc:
        raise FilterError(f"cursor: {exc}") from None
    return ArticleQuery(
        since=time_bound("since", since, now),
        until=time_bound("until", until, now),
        media=media or None,
        stocks=stock_codes(store, stock),
        source=source_name(source),
        text=text or None,
        importance=_int("importance", importance, 0, 2),
        limit=_int("limit", limit, 1, MAX_LIMIT),
        after=after,
    )


def failure_query(
    *,
    since: str | None = None,
    until: str | None = None,
    stage: str | None = None,
    spider: str | None = None,
    text: str | None = None,
    retriable: bool | None = None,
    limit: Any = None,
    now: datetime | None = None,
) -> FailureQuery:
    now = now or datetime.now(UTC)
    return FailureQuery(
        since=time_bound("since", since, now),
        until=time_bound("until", until, now),
        stage=stage or None,
        spider=spider or None,
        text=text or None,
        retriable=retriable,
        limit=_int("limit", limit, 1, None),
    )


def run_query(*, spider: str | None = None, since: str | None = None, limit: Any = 20) -> RunQuery:
    return RunQuery(
        spider=spider or None,
        since=time_bound("since", since),
        limit=_int("limit", limit, 1, None),
    )
