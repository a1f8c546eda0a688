"""The store interface: one contract, several backends (SQLite by default, MongoDB).

Backends persist articles (upserted by `_id`, merged, counted as new/updated/unchanged),
failure records (one per failing URL, with attempts), run records, checkpoints, and each feed's
paging state (finews_crawler/crawl/paging: covered time intervals, added only, plus a floor
that only goes down), written so that several workers merge instead of overwriting each other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from finews_crawler import article as article_schema
from finews_crawler.storage.outbox import Outbox
from finews_crawler.storage.query import ArticleQuery, FailureQuery, RunQuery

T = TypeVar("T")
NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"
# FAILED: this article alone could not be written (bad document); SPOOLED: the store was
# unreachable and the article waits in the local spool (storage/spool.py) for a replay.
FAILED, SPOOLED = "failed", "spooled"


class StoreError(Exception):
    """The store cannot be opened or written; the message says why (never with a password)."""


@dataclass
class UpsertOutcome:
    """What one upsert did; `article` is the record as stored afterwards."""

    status: str
    article: dict[str, Any]
    error: str | None = None  # why, when status is FAILED
    previous: dict[str, Any] | None = None  # the replaced record, when status is UPDATED


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_default(value: Any) -> Any:
    """json.dumps(default=...) for store records: datetimes as ISO 8601 with offset."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


def chunks(items: Iterable[T], size: int = 500) -> Iterator[list[T]]:
    """Lists of at most `size` items: id lists for IN (...) / $in queries stay bounded."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def clear_resolved(store: Store, outcomes: Iterable[UpsertOutcome]) -> None:
    """Clear the failure records of articles that are now stored (a later success wins)."""
    stored = [o.article for o in outcomes if o.status not in (FAILED, SPOOLED)]
    if stored:
        store.clear_failures(
            urls=[doc["source_url"] for doc in stored if doc.get("source_url")],
            article_ids=[doc["_id"] for doc in stored],
        )


def apply_upsert(
    existing: Mapping[str, Any] | None,
    incoming: Mapping[str, Any],
    now: datetime,
    incoming_digest: str | None = None,
) -> UpsertOutcome:
    """Decide the stored record and the outcome; backends only persist what this returns.

    `incoming_digest` (content_hash(incoming), when the backend has it) saves work, never
    changes the outcome: an incoming article with the stored hash that merges as it is
    is unchanged without merging, and a merge that keeps incoming's content is not hashed
    again."""
    if (
        existing is not None
        and incoming_digest is not None
        and existing.get("content_hash") == incoming_digest
        and article_schema.merges_as_is(incoming)
    ):
        return UpsertOutcome(UNCHANGED, dict(existing))
    merged = article_schema.merge(existing, incoming)
    if incoming_digest is not None and article_schema.same_content(merged, incoming):
        digest = incoming_digest
    else:
        digest = article_schema.content_hash(merged)
    if existing is None:
        merged.update(content_hash=digest, first_seen_at=now, updated_at=now, revision=1)
        return UpsertOutcome(NEW, merged)
    if existing.get("content_hash") == digest:
        return UpsertOutcome(UNCHANGED, dict(existing))
    merged.update(
        content_hash=digest,
        first_seen_at=existing.get("first_seen_at") or now,
        updated_at=now,
        revision=int(existing.get("revision") or 1) + 1,
    )
    return UpsertOutcome(UPDATED, merged, previous=dict(existing))


class Store(ABC):
    """Article, failure and run persistence. Every write is idempotent."""

    uri_for_display: str = ""
    # Errors that mean "the store is unreachable right now" (retry, then spool), as opposed to
    # errors about the data. Empty for embedded stores: they are never spooled.
    transient_errors: tuple[type[BaseException], ...] = ()

    @abstractmethod
    def upsert_articles(self, articles: list[Mapping[str, Any]]) -> list[UpsertOutcome]:
        """Insert or merge each article by `_id`, in order; one outcome per article."""

    @abstractmethod
    def get_article(self, article_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def count_articles(self, query: ArticleQuery | None = None) -> int: ...

    @abstractmethod
    def iter_articles(self, query: ArticleQuery | None = None) -> Iterator[dict[str, Any]]:
        """Articles oldest first by published_at, streamed (constant memory)."""

    @abstractmethod
    def known_ids(self, article_ids: Iterable[str]) -> set[str]:
        """Which of these ids are already stored (incremental crawling)."""

    @abstractmethod
    def record_failure(self, failure: Mapping[str, Any]) -> None:
        """Create or update the failure record keyed by failure['url'] (attempts += 1)."""

    @abstractmethod
    def clear_failures(self, urls: Iterable[str], article_ids: Iterable[str] = ()) -> int:
        """Remove the failure records that stored articles resolve; return how many."""

    @abstractmethod
    def iter_failures(self) -> Iterator[dict[str, Any]]: ...

    @abstractmethod
    def record_run(self, run: Mapping[str, Any]) -> None:
        """Create or replace the run record with run['_id']."""

    @abstractmethod
    def iter_runs(self, limit: int = 20) -> Iterator[dict[str, Any]]:
        """Most recent runs first."""

    # ---- the query layer (storage/query.py): newest first, limited, one per backend ----------

    def find_articles(self, query: ArticleQuery) -> Iterator[dict[str, Any]]:
        """Articles matching `query`, newest first (published_at, then _id, descending),
        at most `query.limit`, below `query.after`."""
        raise NotImplementedError(f"{type(self).__name__} cannot run article queries")

    def find_failures(self, query: FailureQuery) -> Iterator[dict[str, Any]]:
        """Failure records matching `query`, most recently seen first."""
        raise NotImplementedError(f"{type(self).__name__} cannot run failure queries")

    def find_runs(self, query: RunQuery) -> Iterator[dict[str, Any]]:
        """Run records matching `query`, most recent start first."""
        raise NotImplementedError(f"{type(self).__name__} cannot run run queries")

    def stock_codes_named(self, name: str) -> set[str]:
        """Codes stored articles give a security called `name` (`stocks[].name`): how a
        stock name resolves until a security master is in the store."""
        raise NotImplementedError(f"{type(self).__name__} cannot look up stock names")

    @abstractmethod
    def get_checkpoint(self, name: str) -> Any: ...

    @abstractmethod
    def set_checkpoint(self, name: str, value: Any) -> None: ...

    # ---- feed paging state (finews_crawler/crawl/paging): conflict-free, merged by readers -------

    @abstractmethod
    def add_feed_coverage(self, feed: str, intervals: Iterable[tuple[int, int]]) -> None:
        """Record that every entry of `feed` published in each (lo, hi] (integer microseconds
        since the epoch) is stored. Atomic and additive: never replaces what others added;
        a backend may merge (compact) stored intervals if it keeps their union."""

    @abstractmethod
    def lower_feed_floor(self, feed: str, floor: int) -> None:
        """The feed's floor becomes min(current, floor), atomically (unset: floor)."""

    @abstractmethod
    def get_feed_coverage(self, feed: str) -> tuple[int | None, list[tuple[int, int]]]:
        """(floor or None, the stored intervals, possibly overlapping: readers take the union)."""

    # ---- security master (storage/securities.py) ------------------------------------------

    @property
    def securities(self) -> Any:
        """The security master (`upsert(facts)`, `find(code)`, `iter()`). AttributeError here
        lets a wrapping store (the spool) hand the lookup to the store it wraps."""
        raise AttributeError(f"{type(self).__name__} keeps no security master")

    def outbox(self) -> Outbox:
        """The outbox of new and changed articles (storage/outbox.py), for the publisher."""
        raise StoreError(f"{type(self).__name__} keeps no outbox")

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
