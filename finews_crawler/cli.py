"""`finews`: the command line. Crawls run through Scrapy; the rest reads the store.

finews crawl SPIDER [-a NAME=VALUE ...] [-s NAME=VALUE ...] [-O out.jsonl] [-L LEVEL]
finews mock-site [--port N] [--articles N] [--seed S]
finews show ID          finews count          finews failures          finews demo
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

SETTINGS_MODULE = "finews_crawler.settings"


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default, indent=2)


def cmd_crawl(rest: list[str]) -> int:
    """Hand over to Scrapy's command line: `finews crawl X` is `scrapy crawl X`."""
    from scrapy.cmdline import execute

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    try:
        execute(["scrapy", "crawl", *rest])
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def cmd_mock_site(argv: list[str]) -> int:
    from finews_crawler.mocksite.__main__ import main as mock_main

    return mock_main(argv)


def _open(args: argparse.Namespace):
    from finews_crawler.storage import StoreError, open_store

    try:
        return open_store(args.store)
    except StoreError as exc:
        print(f"finews: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_show(args: argparse.Namespace) -> int:
    from finews_crawler.article import ordered

    with _open(args) as store:
        article = store.get_article(args.id.removeprefix("NW").removeprefix("nw"))
    if article is None:
        print(f"finews: no article {args.id!r} in the store", file=sys.stderr)
        return 1
    if args.text:
        print(f"{article['title']}\n{article['published_at']}  {article.get('media') or ''}\n")
        print(article["body_text"])
    else:
        print(dump_json(ordered(article)))
    return 0


def cmd_count(args: argparse.Namespace) -> int:
    with _open(args) as store:
        print(store.count_articles())
    return 0


def cmd_failures(args: argparse.Namespace) -> int:
    with _open(args) as store:
        failures = list(store.iter_failures())
    for failure in failures:
        print(
            f"{failure.get('last_seen_at')}  [{failure.get('stage')}]"
            f" {'retriable' if failure.get('retriable') else 'permanent'}"
            f" x{failure.get('attempts')}  {failure.get('url')}\n    {failure.get('reason')}"
        )
    print(f"{len(failures)} failure record(s)", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from finews_crawler.demo import run_demo

    return run_demo(articles=args.articles, seed=args.seed, store=args.store)


def cmd_replay(args: argparse.Namespace) -> int:
    """Write what store outages left in the local spool into the store; record it as a run."""
    import uuid

    from finews_crawler.storage.base import utcnow
    from finews_crawler.storage.spool import Spool

    started_at = utcnow()
    with _open(args) as store:
        spool = Spool.for_store(store, args.spool_dir)
        try:
            report = spool.drain(store)
        except store.transient_errors as exc:
            print(f"finews: store {store.uri_for_display} unreachable: {exc}", file=sys.stderr)
            return 2
        counts = {
            "replayed": report.articles,
            **{status: report.statuses[status] for status in ("new", "updated", "unchanged")},
            "failures": len(report.failed),
            "entries": report.entries,
        }
        if report.entries:
            store.record_run(
                {
                    "_id": uuid.uuid4().hex,
                    "spider": "replay",
                    "args": {"spool": str(spool.path)},
                    "store": store.uri_for_display,
                    "started_at": started_at,
                    "finished_at": utcnow(),
                    "finish_reason": "finished",
                    "counts": counts,
                    "failures": report.failed[:100],
                    "exit_status": 1 if report.failed else 0,
                }
            )
    print(
        f"replayed {counts['replayed']} article(s) from {spool.path}: {counts['new']} new,"
        f" {counts['updated']} updated, {counts['unchanged']} unchanged,"
        f" {counts['failures']} failed ({counts['entries']} spool entries)"
    )
    return 1 if report.failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="finews", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--store", help="store URI (default: $FINEWS_STORE or sqlite:///data/finews.sqlite3)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "crawl", help="run a spider (all Scrapy crawl options work)", add_help=False
    )
    commands.add_parser("mock-site", help="serve the local mock East Money site", add_help=False)
    show = commands.add_parser("show", help="print one stored article")
    show.add_argument("id", help="article id (18 digits) or infoCode (NW...)")
    show.add_argument("--text", action="store_true", help="title, date and body text only")
    commands.add_parser("count", help="number of stored articles")
    commands.add_parser("failures", help="list failure records")
    replay = commands.add_parser("replay", help="write the outage spool into the store")
    replay.add_argument(
        "--spool-dir", help="spool directory (default: $FINEWS_SPOOL_DIR or data/spool)"
    )
    demo = commands.add_parser("demo", help="mock site + crawl + show, all on loopback")
    demo.add_argument("--articles", type=int, default=200)
    demo.add_argument("--seed", type=int, default=7)
    return parser


PASS_THROUGH = {"crawl": cmd_crawl, "mock-site": cmd_mock_site}
HANDLERS = {
    "show": cmd_show,
    "count": cmd_count,
    "failures": cmd_failures,
    "demo": cmd_demo,
    "replay": cmd_replay,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Pass-through commands take their own options (Scrapy's, the mock site's) verbatim.
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        index += 2 if argv[index] == "--store" else 1
    if index < len(argv) and argv[index] in PASS_THROUGH:
        global_args = build_parser().parse_args([*argv[:index], "count"])
        if global_args.store:
            os.environ["FINEWS_STORE"] = global_args.store
        return PASS_THROUGH[argv[index]](argv[index + 1 :])
    args = build_parser().parse_args(argv)
    return HANDLERS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
