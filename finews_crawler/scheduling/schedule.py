"""`finews schedule`: run a crawl every N minutes or on a cron schedule, never two at once.

finews schedule --every 5m -- emnews -s JOBDIR=data/jobs/emnews
finews schedule --cron "*/5 * * * *" -- feeds -L WARNING
finews schedule --once -- emnews          (one tick now: what a crontab line calls)

Each run is a child process (`python -m finews_crawler.cli crawl ...`): a fresh Twisted
reactor every time, and a crash or leak in one run cannot affect the next. A lock file
(flock) keeps runs from overlapping, across schedulers too (two cron lines, a scheduler plus a
manual run through `--once`): a tick that finds a run still going is skipped with a log line.
The lock is also inherited by the crawl, so it is held while either process lives; the kernel
drops it when both are gone, so a crash never leaves a stale lock behind (the file itself
stays, holding the last holder's pid for the log line).

Every tick is appended to a JSON-lines record (run or skip, start, end, exit status, and the
counts of the crawl's own run record in the store). SIGTERM/SIGINT stop the scheduler after
the current run; a second one asks the running crawl to shut down (gracefully, as Scrapy does).

No password reaches a log line, a tick record or the crawl's command line: a store given as
`-s FINEWS_STORE=...` is handed to the crawl in its environment (FINEWS_STORE) instead, and
everything logged or recorded is redacted (storage/redact.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from finews_crawler.config import environment, project_home
from finews_crawler.scheduling.cron import Cron, parse_every
from finews_crawler.scheduling.locks import RunLock
from finews_crawler.storage.redact import redact_value, uri_password

logger = logging.getLogger("finews.schedule")

# ---- the crawl's store ---------------------------------------------------------------------

STORE_SETTING = "FINEWS_STORE"


def split_store_setting(crawl_args: list[str]) -> tuple[list[str], str | None]:
    """The crawl arguments without `-s FINEWS_STORE=URI` (any spelling), and that URI (the
    last one wins, as in Scrapy). The URI may hold a password: it goes to the environment."""
    kept: list[str] = []
    store: str | None = None
    args = iter(crawl_args)
    for arg in args:
        if arg in ("-s", "--set"):
            value = next(args, None)
            if value is not None and value.startswith(f"{STORE_SETTING}="):
                store = value.partition("=")[2]
                continue
            kept.append(arg)
            if value is not None:
                kept.append(value)
            continue
        for prefix in ("--set=", "-s"):
            if arg.startswith(prefix) and arg[len(prefix) :].startswith(f"{STORE_SETTING}="):
                store = arg[len(prefix) :].partition("=")[2]
                break
        else:
            kept.append(arg)
    return kept, store


# ---- the scheduler -------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class ScheduleConfig:
    crawl_args: list[str]
    every: float | None = None
    cron: Cron | None = None
    runs: int | None = None  # stop after this many ticks (run or skip)
    lock_path: Path = Path("data/schedule/crawl.lock")
    record_path: Path = Path("data/schedule/crawl.jsonl")
    store: str | None = None
    timeout: float | None = None  # kill a run that takes longer (seconds)


class Scheduler:
    """Ticks, lock, child process, records; stops cleanly on SIGTERM/SIGINT."""

    def __init__(self, config: ScheduleConfig) -> None:
        self.config = config
        self.lock = RunLock(config.lock_path)
        self.stop = threading.Event()
        self.child: subprocess.Popen | None = None
        self.ticks = 0
        self.spider = next((a for a in config.crawl_args if not a.startswith("-")), "?")
        self.crawl_args, given = split_store_setting(config.crawl_args)
        self.store = given or config.store  # `-s FINEWS_STORE` beats --store, as in a crawl
        self.secret = uri_password(self.store or "")

    # ---- signals -------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if self.stop.is_set() and self.child is not None and self.child.poll() is None:
            logger.warning("%s again: asking the running crawl to shut down", name)
            self.child.send_signal(signal.SIGTERM)
            return
        self.stop.set()
        if self.child is not None and self.child.poll() is None:
            logger.warning("%s: stopping after the current run (again to stop it now)", name)
        else:
            logger.warning("%s: stopping", name)

    # ---- timing --------------------------------------------------------------------------

    def tick_times(self, start: datetime) -> Iterator[datetime]:
        """Due times (UTC): --every from `start` on, or the cron's matching minutes."""
        if self.config.every is not None:
            step = timedelta(seconds=self.config.every)
            due = start
            while True:
                yield due
                due += step
        else:
            assert self.config.cron is not None
            local = start.astimezone().replace(tzinfo=None)
            while True:
                local = self.config.cron.next_after(local)
                yield local.astimezone().astimezone(UTC)

    # ---- main loop -----------------------------------------------------------------------

    def run(self) -> int:
        """Tick until stopped or --runs is reached; exit status of the last run (0 if none)."""
        last_status = 0
        ticks = self.tick_times(_now())
        due = next(ticks)
        while not self.stop.is_set():
            wait = (due - _now()).total_seconds()
            if wait > 0 and self.stop.wait(wait):
                break
            status = self.tick(due)
            if status is not None:  # a skip keeps the last run's status
                last_status = status
            self.ticks += 1
            if self.config.runs is not None and self.ticks >= self.config.runs:
                break
            if self.stop.is_set():  # stopped during the run: no tick comes due any more
                break
            due = next(ticks)
            missed = 0
            while due < _now() - timedelta(seconds=1):  # came due while the run was going
                missed += 1
                due = next(ticks)
            if missed:
                logger.warning("%d tick(s) skipped: the previous run was still going", missed)
                entry = {"action": "skip", "reason": "previous run still going"}
                self.record({**entry, "missed": missed, "at": _iso(_now())})
        return last_status

    def tick(self, due: datetime) -> int | None:
        started = _now()
        if not self.lock.acquire(started_at=_iso(started), spider=self.spider):
            holder = self.lock.holder()
            logger.warning(
                "tick %s skipped: a run is still going (pid %s, started %s)",
                _iso(due),
                holder.get("pid", "?"),
                holder.get("started_at", "?"),
            )
            entry = {"action": "skip", "reason": "run still going", "due": _iso(due)}
            self.record({**entry, "at": _iso(started), "holder": holder})
            return None
        try:
            status = self.run_child()
        finally:
            self.lock.release()
        finished = _now()
        record = {
            "action": "run",
            "due": _iso(due),
            "started_at": _iso(started),
            "finished_at": _iso(finished),
            "exit_status": status,
            "command": self.command(),
        }
        record.update(self.crawl_record(started))
        logger.info(
            "run finished with exit status %s in %.1fs",
            status,
            (finished - started).total_seconds(),
        )
        self.record(record)
        return status

    def command(self) -> list[str]:
        """The crawl's command line: without the store URI (see the module doc)."""
        return [sys.executable, "-m", "finews_crawler.cli", "crawl", *self.crawl_args]

    def redacted(self, value: Any) -> Any:
        return redact_value(value, self.secret)

    def run_child(self) -> int:
        env = dict(environment())
        # A scheduled run keeps crawling into the local spool while the store is down.
        env.setdefault("FINEWS_SPOOL", "1")
        if self.store:
            env[STORE_SETTING] = self.store
        assert self.lock.handle is not None
        # The crawl inherits the locked descriptor: the lock outlives a killed scheduler.
        self.child = subprocess.Popen(
            self.command(), env=env, pass_fds=(self.lock.handle.fileno(),)
        )
        try:
            return self.child.wait(timeout=self.config.timeout)
        except subprocess.TimeoutExpired:
            logger.error("run exceeded --timeout %.0fs: stopping it", self.config.timeout or 0)
            self.child.terminate()
            try:
                return self.child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.child.kill()
                return self.child.wait()
        finally:
            self.child = None

    def crawl_record(self, started: datetime) -> dict[str, Any]:
        """Counts and failures from the crawl's own run record (written by RunReport)."""
        try:
            from finews_crawler.storage import open_store

            with open_store(self.store) as store:
                for run in store.iter_runs(limit=10):
                    run_start = run.get("started_at")
                    if run.get("spider") == self.spider and run_start and run_start >= started:
                        return {
                            "run_id": run.get("_id"),
                            "finish_reason": run.get("finish_reason"),
                            "counts": run.get("counts"),
                            "failures": len(run.get("failures") or []),
                        }
        except Exception as exc:  # the record is informative; never fail the schedule on it
            return {"run_record_error": self.redacted(str(exc))[:200]}
        return {"run_record_error": "no run record (the crawl did not start or could not write)"}

    def record(self, entry: dict[str, Any]) -> None:
        path = self.config.record_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            line = self.redacted({"spider": self.spider, **entry})
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


# ---- command line --------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--every", help="interval: 30s, 5m, 1h (first run at once)")
    when.add_argument("--cron", help='5-field cron expression, local time: "*/5 * * * *"')
    when.add_argument("--once", action="store_true", help="one tick now, then exit (for cron)")
    parser.add_argument("--runs", type=int, help="exit after this many ticks (runs or skips)")
    parser.add_argument(
        "--lock", help="lock file (default data/schedule/SPIDER.lock in the project)"
    )
    parser.add_argument(
        "--record",
        help="JSON-lines tick record (default data/schedule/SPIDER.jsonl in the project)",
    )
    parser.add_argument("--timeout", type=float, help="stop a run that takes longer (seconds)")
    parser.add_argument(
        "crawl", nargs=argparse.REMAINDER, help="-- SPIDER [finews crawl options...]"
    )


def default_schedule_dir() -> Path:
    """Where the lock and tick record go without --lock/--record: data/schedule in the project
    (as the default store: $FINEWS_HOME, else the nearest folder holding scrapy.cfg), else
    ~/.local/state/finews/schedule. Never the current directory by accident, so schedulers
    started from different folders of one project share one lock."""
    home = project_home()
    if home is not None:
        return home / "data" / "schedule"
    return Path.home() / ".local" / "state" / "finews" / "schedule"


def config_from_args(args: argparse.Namespace) -> ScheduleConfig:
    crawl = list(args.crawl or [])
    if crawl and crawl[0] == "--":
        crawl = crawl[1:]
    if not crawl or crawl[0].startswith("-"):
        raise ValueError("name the crawl after --: finews schedule --every 5m -- emnews [...]")
    spider = crawl[0]
    return ScheduleConfig(
        crawl_args=crawl,
        every=parse_every(args.every) if args.every else (0.0 if args.once else None),
        cron=Cron.parse(args.cron) if args.cron else None,
        runs=1 if args.once else args.runs,
        lock_path=Path(args.lock) if args.lock else default_schedule_dir() / f"{spider}.lock",
        record_path=(
            Path(args.record) if args.record else default_schedule_dir() / f"{spider}.jsonl"
        ),
        store=getattr(args, "store", None),
        timeout=args.timeout,
    )


def run_schedule(args: argparse.Namespace) -> int:
    """Entry point behind `finews schedule`."""
    logging.basicConfig(
        level=args.config.log_level,
        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s",
    )
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"finews schedule: {exc}", file=sys.stderr)
        return 2
    scheduler = Scheduler(config)
    scheduler.install_signal_handlers()
    how = f"every {args.every}" if args.every else (f"cron {args.cron!r}" if args.cron else "once")
    command = scheduler.redacted(" ".join(config.crawl_args))
    logger.info("scheduling `finews crawl %s` %s (lock %s)", command, how, config.lock_path)
    return scheduler.run()
