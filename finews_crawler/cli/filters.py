"""The filter options `finews articles`, `finews failures` and `finews export` share, and
turning them into store queries (one translation: finews_crawler/exporters/filters.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from finews_crawler.storage import ArticleQuery, Store

TIME_HELP = "a date, date-time (no offset = +08:00) or look-back (6h, 1d, 2w)"


def add_article_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stock",
        help="a stock in any notation (600519, 600519.SH, SH600519, 1.600519) or its name",
    )
    parser.add_argument("--source", help="source adapter name (eastmoney, generic, ...)")
    parser.add_argument("--media", help="media name contains this (case-insensitive)")
    parser.add_argument("--since", help=f"published at or after: {TIME_HELP}")
    parser.add_argument("--until", help=f"published before: {TIME_HELP}")
    parser.add_argument("--text", help="title or body contains this (case-insensitive)")
    parser.add_argument(
        "--importance", type=int, choices=(0, 1, 2), help="at least this importance"
    )


def usage_error(command: str, message: str) -> NoReturn:
    print(f"finews {command}: {message}", file=sys.stderr)
    raise SystemExit(2)


def article_query(
    command: str, store: Store, args: argparse.Namespace, **extra: Any
) -> ArticleQuery:
    """The query the options mean; a bad value is one line and exit status 2."""
    from finews_crawler.exporters.filters import FilterError
    from finews_crawler.exporters.filters import article_query as build

    try:
        return build(
            store,
            stock=args.stock,
            source=args.source,
            media=args.media,
            since=args.since,
            until=args.until,
            text=args.text,
            importance=args.importance,
            **extra,
        )
    except FilterError as exc:
        usage_error(command, str(exc))
