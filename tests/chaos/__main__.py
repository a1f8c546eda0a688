"""`python -m tests.chaos [--quick] [--only TEXT] [--jobs N] [--keep] [--list]`.

Runs the scenarios (N at a time), prints one table, and exits 1 when a row lost or doubled
an article, let a failing URL go unrecorded, or had a faulty run that exited 0 although
work was left unfinished; 1 also when the harness itself failed or ran out of its time
budget, or when any process tried to reach beyond loopback (tests/netguard refuses it).
Skipped rows (a server or mock fault kind not available here) do not fail it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.netguard import guard_session, violations_since
from tests.netguard.sitecustomize import LOG_ENV

from .runner import Context, Row, run_scenario
from .scenarios import Scenario, catalogue
from .services import SharedMongo
from .table import render

BUDGET_SECONDS = 14 * 60  # `make chaos` must end within 15 minutes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the reduced suite (SQLite, 3 rows)")
    parser.add_argument("--only", default="", help="rows whose store/spider/name contains this")
    parser.add_argument("--jobs", type=int, default=2, help="rows run at a time (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the logs of failing rows")
    parser.add_argument("--list", action="store_true", help="list the rows, run nothing")
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS, help="seconds in all")
    return parser.parse_args(argv)


def run_all(scenarios: list[Scenario], jobs: int, budget: float, keep: bool) -> list[Row]:
    """Every row, `jobs` at a time, biggest first; each crawl ends by the budget's end (a
    crawl still running then is killed and its row is an error), later rows are not run."""
    deadline = time.monotonic() + budget
    root = Path(tempfile.mkdtemp(prefix="finews-chaos-"))
    context = Context(root, SharedMongo(root / "shared-secantusdb"), keep, deadline)

    def one(scenario: Scenario) -> Row:
        if time.monotonic() > deadline:
            return Row(scenario, error="not run: the suite's time budget was used up")
        row = run_scenario(scenario, context)
        print(f"[chaos] {row.verdict:5} {scenario.key} ({row.seconds:.0f}s)", file=sys.stderr)
        return row

    try:
        order = sorted(scenarios, key=lambda s: -s.cost)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            done = dict(zip(order, pool.map(one, order), strict=True))
        return [done[s] for s in scenarios]
    finally:
        context.mongo.stop()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = [s for s in catalogue(args.quick) if args.only in s.key]
    if args.list:
        print("\n".join(s.key for s in scenarios))
        return 0
    if not scenarios:
        print(f"chaos: no row matches {args.only!r}", file=sys.stderr)
        return 2
    started = time.monotonic()
    guard_given = bool(os.environ.get(LOG_ENV))
    guard_log = guard_session()  # this process and its Python children: loopback only
    offset = guard_log.stat().st_size
    try:
        rows = run_all(scenarios, args.jobs, args.budget, args.keep)
        refused = violations_since(guard_log, offset)
    finally:
        if not guard_given:
            guard_log.unlink(missing_ok=True)
    print(render(rows))
    if refused:
        print(f"\nchaos: a process tried to send a packet outside loopback:\n{refused[:4000]}")
    verdicts = Counter(row.verdict for row in rows)
    failed = verdicts["FAIL"] + verdicts["ERROR"]
    print(
        f"\n{len(rows)} rows: {verdicts['ok']} ok, {failed} failed, {verdicts['skip']} skipped"
        f" ({time.monotonic() - started:.0f}s)",
        file=sys.stderr,
    )
    return 1 if failed or refused else 0


if __name__ == "__main__":
    sys.exit(main())
