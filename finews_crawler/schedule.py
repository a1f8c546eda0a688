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
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

logger = logging.getLogger("finews.schedule")

_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.I)
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """'90s', '5m', '1h', '1d' or plain seconds -> seconds (> 0)."""
    match = _EVERY.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"--every {text!r}: use a positive duration like 30s, 5m, 1h")
    return float(match.group(1)) * _SECONDS[match.group(2).lower()]


# ---- cron ----------------------------------------------------------------------------------

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAMES = {
    3: {name: number for number, name in enumerate(_MONTHS, 1)},
    4: {name: number for number, name in enumerate(_WEEKDAYS)},
}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _field(text: str, index: int) -> frozenset[int]:
    lo, hi = _RANGES[index]
    names = _NAMES.get(index, {})
    values: set[int] = set()

    def number(token: str) -> int:
        value = names.get(token.lower()) if token.isalpha() else int(token)
        if value is None or not lo <= value <= hi:
            raise ValueError(f"{token!r} out of range {lo}-{hi}")
        return value

    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in {part!r}")
        if body == "*":
            start, end = lo, hi
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = number(first), number(last)
        else:
            start = number(body)
            end = hi if step_text else start
        if start > end:
            raise ValueError(f"empty range {part!r}")
        values.update(range(start, end + 1, step))
    if index == 4 and 7 in values:  # 7 is Sunday too
        values = (values - {7}) | {0}
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """A 5-field cron expression (minute hour day-of-month month day-of-week), local time.

    Supports *, lists, ranges, steps and month/day names; like Vixie cron, when both
    day-of-month and day-of-week are restricted a day matching either one fires.
    """

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        fields = expression.split()
        if len(fields) != 5:
            raise ValueError(f"cron {expression!r}: need 5 fields (minute hour dom month dow)")
        try:
            parsed = [_field(text, index) for index, text in enumerate(fields)]
        except ValueError as exc:
            raise ValueError(f"cron {expression!r}: {exc}") from None
        return cls(*parsed, any_day=fields[2] == "*", any_weekday=fields[4] == "*")

    def day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after `moment` (naive local time)."""
        candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(366 * 5):  # days; every valid expression matches within 5 years
            if self.day_matches(candidate):
                for hour in sorted(h for h in self.hours if h >= candidate.hour):
                    first = candidate.minute if hour == candidate.hour else 0
                    for minute in sorted(m for m in self.minutes if m >= first):
                        return candidate.replace(hour=hour, minute=minute)
            candidate = (candidate + timedelta(days=1)).replace(hour=0, minute=0)
        raise ValueError("cron expression never matches")


# ---- lock ----------------------------------------------------------------------------------


class RunLock:
    """An exclusive flock on a file; its content names the holder for the skip log line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: TextIO | None = None

    def acquire(self, **holder: Any) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), **holder}))
        handle.flush()
        self.handle = handle
        return True

    def holder(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


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
        return [sys.executable, "-m", "finews_crawler.cli", "crawl", *self.config.crawl_args]

    def run_child(self) -> int:
        env = dict(os.environ)
        # A scheduled run keeps crawling into the local spool while the store is down.
        env.setdefault("FINEWS_SPOOL", "1")
        if self.config.store:
            env["FINEWS_STORE"] = self.config.store
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

            with open_store(self.config.store) as store:
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
            return {"run_record_error": str(exc)[:200]}
        return {"run_record_error": "no run record (the crawl did not start or could not write)"}

    def record(self, entry: dict[str, Any]) -> None:
        path = self.config.record_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"spider": self.spider, **entry}, ensure_ascii=False) + "\n")


# ---- command line --------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--every", help="interval: 30s, 5m, 1h (first run at once)")
    when.add_argument("--cron", help='5-field cron expression, local time: "*/5 * * * *"')
    when.add_argument("--once", action="store_true", help="one tick now, then exit (for cron)")
    parser.add_argument("--runs", type=int, help="exit after this many ticks (runs or skips)")
    parser.add_argument("--lock", help="lock file (default data/schedule/SPIDER.lock)")
    parser.add_argument(
        "--record", help="JSON-lines tick record (default data/schedule/SPIDER.jsonl)"
    )
    parser.add_argument("--timeout", type=float, help="stop a run that takes longer (seconds)")
    parser.add_argument(
        "crawl", nargs=argparse.REMAINDER, help="-- SPIDER [finews crawl options...]"
    )


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
        lock_path=Path(args.lock or f"data/schedule/{spider}.lock"),
        record_path=Path(args.record or f"data/schedule/{spider}.jsonl"),
        store=getattr(args, "store", None),
        timeout=args.timeout,
    )


def run_schedule(args: argparse.Namespace) -> int:
    """Entry point behind `finews schedule`."""
    logging.basicConfig(
        level=os.environ.get("FINEWS_LOG_LEVEL", "INFO"),
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
    command = " ".join(config.crawl_args)
    logger.info("scheduling `finews crawl %s` %s (lock %s)", command, how, config.lock_path)
    return scheduler.run()
