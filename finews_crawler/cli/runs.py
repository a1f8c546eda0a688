"""`finews runs`: recent crawl runs with their counts, failures and finish reason."""

from __future__ import annotations

import argparse
import json
import sys

from finews_crawler.cli.common import open_store
from finews_crawler.cli.filters import TIME_HELP, usage_error

HELP = "recent crawl runs: counts, failures, finish reason"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spider", help="only runs of this spider")
    parser.add_argument("--since", help=f"started at or after: {TIME_HELP}")
    parser.add_argument("--limit", type=int, default=20, help="at most N runs (default 20)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def line(run: dict) -> str:
    from finews_crawler.exporters.present import beijing_short

    counts = run.get("counts") or {}
    outcome = run.get("finish_reason") or run.get("status") or "?"
    figures = (
        f"new {counts.get('new', 0)} updated {counts.get('updated', 0)}"
        f" unchanged {counts.get('unchanged', 0)} failures {counts.get('failures', 0)}"
        if counts
        else "no counts yet"
    )
    exit_status = run.get("exit_status")
    return (
        f"{beijing_short(run.get('started_at'))}  {run.get('spider') or '?':<10} {outcome:<10}"
        f" exit {'-' if exit_status is None else exit_status}  {figures}  {run.get('_id')}"
    )


def run(args: argparse.Namespace) -> int:
    from finews_crawler.exporters.filters import FilterError, run_query
    from finews_crawler.exporters.present import run_view

    try:
        query = run_query(spider=args.spider, since=args.since, limit=args.limit)
    except FilterError as exc:
        usage_error("runs", str(exc))
    with open_store(args) as store:
        runs = list(store.find_runs(query))
    for record in runs:
        print(json.dumps(run_view(record), ensure_ascii=False) if args.json else line(record))
    print(f"{len(runs)} run(s)", file=sys.stderr)
    return 0
