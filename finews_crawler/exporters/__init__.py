"""Exports: stored articles in the formats downstream systems read (JSON Lines, a Jekyll site).

Both stream from either store through `Store.iter_articles(ArticleQuery(...))`, so memory
stays constant however many articles are exported.
"""

from __future__ import annotations

from datetime import UTC, datetime

from finews_crawler.parsing.dates import SOURCE_TZ


def query_bound(value: str) -> datetime:
    """A --since/--until value: ISO date or date-time; without an offset it is Beijing time."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or date-time: {value!r}") from None
    # Stores compare ISO strings of UTC datetimes: the bound must be UTC too.
    return (moment if moment.tzinfo else moment.replace(tzinfo=SOURCE_TZ)).astimezone(UTC)
