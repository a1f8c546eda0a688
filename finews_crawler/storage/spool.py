"""A durable local spool, so a store outage mid-crawl loses nothing and blocks nothing for long.

`SpoolingStore` wraps any store that declares `transient_errors` (MongoDB). A write that fails
with one is retried with backoff (bounded: `tries` attempts within about `retry_seconds`);
then it is appended to an append-only JSON Lines file (fsync per batch) and the crawl goes on.
While the outage is remembered (`outage_seconds`) further writes go straight to the spool;
after that one probe write tells whether the store is back. Before any write reaches the
store, the spool is drained into it in order, so an older spooled version never overwrites a
newer one. Replays are idempotent (upserts, deterministic ids), so a spool is truncated only
after all of it was written, and a drain interrupted halfway may safely run again.

Settings (environment, or Scrapy settings of the same name):
  FINEWS_SPOOL      1/on: also start while the store is unreachable (scheduled runs);
                    0/off: never spool; unset: spool mid-crawl outages, but a crawl whose
                    store is unreachable at start fails fast.
  FINEWS_SPOOL_DIR  where spool files live (default data/spool); one file per destination,
                    named by a hash of the store's credential-free address.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from finews_crawler.flags import FALSE, TRUE
from finews_crawler.storage.base import (
    FAILED,
    SPOOLED,
    ArticleQuery,
    Store,
    UpsertOutcome,
    clear_resolved,
)
from finews_crawler.storage.redact import redact_uri

logger = logging.getLogger("finews.spool")

DEFAULT_SPOOL_DIR = "data/spool"
REPLAY_BATCH = 500
T = TypeVar("T")


def spool_mode(value: str | None = None) -> str:
    """'on', 'off' or 'auto' from a setting value (else $FINEWS_SPOOL)."""
    raw = (value if value not in (None, "") else os.environ.get("FINEWS_SPOOL", "")) or ""
    raw = str(raw).strip().lower()
    return "on" if raw in TRUE else "off" if raw in FALSE else "auto"


def spool_path(store: Store, directory: str | os.PathLike[str] | None = None) -> Path:
    """data/spool/<hash>.jsonl: one spool per destination, never a password in its name."""
    key = getattr(store, "spool_key", "") or redact_uri(store.uri_for_display)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    base = Path(directory or os.environ.get("FINEWS_SPOOL_DIR") or DEFAULT_SPOOL_DIR)
    return base / f"{digest}.jsonl"


# ---- encoding: JSON with datetimes kept as datetimes ------------------------------------


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, set | tuple):
        return list(value)
    raise TypeError(f"cannot spool {type(value).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "__datetime__" in obj:
        return datetime.fromisoformat(obj["__datetime__"])
    return obj


def encode_entry(entry: Mapping[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, default=_default, separators=(",", ":"))


def decode_entry(line: str) -> dict[str, Any]:
    return json.loads(line, object_hook=_hook)


# ---- the file ----------------------------------------------------------------------------


@dataclass
class DrainReport:
    """What a drain wrote: articles by outcome status, other entries, what failed."""

    articles: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    entries: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)


class Spool:
    """Append-only JSON Lines file, one entry per line, locked against other processes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def for_store(cls, store: Store, directory: str | os.PathLike[str] | None = None) -> Spool:
        return cls(spool_path(store, directory))

    @contextlib.contextmanager
    def _locked(self, mode: str) -> Iterator[Any]:
        """The open file, exclusively locked; reopened if a drain replaced it meanwhile."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            handle = open(self.path, mode, encoding="utf-8")  # noqa: SIM115
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                same = os.fstat(handle.fileno()).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            handle.close()
        try:
            yield handle
        finally:
            handle.close()  # releases the lock

    def append(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Write the entries and fsync before returning: once this returns, they survive."""
        lines = [encode_entry(entry) + "\n" for entry in entries]
        if not lines:
            return 0
        with self._locked("a") as handle:
            handle.write("".join(lines))
            handle.flush()
            os.fsync(handle.fileno())
        return len(lines)

    def pending(self) -> int:
        """Entries waiting (0 when the file is absent or empty)."""
        try:
            if self.path.stat().st_size == 0:
                return 0
        except FileNotFoundError:
            return 0
        with open(self.path, encoding="utf-8") as handle:
            return sum(1 for line in handle if line.strip())

    def has_pending(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def drain(
        self, store: Store, on_progress: Callable[[DrainReport], None] | None = None
    ) -> DrainReport:
        """Write every entry into `store`, in order; then empty the file.

        If the store fails midway, the entries not yet written are kept (the file is replaced
        atomically by the remainder) and the error propagates. `on_progress` gets a report for
        each chunk written, so counts stay right even when a later chunk fails.
        """
        total = DrainReport()
        if not self.has_pending():
            return total
        with self._locked("r+") as handle:
            entries = [decode_entry(line) for line in handle if line.strip()]
            done = 0
            try:
                while done < len(entries):
                    step, report = _apply(store, entries, done)
                    done += step
                    total.articles += report.articles
                    total.statuses.update(report.statuses)
                    total.entries += report.entries
                    total.failed.extend(report.failed)
                    if on_progress is not None:
                        on_progress(report)
            except BaseException:
                if done:
                    self._replace(entries[done:])
                raise
            handle.seek(0)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
        if total.entries:
            logger.info("replayed %d spooled entries into %s", total.entries, store.uri_for_display)
        return total

    def _replace(self, entries: list[dict[str, Any]]) -> None:
        tmp = self.path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            out.write("".join(encode_entry(entry) + "\n" for entry in entries))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
        with contextlib.suppress(OSError):
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            os.fsync(dir_fd)
            os.close(dir_fd)


def _apply(store: Store, entries: list[dict[str, Any]], start: int) -> tuple[int, DrainReport]:
    """Write the entries from `start`: a run of articles as one batch, anything else alone."""
    report = DrainReport()
    if entries[start]["op"] == "article":
        end = start
        while end < len(entries) and end - start < REPLAY_BATCH and entries[end]["op"] == "article":
            end += 1
        docs = [entry["doc"] for entry in entries[start:end]]
        outcomes = store.upsert_articles(docs)
        for outcome in outcomes:
            report.statuses[outcome.status] += 1
            if outcome.status == FAILED:
                failure = _store_failure(outcome)
                store.record_failure(failure)
                report.failed.append(failure)
        clear_resolved(store, outcomes)
        report.articles = end - start
        report.entries = end - start
        return end - start, report
    entry = entries[start]
    op = entry["op"]
    if op == "failure":
        store.record_failure(entry["doc"])
    elif op == "clear_failures":
        store.clear_failures(entry["urls"], entry.get("article_ids") or ())
    elif op == "run":
        store.record_run(entry["doc"])
    elif op == "checkpoint":
        store.set_checkpoint(entry["name"], entry["value"])
    elif op == "feed_coverage":
        store.add_feed_coverage(entry["feed"], [tuple(pair) for pair in entry["intervals"]])
    elif op == "feed_floor":
        store.lower_feed_floor(entry["feed"], entry["floor"])
    else:
        logger.warning("skipping unknown spool entry %r", op)
    report.entries = 1
    return 1, report


def _store_failure(outcome: UpsertOutcome) -> dict[str, Any]:
    article = outcome.article
    return {
        "url": article.get("source_url") or article.get("url") or article.get("_id") or "?",
        "failed_url": article.get("url"),
        "stage": "store",
        "reason": (outcome.error or "the store refused the document")[:500],
        "retriable": False,
        "status": None,
        "article_id": article.get("_id"),
        "spider": article.get("spider"),
    }


# ---- the wrapper ---------------------------------------------------------------------------


class StoreUnavailable(Exception):
    """The store stayed unreachable through the retries (or is known to be down)."""


class SpoolingStore(Store):
    """A store whose writes survive outages of the store behind it (see the module doc)."""

    def __init__(
        self,
        inner: Store,
        spool: Spool,
        *,
        tries: int = 3,
        retry_seconds: float = 5.0,
        outage_seconds: float = 5.0,
        on_replay: Callable[[DrainReport], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.spool = spool
        self.uri_for_display = inner.uri_for_display
        self.transient_errors = inner.transient_errors
        self.tries = max(tries, 1)
        self.retry_seconds = retry_seconds
        self.outage_seconds = outage_seconds
        self.on_replay = on_replay
        self._sleep = sleep
        self._clock = clock
        self._down_until = 0.0  # while clock() < this, don't even try
        self._down = False  # an outage is in progress (next try is a single probe)
        if getattr(inner, "connected", True) is False:  # opened while its server was away
            self._down, self._down_until = True, clock() + outage_seconds

    def __getattr__(self, name: str) -> Any:  # backend extras (history, count_history, ...)
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # ---- the guarded write ---------------------------------------------------------------

    def _guarded(self, write: Callable[[], T]) -> T:
        """Drain the spool, then write; retry transient errors; StoreUnavailable when spent."""
        if self._clock() < self._down_until:
            raise StoreUnavailable("store still down")
        tries = 1 if self._down else self.tries
        deadline = self._clock() + self.retry_seconds
        delay = 0.5
        last: BaseException | None = None
        for attempt in range(1, tries + 1):
            try:
                self.drain()
                result = write()
            except self.transient_errors as exc:
                last = exc
                if attempt == tries or self._clock() + delay > deadline:
                    break
                logger.info(
                    "store write failed (%s); retry %d in %.1fs", _short(exc), attempt, delay
                )
                self._sleep(delay)
                delay *= 2
                continue
            if self._down:
                logger.warning("store %s is back; spooling stopped", self.uri_for_display)
            self._down = False
            return result
        if not self._down:
            logger.warning(
                "store %s unreachable (%s): spooling writes to %s",
                self.uri_for_display,
                _short(last),
                self.spool.path,
            )
        self._down = True
        self._down_until = self._clock() + self.outage_seconds
        raise StoreUnavailable(_short(last))

    def drain(self) -> DrainReport:
        """Write what the spool holds into the store (transient errors propagate)."""
        return self.spool.drain(self.inner, on_progress=self.on_replay)

    def drain_if_reachable(self) -> DrainReport | None:
        """At start: replay the spool when the store answers; None when it does not."""
        try:
            return self._guarded(DrainReport)
        except StoreUnavailable:
            return None

    # ---- writes ----------------------------------------------------------------------------

    def upsert_articles(self, articles: list[Mapping[str, Any]]) -> list[UpsertOutcome]:
        if not articles:
            return []
        try:
            return self._guarded(lambda: self.inner.upsert_articles(articles))
        except StoreUnavailable:
            self.spool.append({"op": "article", "doc": dict(article)} for article in articles)
            return [UpsertOutcome(SPOOLED, dict(article)) for article in articles]

    def record_failure(self, failure: Mapping[str, Any]) -> None:
        # One attempt id for every retry and the replay: the attempt counts once.
        failure = {**failure, "attempt_id": failure.get("attempt_id") or uuid.uuid4().hex}
        try:
            self._guarded(lambda: self.inner.record_failure(failure))
        except StoreUnavailable:
            self.spool.append([{"op": "failure", "doc": failure}])

    def clear_failures(self, urls: Iterable[str], article_ids: Iterable[str] = ()) -> int:
        urls, article_ids = [u for u in urls if u], [a for a in article_ids if a]
        if not urls and not article_ids:
            return 0
        try:
            return self._guarded(lambda: self.inner.clear_failures(urls, article_ids))
        except StoreUnavailable:
            self.spool.append([{"op": "clear_failures", "urls": urls, "article_ids": article_ids}])
            return 0

    def record_run(self, run: Mapping[str, Any]) -> None:
        try:
            self._guarded(lambda: self.inner.record_run(run))
        except StoreUnavailable:
            self.spool.append([{"op": "run", "doc": dict(run)}])

    def set_checkpoint(self, name: str, value: Any) -> None:
        try:
            self._guarded(lambda: self.inner.set_checkpoint(name, value))
        except StoreUnavailable:
            self.spool.append([{"op": "checkpoint", "name": name, "value": value}])

    def add_feed_coverage(self, feed: str, intervals: Iterable[tuple[int, int]]) -> None:
        pairs = [[int(lo), int(hi)] for lo, hi in intervals]
        try:
            self._guarded(lambda: self.inner.add_feed_coverage(feed, pairs))
        except StoreUnavailable:
            self.spool.append([{"op": "feed_coverage", "feed": feed, "intervals": pairs}])

    def lower_feed_floor(self, feed: str, floor: int) -> None:
        try:
            self._guarded(lambda: self.inner.lower_feed_floor(feed, floor))
        except StoreUnavailable:
            self.spool.append([{"op": "feed_floor", "feed": feed, "floor": int(floor)}])

    # ---- reads go straight through -------------------------------------------------------

    def get_feed_coverage(self, feed: str) -> tuple[int | None, list[tuple[int, int]]]:
        return self.inner.get_feed_coverage(feed)

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        return self.inner.get_article(article_id)

    def count_articles(self, query: ArticleQuery | None = None) -> int:
        return self.inner.count_articles(query)

    def iter_articles(self, query: ArticleQuery | None = None) -> Iterator[dict[str, Any]]:
        return self.inner.iter_articles(query)

    def known_ids(self, article_ids: Iterable[str]) -> set[str]:
        return self.inner.known_ids(article_ids)

    def iter_failures(self) -> Iterator[dict[str, Any]]:
        return self.inner.iter_failures()

    def iter_runs(self, limit: int = 20) -> Iterator[dict[str, Any]]:
        return self.inner.iter_runs(limit)

    def get_checkpoint(self, name: str) -> Any:
        return self.inner.get_checkpoint(name)

    def close(self) -> None:
        self.inner.close()


def _short(exc: BaseException | None) -> str:
    return redact_uri(f"{type(exc).__name__}: {exc}".splitlines()[0])[:200]
