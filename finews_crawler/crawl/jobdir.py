"""JOBDIR made crash-safe: resume a paused job, but never trust the state of a killed one.

Scrapy writes the job's request queue index (requests.queue/active.json) only when the crawl
closes, and buffers requests.seen. After SIGKILL both are stale: the queue may replay or lose
requests, and requests.seen names requests that were scheduled but never completed, which
would hide those articles from every later run. This extension keeps a marker in JOBDIR:

  running   at start; still there at the next start = the last run was killed: its queue,
            seen-set and spider state are discarded, and the crawl resumes from the store
            (known articles) and the feeds' coverage (finews_crawler.crawl.incremental);
  paused    closed early (Ctrl-C, SIGTERM, a CLOSESPIDER_* limit): Scrapy's state is complete
            and the next start resumes the queue as Scrapy documents;
  finished  the job is done: the next start with this JOBDIR is a new job (fresh state), so a
            scheduled crawl can reuse one JOBDIR and still retry what failed last time.

A lock file stops two crawls from sharing one JOBDIR at the same time.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

from finews_crawler.scheduling.locks import RunLock

logger = logging.getLogger("finews.jobdir")

MARKER = "finews-job.json"
LOCK = "finews-job.lock"
SCRAPY_STATE = ("requests.queue", "requests.seen", "spider.state")


class JobDirInUse(RuntimeError):
    """Another live crawl holds this JOBDIR."""


def read_marker(path: Path) -> dict[str, Any]:
    try:
        return json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_marker(path: Path, state: str, **extra: Any) -> None:
    """Atomic (rename) so a kill never leaves half a marker."""
    data = {"state": state, "pid": os.getpid(), "at": datetime.now(UTC).isoformat(), **extra}
    tmp = path / f"{MARKER}.tmp{os.getpid()}"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path / MARKER)


def discard_scrapy_state(path: Path) -> list[str]:
    """Remove Scrapy's queue, seen-set and spider state; return what was removed."""
    removed = []
    for name in SCRAPY_STATE:
        target = path / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        else:
            continue
        removed.append(name)
    return removed


class JobDirGuard:
    """Scrapy extension, active whenever JOBDIR is set (built before the scheduler opens)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: RunLock | None = None
        self.previous: dict[str, Any] = {}

    @classmethod
    def from_crawler(cls, crawler) -> JobDirGuard:
        directory = job_dir(crawler.settings)
        if not directory:
            raise NotConfigured
        guard = cls(Path(directory))
        guard.prepare()
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def prepare(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = RunLock(self.path / LOCK)  # held until this process exits
        if not self._lock.acquire():
            holder = read_marker(self.path).get("pid", "?")
            raise JobDirInUse(
                f"JOBDIR {self.path} is in use by another crawl (pid {holder})"
            ) from None
        self.previous = read_marker(self.path)
        state = self.previous.get("state")
        if state == "running":
            removed = discard_scrapy_state(self.path)
            logger.warning(
                "JOBDIR %s: the previous crawl (pid %s) did not stop cleanly; discarded its"
                " %s and resuming from the store",
                self.path,
                self.previous.get("pid", "?"),
                ", ".join(removed) or "state",
            )
        elif state == "finished":
            discard_scrapy_state(self.path)
            logger.info("JOBDIR %s: previous job finished; starting a new job", self.path)
        elif state == "paused":
            logger.info("JOBDIR %s: resuming the paused job", self.path)
        write_marker(self.path, "running")

    def spider_closed(self, spider, reason: str) -> None:
        # Scrapy's scheduler has already written its queue state when this signal fires.
        write_marker(self.path, "finished" if reason == "finished" else "paused", reason=reason)
