"""`finews schedule`: run a crawl every N minutes or on a cron schedule, never two at once."""

from __future__ import annotations

import argparse

HELP = "run a crawl on a schedule"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from finews_crawler.scheduling.schedule import add_arguments as add_schedule_arguments

    add_schedule_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from finews_crawler.scheduling.schedule import run_schedule

    return run_schedule(args)
