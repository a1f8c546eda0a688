"""`finews export jsonl|jekyll`: stored articles as JSON Lines or a Jekyll site."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from finews_crawler.cli.common import default_share_base, global_options, open_store
from finews_crawler.cli.filters import add_article_filters
from finews_crawler.cli.filters import article_query as filtered_query

HELP = "stored articles as JSON Lines or a Jekyll site"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    formats = parser.add_subparsers(dest="format", required=True)
    for name, help_text in (("jsonl", "JSON Lines"), ("jekyll", "Jekyll _posts + categories")):
        sub = formats.add_parser(name, help=help_text, parents=[global_options()])
        add_article_filters(sub)
    formats.choices["jsonl"].add_argument("--out", help="file (default: stdout)")
    jekyll = formats.choices["jekyll"]
    jekyll.add_argument("--out", required=True, metavar="SITE_DIR")
    jekyll.add_argument("--since-last", action="store_true", help="only what changed since")
    jekyll.add_argument(
        "--share-base", help="host of the share links (default: $FINEWS_SHARE_BASE)"
    )
    jekyll.add_argument("--site-url", default="", help="site root for back links, e.g. //host")


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
    from finews_crawler.exporters.jekyll import SiteOptions, export_jekyll

    share_base = args.share_base or args.config.share_base or default_share_base()
    shares = {"FINEWS_SHARE_BASE": share_base}  # the East Money share-link host
    options = SiteOptions(source_settings=shares, site_url=args.site_url)
    with open_store(args) as store:
        query = article_query(store, args)
        result = export_jekyll(
            store, args.out, query=query, since_last=args.since_last, options=options
        )
    for article_id, reason in result.failed:
        print(f"finews export: skipped {article_id}: {reason}", file=sys.stderr)
    print(
        f"{args.out}: {result.written} post(s) written, {result.unchanged} unchanged,"
        f" {result.removed} renamed, {result.categories} category page(s) written,"
        f" {len(result.failed)} skipped"
    )
    return 1 if result.failed else 0
