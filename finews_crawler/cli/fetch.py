"""`finews fetch URL|INFOCODE... [-]`: fetch now, through the pipelines, and print the result."""

from __future__ import annotations

import argparse
import sys

from finews_crawler.cli.common import name_values

HELP = "fetch URLs/infoCodes now, through the pipelines"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targets", nargs="+", metavar="URL|INFOCODE", help="`-` reads stdin")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="JSON Lines on stdout (default)")
    output.add_argument("--table", action="store_true", help="a readable table instead")
    parser.add_argument("--no-store", action="store_true", help="print only, store nothing")
    parser.add_argument(
        "--allow-private",
        action="store_true",
        default=None,
        help="allow loopback and private addresses (refused by default for fetches;"
        " $FINEWS_ALLOW_PRIVATE)",
    )
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("-L", "--log-level", default="ERROR", help="Scrapy log level")


def run(args: argparse.Namespace) -> int:
    from finews_crawler.fetch import run_fetch

    try:
        settings = name_values(args.set)
    except ValueError as exc:
        print(f"finews fetch: {exc}", file=sys.stderr)
        return 2
    settings.setdefault("LOG_LEVEL", args.log_level)
    # User-given URLs must not reach into the local network unless asked (SSRF).
    allow_private = args.allow_private or args.config.fetch_allow_private
    settings.setdefault("FINEWS_ALLOW_PRIVATE", allow_private)
    return run_fetch(
        args.targets,
        table=args.table,
        no_store=args.no_store,
        store=args.config.store_uri,
        settings=settings,
    )
