"""finews: crawl Chinese financial news, and read or write the store.

This module only routes: one module per command (cli/*.py, each with HELP,
add_arguments(parser) and run(args)); crawls run through Scrapy.

finews crawl SPIDER [-a NAME=VALUE ...] [-s NAME=VALUE ...] [-O out.jsonl] [-L LEVEL]
finews schedule --every 5m | --cron "*/5 * * * *" | --once -- SPIDER [crawl options]
finews fetch URL|INFOCODE... [-] [--table] [--no-store] [--allow-private]
finews export jsonl|csv|parquet [--since D] [--until D] [--media M] [--stock C] [--out FILE]
finews export jekyll --out SITE_DIR [--since-last] [--per-page N]   finews import-posts DIR|FILE...
finews push --redis URL [--stream NAME] | --webhook URL --secret S [--follow]
finews show ID   finews count   finews failures   finews retry-failures   finews replay
finews articles [--stock S] [--since 1d] [--json]   finews runs   finews failures dismiss ID
finews serve [--host H] [--port N]                  (read-only HTTP API, extra 'serve')
finews mock-site [--port N] [--articles N] [--seed S]   finews demo   finews bench [--quick]
finews tag [--jsonl] < text     finews securities refresh | show CODE | import FILE | export
Global options (--store URI) go before or after the command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from finews_crawler.cli import (
    articles,
    bench,
    count,
    crawl,
    demo,
    export,
    failures,
    fetch,
    import_posts,
    mock_site,
    push,
    replay,
    retry_failures,
    runs,
    schedule,
    securities,
    serve,
    show,
    tag,
)
from finews_crawler.cli.common import global_options

COMMANDS: dict[str, ModuleType] = {
    "crawl": crawl,
    "schedule": schedule,
    "fetch": fetch,
    "export": export,
    "import-posts": import_posts,
    "show": show,
    "count": count,
    "articles": articles,
    "runs": runs,
    "failures": failures,
    "serve": serve,
    "retry-failures": retry_failures,
    "replay": replay,
    "push": push,
    "mock-site": mock_site,
    "demo": demo,
    "bench": bench,
    "tag": tag,
    "securities": securities,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finews",
        description=(__doc__ or "").split("\n")[0],
        parents=[global_options()],
        allow_abbrev=False,
    )
    parser.set_defaults(store=None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        passed = getattr(module, "PASS_THROUGH", False)
        options = module.parser_options() if hasattr(module, "parser_options") else {}
        sub = commands.add_parser(
            name,
            help=module.HELP,
            parents=[global_options()],
            allow_abbrev=False,
            # pass-through commands leave --help to the program they hand over to, crawl
            # answers it itself (the spiders and their arguments)
            add_help=not passed or name == "crawl",
            **options,
        )
        module.add_arguments(sub)
    return parser


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line; a pass-through command keeps what it does not know, in order,
    in `args.passed` (no hand scanning: argparse's parse_known_args)."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(list(argv))
    if getattr(COMMANDS[args.command], "PASS_THROUGH", False):
        args.passed = unknown
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    from finews_crawler.config import Config

    args.config = Config.resolve(store=args.store)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    from finews_crawler.storage import StoreError

    try:
        return int(COMMANDS[args.command].run(args))
    except StoreError as exc:  # a store that refuses or is away: one line (no password), exit 2
        print(f"finews {args.command}: {exc}", file=sys.stderr)
        return 2
