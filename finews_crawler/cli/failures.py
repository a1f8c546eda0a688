"""`finews failures`: list the failure records."""

from __future__ import annotations

import argparse
import sys

from finews_crawler.cli.common import open_store

HELP = "list failure records"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options of its own."""


def run(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        failures = list(store.iter_failures())
    for failure in failures:
        print(
            f"{failure.get('last_seen_at')}  [{failure.get('stage')}]"
            f" {'retriable' if failure.get('retriable') else 'permanent'}"
            f" x{failure.get('attempts')}  {failure.get('url')}\n    {failure.get('reason')}"
        )
    print(f"{len(failures)} failure record(s)", file=sys.stderr)
    return 0
