"""`finews export jsonl|csv|parquet|jekyll`: stored articles as JSON Lines, tables or a site."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from finews_crawler.cli.common import default_share_base, global_options, open_store
from finews_crawler.cli.filters import add_article_filters
from finews_crawler.cli.filters import article_query as filtered_query

HELP = "stored articles as JSON Lines, CSV, Parquet or a Jekyll site"
TABLES = {"csv": "CSV, list fields as JSON", "parquet": "Parquet (extra `parquet`)"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    formats = parser.add_subparsers(dest="format", required=True)
    for name, help_text in (
        ("jsonl", "JSON Lines"),
        *TABLES.items(),
        ("jekyll", "Jekyll site: posts, paginated index, media and stock pages"),
    ):
        sub = formats.add_parser(name, help=help_text, parents=[global_options()])
        add_article_filters(sub)
    formats.choices["jsonl"].add_argument("--out", help="file (default: stdout)")
    formats.choices["csv"].add_argument("--out", help="file (default: stdout)")
    formats.choices["parquet"].add_argument("--out", required=True, metavar="FILE")
    jekyll = formats.choices["jekyll"]
    jekyll.add_argument("--out", required=True, metavar="SITE_DIR")
    jekyll.add_argument("--since-last", action="store_true", help="only what changed since")
    jekyll.add_argument(
        "--share-base", help="host of the share links (default: $FINEWS_SHARE_BASE)"
    )
    jekyll.add_argument("--site-url", default="", help="site root for back links, e.g. //host")
    jekyll.add_argument("--per-page", type=positive, default=20, help="posts per index page")


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def article_query(store: Any, args: argparse.Namespace) -> Any:
    """The export's filters through the query layer (exporters/filters.py)."""
    return filtered_query("export", store, args)


def run(args: argparse.Namespace) -> int:
    if args.format == "jsonl":
        from finews_crawler.exporters.jsonl import export_jsonl_to

        with open_store(args) as store:
            query = article_query(store, args)
            written = export_jsonl_to(store, query, args.out)
        print(f"exported {written} article(s) to {args.out or 'stdout'}", file=sys.stderr)
        return 0
    if args.format in TABLES:
        return export_table(args)
    from finews_crawler.exporters.jekyll import SiteOptions, export_jekyll

    share_base = args.share_base or args.config.share_base or default_share_base()
    shares = {"FINEWS_SHARE_BASE": share_base}  # the East Money share-link host
    options = SiteOptions(source_settings=shares, site_url=args.site_url)
    with open_store(args) as store:
        query = article_query(store, args)
        result = export_jekyll(
            store,
            args.out,
            query=query,
            since_last=args.since_last,
            options=options,
            per_page=args.per_page,
        )
    for article_id, reason in result.failed:
        print(f"finews export: skipped {article_id}: {reason}", file=sys.stderr)
    print(
        f"{args.out}: {result.written} post(s) written, {result.unchanged} unchanged,"
        f" {result.removed} renamed, {result.categories} category page(s) and"
        f" {result.stocks} stock page(s) written, {result.pages} index page(s),"
        f" {len(result.failed)} skipped"
    )
    return 1 if result.failed else 0


def export_table(args: argparse.Namespace) -> int:
    from finews_crawler.exporters import tables

    try:
        with open_store(args) as store:
            query = article_query(store, args)
            if args.format == "csv":
                written = tables.export_csv_to(store, query, args.out)
            else:
                written = tables.export_parquet_to(store, query, args.out)
    except tables.ParquetUnavailable as exc:
        print(f"finews export: {exc}", file=sys.stderr)
        return 2
    print(f"exported {written} article(s) to {args.out or 'stdout'}", file=sys.stderr)
    return 0
