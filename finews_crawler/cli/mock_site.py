"""`finews mock-site [--port N] [--articles N] [--seed S]`: serve the local mock East Money
site (development package `mocksite`; its own options are passed through)."""

from __future__ import annotations

import argparse

from finews_crawler.cli.common import dev_import

HELP = "serve the local mock East Money site (its options: finews mock-site --help)"
PASS_THROUGH = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every option belongs to the mock site's own parser."""


def run(args: argparse.Namespace) -> int:
    main = dev_import("mocksite.__main__", "mock-site", "mock").main
    return int(main(args.passed, prog="finews mock-site"))
