"""`finews retry-failures`: crawl the URLs of retriable failure records again."""

from __future__ import annotations

import argparse

HELP = "crawl the URLs of retriable failure records again"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="list spider and URL, crawl none")
    parser.add_argument(
        "--include-permanent", action="store_true", help="retry permanent failures too"
    )
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("-L", "--log-level", default="WARNING", help="Scrapy log level")


def run(args: argparse.Namespace) -> int:
    from finews_crawler.retry_failures import retry_failures

    return retry_failures(
        args.config.store_uri,
        include_permanent=args.include_permanent,
        dry_run=args.dry_run,
        settings=args.set,
        log_level=args.log_level,
    )
