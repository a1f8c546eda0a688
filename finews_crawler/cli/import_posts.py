"""`finews import-posts DIR|FILE...`: ingest an archive of Jekyll posts."""

from __future__ import annotations

import argparse
import logging
import sys

from finews_crawler.cli.common import default_share_base, open_store

HELP = "ingest an archive of Jekyll posts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="DIR|FILE")
    parser.add_argument(
        "--share-base", help="host of built share URLs (default: $FINEWS_SHARE_BASE)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="a line per file")


def run(args: argparse.Namespace) -> int:
    from finews_crawler.importers.jekyll_posts import import_posts

    logging.getLogger("finews.ingest").setLevel(logging.ERROR)  # failures are listed below
    share_base = args.share_base or args.config.share_base or default_share_base()
    with open_store(args) as store:
        report = import_posts(args.paths, store, share_base=share_base)
    for result in report.results:
        if result.status == "failed" or args.verbose:
            detail = result.reason if result.status == "failed" else result.article_id
            print(f"{result.status:9} {result.path}: {detail}", file=sys.stderr)
    counts = {s: report.count(s) for s in ("imported", "unchanged", "duplicate", "failed")}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    print(f"{summary} ({len(report.results)} file(s))")
    return 1 if counts["failed"] or not report.results else 0
