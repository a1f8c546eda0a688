"""`finews replay`: write what store outages left in the local spool into the store; record it
as a run."""

from __future__ import annotations

import argparse
import sys
import uuid

from finews_crawler.cli.common import open_store

HELP = "write the outage spool into the store"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spool-dir",
        help="spool directory (default: $FINEWS_SPOOL_DIR, else data/spool in the project)",
    )


def run(args: argparse.Namespace) -> int:
    from finews_crawler.storage.base import utcnow
    from finews_crawler.storage.spool import Spool

    started_at = utcnow()
    with open_store(args) as store:
        spool = Spool.for_store(store, args.spool_dir or args.config.spool_dir)
        if not spool.path.exists():
            print(f"nothing to replay: no spool at {spool.path} (a store outage leaves one)")
            return 0
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
