"""`finews failures`: list failure records (filtered), or dismiss one."""

from __future__ import annotations

import argparse
import json
import sys

from finews_crawler.cli.common import global_options, open_store
from finews_crawler.cli.filters import TIME_HELP, usage_error

HELP = "list failure records (filters), or `dismiss ID|--url URL` one"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", help=f"last seen at or after: {TIME_HELP}")
    parser.add_argument("--until", help=f"last seen before: {TIME_HELP}")
    parser.add_argument("--stage", help="only this stage (fetch, extract, validate, store, ...)")
    parser.add_argument("--spider", help="only records of this spider")
    parser.add_argument("--text", help="URL or reason contains this (case-insensitive)")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument(
        "--retriable", dest="retriable", action="store_true", default=None, help="only retriable"
    )
    kind.add_argument("--permanent", dest="retriable", action="store_false", help="only permanent")
    parser.add_argument("--limit", type=int, help="at most N records")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    actions = parser.add_subparsers(dest="action", metavar="dismiss")
    dismiss = actions.add_parser(
        "dismiss", help="remove a failure record (by id or --url)", parents=[global_options()]
    )
    dismiss.add_argument("id", nargs="?", help="the record's id (first column of the listing)")
    dismiss.add_argument("--url", help="the record's URL")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "dismiss":
        return dismiss(args)
    from finews_crawler.exporters.filters import FilterError, failure_query
    from finews_crawler.exporters.present import beijing, failure_id, failure_view

    try:
        query = failure_query(
            since=args.since,
            until=args.until,
            stage=args.stage,
            spider=args.spider,
            text=args.text,
            retriable=args.retriable,
            limit=args.limit,
        )
    except FilterError as exc:
        usage_error("failures", str(exc))
    with open_store(args) as store:
        failures = list(store.find_failures(query))
    for failure in failures:
        if args.json:
            print(json.dumps(failure_view(failure), ensure_ascii=False))
            continue
        print(
            f"{failure_id(str(failure.get('url')))}  {beijing(failure.get('last_seen_at'))}"
            f"  [{failure.get('stage')}]"
            f" {'retriable' if failure.get('retriable') else 'permanent'}"
            f" x{failure.get('attempts')}  {failure.get('url')}\n    {failure.get('reason')}"
        )
    print(f"{len(failures)} failure record(s)", file=sys.stderr)
    return 0


def dismiss(args: argparse.Namespace) -> int:
    """Remove one record; it comes back only if that URL fails again."""
    from finews_crawler.exporters.present import failure_id
    from finews_crawler.storage import FailureQuery

    if bool(args.id) == bool(args.url):
        usage_error("failures dismiss", "give a record id or --url URL (one of them)")
    with open_store(args) as store:
        if args.url:
            urls = [args.url]
        else:
            urls = [
                str(f.get("url"))
                for f in store.find_failures(FailureQuery())
                if failure_id(str(f.get("url"))).startswith(args.id.lower())
            ]
            if len(urls) > 1:
                usage_error("failures dismiss", f"id {args.id!r} names {len(urls)} records")
        removed = store.clear_failures(urls=urls) if urls else 0
    if not removed:
        print(f"finews failures dismiss: no record {args.url or args.id!r}", file=sys.stderr)
        return 1
    print(f"dismissed {urls[0]}", file=sys.stderr)
    return 0
