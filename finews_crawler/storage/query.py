"""The query layer: what a reader asks the store (articles, failure records, runs), and how
each backend runs it (SQL for SQLite, a filter document for MongoDB).

One definition serves exports, the CLI (`finews articles|failures|runs`) and the HTTP API, so
a filter means the same thing everywhere and on both stores. User notations (stock codes in
any form, `1d`, names) are resolved before a query is built (exporters/filters.py); a query
holds resolved values only: stock codes, UTC datetimes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Newest first is (published_at, _id) descending; a cursor is the last row's pair.
Cursor = tuple[datetime, str]


@dataclass
class ArticleQuery:
    """Filters for reading articles back. Every filter given must hold (AND).

    `stock`: one code (as stored in `stocks[].code`); `stocks`: any of these codes. `media`
    and `text` are case-insensitive substrings (text: title or body); `importance` is a
    minimum. `after` (newest-first reads only) continues below a cursor.
    """

    since: datetime | None = None
    until: datetime | None = None
    media: str | None = None
    stock: str | None = None
    ids: list[str] = field(default_factory=list)
    stocks: list[str] = field(default_factory=list)
    source: str | None = None
    text: str | None = None
    importance: int | None = None
    limit: int | None = None
    after: Cursor | None = None

    def stock_codes(self) -> list[str]:
        return list(dict.fromkeys([*self.stocks, *([self.stock] if self.stock else [])]))


@dataclass
class FailureQuery:
    """Filters for failure records, newest `last_seen_at` first. `text` is a substring of
    the URL or the reason; `since`/`until` bound `last_seen_at`."""

    since: datetime | None = None
    until: datetime | None = None
    stage: str | None = None
    spider: str | None = None
    text: str | None = None
    retriable: bool | None = None
    limit: int | None = None


@dataclass
class RunQuery:
    """Filters for run records, most recent start first."""

    spider: str | None = None
    since: datetime | None = None
    limit: int | None = 20


# ---- cursors -------------------------------------------------------------------------------


def encode_cursor(article: dict[str, Any]) -> str:
    """An opaque continuation token for the row after `article` in newest-first order."""
    moment = article["published_at"]
    raw = json.dumps([moment.isoformat(), article["_id"]], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(token: str) -> Cursor:
    """The (published_at, _id) a cursor names; ValueError for anything we did not issue."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        moment, article_id = json.loads(raw.decode("utf-8"))
        return datetime.fromisoformat(moment), str(article_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a cursor this API issued: {token[:40]!r}") from exc


# ---- SQLite ----------------------------------------------------------------------------------

# article_stocks: (code, article_id), kept by the SQLite store beside each written article
_STOCK_SQL = "_id IN (SELECT article_id FROM article_stocks WHERE code IN ({marks}))"


def _contains_sql(expression: str) -> str:
    return f"instr(lower(coalesce({expression}, '')), lower(?)) > 0"


def article_sql(query: ArticleQuery | None) -> tuple[str, list[Any]]:
    """` WHERE ...` (or "") and its parameters, for the `articles` table."""
    if query is None:
        return "", []
    clauses: list[str] = []
    params: list[Any] = []
    if query.since is not None:
        clauses.append("published_at >= ?")
        params.append(query.since.isoformat())
    if query.until is not None:
        clauses.append("published_at < ?")
        params.append(query.until.isoformat())
    if query.media:
        clauses.append(_contains_sql("media"))
        params.append(query.media)
    codes = query.stock_codes()
    if codes:
        clauses.append(_STOCK_SQL.format(marks=",".join("?" * len(codes))))
        params.extend(codes)
    if query.ids:
        clauses.append(f"_id IN ({','.join('?' * len(query.ids))})")
        params.extend(query.ids)
    if query.source:
        clauses.append("source = ?")
        params.append(query.source)
    if query.text:
        clauses.append(f"({_contains_sql(_doc('title'))} OR {_contains_sql(_doc('body_text'))})")
        params.extend([query.text, query.text])
    if query.importance is not None:
        clauses.append(f"{_doc('importance')} >= ?")
        params.append(query.importance)
    if query.after is not None:
        moment, article_id = query.after
        clauses.append("(published_at < ? OR (published_at = ? AND _id < ?))")
        params.extend([moment.isoformat(), moment.isoformat(), article_id])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def failure_sql(query: FailureQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.since is not None:
        clauses.append("last_seen_at >= ?")
        params.append(query.since.isoformat())
    if query.until is not None:
        clauses.append("last_seen_at < ?")
        params.append(query.until.isoformat())
    for name in ("stage", "spider"):
        value = getattr(query, name)
        if value:
            clauses.append(f"{_doc(name)} = ?")
            params.append(value)
    if query.retriable is not None:
        clauses.append(f"coalesce({_doc('retriable')}, 0) = ?")
        params.append(1 if query.retriable else 0)
    if query.text:
        clauses.append(f"({_contains_sql('url')} OR {_contains_sql(_doc('reason'))})")
        params.extend([query.text, query.text])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def run_sql(query: RunQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.spider:
        clauses.append(f"{_doc('spider')} = ?")
        params.append(query.spider)
    if query.since is not None:
        clauses.append("started_at >= ?")
        params.append(query.since.isoformat())
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def limit_sql(limit: int | None) -> str:
    return f" LIMIT {int(limit)}" if limit is not None else ""


def _doc(name: str) -> str:
    return f"json_extract(doc, '$.{name}')"


# ---- MongoDB ---------------------------------------------------------------------------------


def _contains(value: str) -> dict[str, Any]:
    return {"$regex": re.escape(value), "$options": "i"}


def article_filter(query: ArticleQuery | None) -> dict[str, Any]:
    """The MongoDB filter document for `query` (same meaning as article_sql)."""
    found: dict[str, Any] = {}
    if query is None:
        return found
    published: dict[str, Any] = {}
    if query.since is not None:
        published["$gte"] = query.since
    if query.until is not None:
        published["$lt"] = query.until
    if published:
        found["published_at"] = published
    if query.media:
        found["media"] = _contains(query.media)
    codes = query.stock_codes()
    if codes:
        found["stocks.code"] = codes[0] if len(codes) == 1 else {"$in": codes}
    if query.ids:
        found["_id"] = {"$in": list(query.ids)}
    if query.source:
        found["source"] = query.source
    if query.importance is not None:
        found["importance"] = {"$gte": query.importance}
    both: list[dict[str, Any]] = []
    if query.text:
        both.append(
            {"$or": [{"title": _contains(query.text)}, {"body_text": _contains(query.text)}]}
        )
    if query.after is not None:
        moment, article_id = query.after
        both.append(
            {
                "$or": [
                    {"published_at": {"$lt": moment}},
                    {"published_at": moment, "_id": {"$lt": article_id}},
                ]
            }
        )
    if both:
        found["$and"] = both
    return found


def failure_filter(query: FailureQuery) -> dict[str, Any]:
    found: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    if query.since is not None:
        seen["$gte"] = query.since
    if query.until is not None:
        seen["$lt"] = query.until
    if seen:
        found["last_seen_at"] = seen
    for name in ("stage", "spider"):
        value = getattr(query, name)
        if value:
            found[name] = value
    if query.retriable is not None:
        found["retriable"] = True if query.retriable else {"$ne": True}
    if query.text:
        found["$or"] = [{"url": _contains(query.text)}, {"reason": _contains(query.text)}]
    return found


def run_filter(query: RunQuery) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if query.spider:
        found["spider"] = query.spider
    if query.since is not None:
        found["started_at"] = {"$gte": query.since}
    return found
