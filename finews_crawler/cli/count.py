"""`finews count`: the number of stored articles."""

from __future__ import annotations

import argparse

from finews_crawler.cli.common import open_store

HELP = "number of stored articles"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options of its own."""


def run(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        print(store.count_articles())
    return 0
