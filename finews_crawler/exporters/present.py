"""Records as people and downstream programs read them from the CLI and the HTTP API.

Stored times are UTC; what is shown is Beijing time (+08:00, an explicit offset, so a
program reads the same instant). Article fields come in schema order. A failure record gets
a short stable id (from its URL) to name it in `finews failures dismiss ID`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from finews_crawler.article import ordered
from finews_crawler.parsing.dates import SOURCE_TZ

FAILURE_ID_LENGTH = 12


def beijing(value: datetime | None) -> str:
    """`2022-04-13T16:25:27+08:00`; "" for no time."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)  # naive from a store = UTC
    return aware.astimezone(SOURCE_TZ).isoformat()


def beijing_short(value: datetime | None) -> str:
    """`2022-04-13 16:25` for tables."""
    if value is None:
        return "-"
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(SOURCE_TZ).strftime("%Y-%m-%d %H:%M")


def plain(value: Any) -> Any:
    """JSON-ready copy: datetimes as Beijing-time ISO strings, other values unchanged."""
    if isinstance(value, datetime):
        return beijing(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def article_view(article: Mapping[str, Any]) -> dict[str, Any]:
    return plain(ordered(article))


def failure_id(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:FAILURE_ID_LENGTH]


def failure_view(failure: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in failure.items() if k not in ("_id", "attempt_ids")}
    return plain({"id": failure_id(str(failure.get("url") or "")), **shown})


def run_view(run: Mapping[str, Any]) -> dict[str, Any]:
    return plain(dict(run))
