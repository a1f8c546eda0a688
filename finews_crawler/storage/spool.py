"""A durable local spool, so a store outage mid-crawl loses nothing and blocks nothing.

`SpoolingStore` wraps any store that declares `transient_errors` (MongoDB). Every write goes
through one writer thread of its own, in the order the writes were made, so the reactor never
waits for the server and no write overtakes another. A write that fails with a transient
error is tried again within `retry_seconds` (the writer thread waits, never the reactor);
then it is appended to an append-only JSON Lines file (fsync per batch) and the crawl goes on.
While the outage is remembered (`outage_seconds`) further writes go straight to the spool;
after that one probe write tells whether the store is back. Before any write reaches the
store, the spool is drained into it in order, so an older spooled version never overwrites a
newer one. Replays are idempotent (upserts, deterministic ids), so a spool is truncated only
after all of it was written, and a drain interrupted halfway may safely run again.

What a crawl leaves in the spool is unfinished: the store pipeline counts it as failures and
files one failure record under `Spool.record_url`, which a complete drain clears.

Settings (environment, or Scrapy settings of the same name):
  FINEWS_SPOOL      1/on: also start while the store is unreachable (scheduled runs);
                    0/off: never spool; unset: spool mid-crawl outages, but a crawl whose
                    store is unreachable at start fails fast.
  FINEWS_SPOOL_DIR  where spool files live (default data/spool in the project, as the store,
                    else ~/.local/state/finews/spool); one file per destination,
                    named by a hash of the store's credential-free address.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from finews_crawler.config import default_spool_dir, env_str
from finews_crawler.flags import FALSE, TRUE
from finews_crawler.storage.base import (
    FAILED,
    SPOOLED,
    ArticleQuery,
    Store,
    UpsertOutcome,
    clear_resolved,
)
from finews_crawler.storage.offthread import on_reactor_thread, run_on_reactor
from finews_crawler.storage.query import FailureQuery, RunQuery
from finews_crawler.storage.redact import redact_uri

logger = logging.getLogger("finews.spool")

REPLAY_BATCH = 500
T = TypeVar("T")


def spool_mode(value: str | None = None) -> str:
    """'on', 'off' or 'auto' from a setting value (else $FINEWS_SPOOL)."""
    raw = (value if value not in (None, "") else env_str("FINEWS_SPOOL")) or ""
    raw = str(raw).strip().lower()
    return "on" if raw in TRUE else "off" if raw in FALSE else "auto"


def spool_path(store: Store, directory: str | os.PathLike[str] | None = None) -> Path:
    """data/spool/<hash>.jsonl: one spool per destination, never a password in its name."""
    key = getattr(store, "spool_key", "") or redact_uri(store.uri_for_display)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    base = Path(directory or env_str("FINEWS_SPOOL_DIR") or default_spool_dir())
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

    def pending_articles(self) -> int:
        """Articles waiting (entries are written as `{"op":"article",...}`, see encode_entry)."""
        if not self.has_pending():
            return 0
        with open(self.path, encoding="utf-8") as handle:
            return sum(1 for line in handle if line.startswith('{"op":"article"'))

    @property
    def record_url(self) -> str:
        """Where the failure record "articles wait in this spool" is filed."""
        return f"spool:{self.path.resolve()}"

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
                # Nothing waits here any more: the record saying so goes (a spooled step, so
                # that a failure here keeps it for the next drain).
                entries.append({"op": "clear_failures", "urls": [self.record_url]})
                _apply(store, entries, done)
                done += 1
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


def _spooled(articles: Sequence[Mapping[str, Any]]) -> list[UpsertOutcome]:
    return [UpsertOutcome(SPOOLED, dict(article)) for article in articles]


class SpoolingStore(Store):
    """A store whose writes survive outages of the store behind it (see the module doc).

    Writes run on the store's own writer thread, in the order they were made. Made on the
    reactor thread they return at once (`None`, `0`, or for articles the outcome `spooled`
    until written; the store pipeline awaits `write_articles` instead); made on any other
    thread they wait for their turn and return what the store returned. Reads go straight
    to the store behind.
    """

    def __init__(
        self,
        inner: Store,
        spool: Spool,
        *,
        retry_seconds: float = 5.0,
        outage_seconds: float = 5.0,
        on_replay: Callable[[DrainReport], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.spool = spool
        self.uri_for_display = inner.uri_for_display
        self.transient_errors = inner.transient_errors
        self.retry_seconds = retry_seconds
        self.outage_seconds = outage_seconds
        self.on_replay = on_replay
        self._clock = clock
        self._probe_at = 0.0  # while down and clock() < this, don't even try
        self._down = False  # an outage is in progress (next try is a single probe)
        self._closing = threading.Event()  # ends waits between tries
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="finews-store")
        self._writer_ident: int | None = None
        if getattr(inner, "connected", True) is False:  # opened while its server was away
            self._down, self._probe_at = True, clock() + outage_seconds

    def __getattr__(self, name: str) -> Any:  # backend extras (history, count_history, ...)
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # ---- the writer thread ---------------------------------------------------------------

    def submit(self, call: Callable[..., T], *args: Any) -> Future[T]:
        """Run `call(*args)` on the writer thread after every write made before it."""

        def on_writer() -> T:
            self._writer_ident = threading.get_ident()
            return call(*args)

        return self._writer.submit(on_writer)

    def _write(self, call: Callable[..., T], *args: Any, default: T) -> T:
        """A write from a caller: in order on the writer thread; the reactor never waits."""
        if threading.get_ident() == self._writer_ident:
            return call(*args)
        future = self.submit(call, *args)
        if on_reactor_thread():
            future.add_done_callback(_log_error)
            return default
        return future.result()

    def _guarded(self, write: Callable[[], T], fallback: Callable[[], T]) -> T:
        """On the writer thread: drain the spool, then write; retry transient errors for
        `retry_seconds`, then `fallback()` (spool the write). The outage is remembered."""
        if self._down and self._clock() < self._probe_at:
            return fallback()
        deadline = self._clock() + (0.0 if self._down else self.retry_seconds)
        delay = 0.5
        while True:
            try:
                self.drain()
                result = write()
            except self.transient_errors as exc:
                if self._clock() + delay > deadline or self._closing.is_set():
                    self.mark_down(exc)
                    return fallback()
                logger.info("store write failed (%s); trying again in %.1fs", _short(exc), delay)
                self._closing.wait(delay)  # the writer thread waits, never the reactor
                delay = min(delay * 2, 5.0)
                continue
            except Exception as exc:  # not an outage, but the write must not be lost either
                logger.error("store write failed (%s): kept in the spool", _short(exc))
                return fallback()
            if self._down:
                logger.warning("store %s is back; spooling stopped", self.uri_for_display)
            self._down = False
            return result

    def mark_down(self, exc: BaseException | None) -> None:
        if not self._down:
            logger.warning(
                "store %s unreachable (%s): spooling writes to %s",
                self.uri_for_display,
                _short(exc),
                self.spool.path,
            )
        self._down = True
        self._probe_at = self._clock() + self.outage_seconds

    def drain(self) -> DrainReport:
        """Write what the spool holds into the store (transient errors propagate)."""
        return self.spool.drain(self.inner, on_progress=self._replayed)

    def _replayed(self, report: DrainReport) -> None:
        if self.on_replay is not None:
            run_on_reactor(self.on_replay, report)  # counters belong to the reactor thread

    def drain_now(self) -> DrainReport:
        """One try at replaying the spool, outage or not; transient errors propagate."""
        report = self.drain()
        if self._down:
            logger.warning("store %s is back; spooling stopped", self.uri_for_display)
        self._down = False
        return report

    # ---- writes ----------------------------------------------------------------------------

    def write_articles(self, articles: list[Mapping[str, Any]]) -> list[UpsertOutcome]:
        """On the writer thread: upsert, clear the failures the articles resolve; else spool."""

        def write() -> list[UpsertOutcome]:
            outcomes = self.inner.upsert_articles(articles)
            clear_resolved(self.inner, outcomes)
            return outcomes

        def spool() -> list[UpsertOutcome]:
            self.spool.append({"op": "article", "doc": dict(article)} for article in articles)
            return _spooled(articles)

        return self._guarded(write, spool)

    def record_unwritten(self, failure: Mapping[str, Any]) -> None:
        """On the writer thread: file the "articles wait in the spool" record, unless the
        spool was replayed meanwhile (a drain clears the record; it must not come after)."""
        failure = {**failure, "attempt_id": uuid.uuid4().hex}

        def write() -> None:
            if self.spool.pending_articles():
                self.inner.record_failure(failure)

        self._guarded(write, lambda: self.spool.append([{"op": "failure", "doc": failure}]))

    def upsert_articles(self, articles: list[Mapping[str, Any]]) -> list[UpsertOutcome]:
        if not articles:
            return []
        batch = [dict(article) for article in articles]
        return self._write(self.write_articles, batch, default=_spooled(batch))

    def record_failure(self, failure: Mapping[str, Any]) -> None:
        # One attempt id for every retry and the replay: the attempt counts once.
        failure = {**failure, "attempt_id": failure.get("attempt_id") or uuid.uuid4().hex}
        self._write(
            self._guarded,
            lambda: self.inner.record_failure(failure),
            lambda: self.spool.append([{"op": "failure", "doc": failure}]),
            default=None,
        )

    def clear_failures(self, urls: Iterable[str], article_ids: Iterable[str] = ()) -> int:
        urls, article_ids = [u for u in urls if u], [a for a in article_ids if a]
        if not urls and not article_ids:
            return 0

        def spool() -> int:
            self.spool.append([{"op": "clear_failures", "urls": urls, "article_ids": article_ids}])
            return 0

        return self._write(
            self._guarded, lambda: self.inner.clear_failures(urls, article_ids), spool, default=0
        )

    def record_run(self, run: Mapping[str, Any]) -> None:
        run = dict(run)
        self._write(
            self._guarded,
            lambda: self.inner.record_run(run),
            lambda: self.spool.append([{"op": "run", "doc": run}]),
            default=None,
        )

    def set_checkpoint(self, name: str, value: Any) -> None:
        entry = {"op": "checkpoint", "name": name, "value": value}
        self._write(
            self._guarded,
            lambda: self.inner.set_checkpoint(name, value),
            lambda: self.spool.append([entry]),
            default=None,
        )

    def add_feed_coverage(self, feed: str, intervals: Iterable[tuple[int, int]]) -> None:
        spans = [(int(lo), int(hi)) for lo, hi in intervals]
        pairs = [[lo, hi] for lo, hi in spans]
        entry = {"op": "feed_coverage", "feed": feed, "intervals": pairs}
        self._write(
            self._guarded,
            lambda: self.inner.add_feed_coverage(feed, spans),
            lambda: self.spool.append([entry]),
            default=None,
        )

    def lower_feed_floor(self, feed: str, floor: int) -> None:
        entry = {"op": "feed_floor", "feed": feed, "floor": int(floor)}
        self._write(
            self._guarded,
            lambda: self.inner.lower_feed_floor(feed, floor),
            lambda: self.spool.append([entry]),
            default=None,
        )

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

    def find_articles(self, query: ArticleQuery) -> Iterator[dict[str, Any]]:
        return self.inner.find_articles(query)

    def find_failures(self, query: FailureQuery) -> Iterator[dict[str, Any]]:
        return self.inner.find_failures(query)

    def find_runs(self, query: RunQuery) -> Iterator[dict[str, Any]]:
        return self.inner.find_runs(query)

    def stock_codes_named(self, name: str) -> set[str]:
        return self.inner.stock_codes_named(name)

    def close(self) -> None:
        """Close after every write made so far. On the reactor thread this returns at once:
        the writer thread finishes the queue (the interpreter waits for it at exit), so
        closing never holds up the reactor (a blocked reactor at shutdown let Scrapy's
        download-handler timeout fire after its Deferred had fired: AlreadyCalledError)."""
        self._write(self.inner.close, default=None)
        self._writer.shutdown(wait=not on_reactor_thread())


def _log_error(future: Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        logger.error("store write failed: %s", _short(exc))


def _short(exc: BaseException | None) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0].split(" (configured timeouts")[0]
    return redact_uri(text)[:200]
