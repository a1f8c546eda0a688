"""`finews`: the command line. Crawls run through Scrapy; the rest reads or writes the store.

finews crawl SPIDER [-a NAME=VALUE ...] [-s NAME=VALUE ...] [-O out.jsonl] [-L LEVEL]
finews schedule --every 5m | --cron "*/5 * * * *" | --once -- SPIDER [crawl options]
finews fetch URL|INFOCODE... [-] [--table] [--no-store] [--allow-private]
finews export jsonl [--since D] [--until D] [--media M] [--stock C] [--out FILE]
finews export jekyll --out SITE_DIR [--since-last]      finews import-posts DIR|FILE...
finews show ID   finews count   finews failures   finews retry-failures   finews replay
finews mock-site [--port N] [--articles N] [--seed S]   finews demo   finews bench [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from finews_crawler import SETTINGS_MODULE
from finews_crawler.flags import env_flag


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


def dev_import(module: str, command: str, extra: str) -> Any:
    """Import a development package (mocksite/, bench/ are not in the product wheel), or say in
    one line what to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        print(
            f"finews {command}: needs {exc.name!r} (development extra {extra!r}): from a source"
            f" checkout run pip install -e '.[{extra}]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def cmd_mock_site(argv: list[str]) -> int:
    return dev_import("mocksite.__main__", "mock-site", "mock").main(argv)


def _open(args: argparse.Namespace):
    from finews_crawler.storage import StoreError, open_store

    try:
        return open_store(args.store)
    except StoreError as exc:
        print(f"finews: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_bench(argv: list[str]) -> int:
    return dev_import("bench.runner", "bench", "bench").main(argv)


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


def cmd_retry_failures(args: argparse.Namespace) -> int:
    from finews_crawler.retry_failures import retry_failures
    from finews_crawler.storage import store_uri

    return retry_failures(
        store_uri(args.store),
        include_permanent=args.include_permanent,
        dry_run=args.dry_run,
        settings=args.set,
        log_level=args.log_level,
    )


def cmd_demo(args: argparse.Namespace) -> int:
    run_demo = dev_import("finews_crawler.demo", "demo", "mock").run_demo
    return run_demo(articles=args.articles, seed=args.seed, store=args.store)


def cmd_schedule(args: argparse.Namespace) -> int:
    from finews_crawler.scheduling.schedule import run_schedule

    return run_schedule(args)


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


def _name_values(pairs: list[str]) -> dict[str, str]:
    """`-s NAME=VALUE` options as a dict (Scrapy settings)."""
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"-s expects NAME=VALUE, got {pair!r}")
        settings[name] = value
    return settings


def cmd_fetch(args: argparse.Namespace) -> int:
    from finews_crawler.fetch import run_fetch

    try:
        settings = _name_values(args.set)
    except ValueError as exc:
        print(f"finews fetch: {exc}", file=sys.stderr)
        return 2
    settings.setdefault("LOG_LEVEL", args.log_level)
    # User-given URLs must not reach into the local network unless asked (SSRF).
    settings.setdefault("FINEWS_ALLOW_PRIVATE", args.allow_private)
    return run_fetch(
        args.targets, table=args.table, no_store=args.no_store, store=args.store, settings=settings
    )


def _article_query(args: argparse.Namespace):
    from finews_crawler.exporters import query_bound
    from finews_crawler.storage import ArticleQuery

    try:
        since = query_bound(args.since) if args.since else None
        until = query_bound(args.until) if args.until else None
    except ValueError as exc:
        print(f"finews export: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return ArticleQuery(since=since, until=until, media=args.media, stock=args.stock)


def cmd_export(args: argparse.Namespace) -> int:
    query = _article_query(args)
    if args.format == "jsonl":
        from finews_crawler.exporters.jsonl import export_jsonl_to

        with _open(args) as store:
            written = export_jsonl_to(store, query, args.out)
        print(f"exported {written} article(s) to {args.out or 'stdout'}", file=sys.stderr)
        return 0
    from finews_crawler.exporters.jekyll import SiteOptions, export_jekyll

    shares = {"FINEWS_SHARE_BASE": args.share_base}  # the East Money share-link host
    options = SiteOptions(source_settings=shares, site_url=args.site_url)
    with _open(args) as store:
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


def cmd_import_posts(args: argparse.Namespace) -> int:
    import logging

    from finews_crawler.importers.jekyll_posts import import_posts

    logging.getLogger("finews.ingest").setLevel(logging.ERROR)  # failures are listed below
    with _open(args) as store:
        report = import_posts(args.paths, store, share_base=args.share_base)
    for result in report.results:
        if result.status == "failed" or args.verbose:
            detail = result.reason if result.status == "failed" else result.article_id
            print(f"{result.status:9} {result.path}: {detail}", file=sys.stderr)
    counts = {s: report.count(s) for s in ("imported", "unchanged", "duplicate", "failed")}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    print(f"{summary} ({len(report.results)} file(s))")
    return 1 if counts["failed"] or not report.results else 0


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
    commands.add_parser("bench", help="benchmarks against peers (--quick: < 2 min)", add_help=False)
    show = commands.add_parser("show", help="print one stored article")
    show.add_argument("id", help="article id (18 digits) or infoCode (NW...)")
    show.add_argument("--text", action="store_true", help="title, date and body text only")
    commands.add_parser("count", help="number of stored articles")
    commands.add_parser("failures", help="list failure records")
    retry = commands.add_parser(
        "retry-failures", help="crawl the URLs of retriable failure records again"
    )
    retry.add_argument("--dry-run", action="store_true", help="list spider and URL, crawl none")
    retry.add_argument(
        "--include-permanent", action="store_true", help="retry permanent failures too"
    )
    retry.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    retry.add_argument("-L", "--log-level", default="WARNING", help="Scrapy log level")
    replay = commands.add_parser("replay", help="write the outage spool into the store")
    replay.add_argument(
        "--spool-dir", help="spool directory (default: $FINEWS_SPOOL_DIR or data/spool)"
    )
    fetch = commands.add_parser("fetch", help="fetch URLs/infoCodes now, through the pipelines")
    fetch.add_argument("targets", nargs="+", metavar="URL|INFOCODE", help="`-` reads stdin")
    output = fetch.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="JSON Lines on stdout (default)")
    output.add_argument("--table", action="store_true", help="a readable table instead")
    fetch.add_argument("--no-store", action="store_true", help="print only, store nothing")
    fetch.add_argument(
        "--allow-private",
        action="store_true",
        default=env_flag("FINEWS_ALLOW_PRIVATE"),
        help="allow loopback and private addresses (refused by default for fetches)",
    )
    fetch.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    fetch.add_argument("-L", "--log-level", default="ERROR", help="Scrapy log level")
    from finews_crawler.sources.eastmoney import DEFAULT_SHARE_BASE

    share_base = os.environ.get("FINEWS_SHARE_BASE", DEFAULT_SHARE_BASE)
    export = commands.add_parser("export", help="stored articles as JSON Lines or a Jekyll site")
    export_formats = export.add_subparsers(dest="format", required=True)
    for name, help_text in (("jsonl", "JSON Lines"), ("jekyll", "Jekyll _posts + categories")):
        sub = export_formats.add_parser(name, help=help_text)
        sub.add_argument("--since", help="published at or after (ISO; no offset = +08:00)")
        sub.add_argument("--until", help="published before (ISO; no offset = +08:00)")
        sub.add_argument("--media", help="only this media name")
        sub.add_argument("--stock", help="only articles mentioning this stock code")
    export_formats.choices["jsonl"].add_argument("--out", help="file (default: stdout)")
    jekyll = export_formats.choices["jekyll"]
    jekyll.add_argument("--out", required=True, metavar="SITE_DIR")
    jekyll.add_argument("--since-last", action="store_true", help="only what changed since")
    jekyll.add_argument("--share-base", default=share_base, help="host of the share links")
    jekyll.add_argument("--site-url", default="", help="site root for back links, e.g. //host")
    imports = commands.add_parser("import-posts", help="ingest an archive of Jekyll posts")
    imports.add_argument("paths", nargs="+", metavar="DIR|FILE")
    imports.add_argument("--share-base", default=share_base, help="host of built share URLs")
    imports.add_argument("-v", "--verbose", action="store_true", help="a line per file")
    from finews_crawler.scheduling.schedule import add_arguments as add_schedule_arguments

    add_schedule_arguments(commands.add_parser("schedule", help="run a crawl on a schedule"))
    demo = commands.add_parser("demo", help="mock site + crawl + show, all on loopback")
    demo.add_argument("--articles", type=int, default=200)
    demo.add_argument("--seed", type=int, default=7)
    return parser


PASS_THROUGH = {"crawl": cmd_crawl, "mock-site": cmd_mock_site, "bench": cmd_bench}
HANDLERS = {
    "show": cmd_show,
    "count": cmd_count,
    "failures": cmd_failures,
    "retry-failures": cmd_retry_failures,
    "demo": cmd_demo,
    "replay": cmd_replay,
    "fetch": cmd_fetch,
    "export": cmd_export,
    "import-posts": cmd_import_posts,
    "schedule": cmd_schedule,
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
    from finews_crawler.storage import StoreError

    try:
        return HANDLERS[args.command](args)
    except StoreError as exc:  # a store that refuses or is away: one line (no password), exit 2
        print(f"finews {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
