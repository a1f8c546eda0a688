"""The outbox: one entry per new or changed article, written with the article, so a publisher
(finews_crawler/push) can tell downstream systems about every stored article at least once,
in store order, across crashes.

An entry is `seq` (per store, increasing), `article_id`, `revision`, `source`, `status`
(new/updated) and `created_at`. Unchanged articles get no entry.

SQLite: table `outbox` (`seq INTEGER PRIMARY KEY AUTOINCREMENT`), inserted in the same
transaction as the article rows. Writers hold BEGIN IMMEDIATE, one at a time, so seq order
is commit order: a reader never sees a hole that fills later, and an entry exists exactly
when its article revision does.

MongoDB (no multi-document transaction on a standalone server): the writer first reserves
a block of seqs (`outbox_counters`, one `$inc`), then inserts the entries
(`<collection>_outbox`, `_id` = seq), and only then writes the articles. So every stored
revision has its entry written before it (nothing stored is ever missed). Two things a
reader may meet, which the publisher handles (finews_crawler/push/publisher.py):
- a hole: seqs reserved by a writer that has not inserted them yet (or died after reserving);
- an entry whose article is not (yet) at its revision: the article write is in flight, or
  failed (the spool or a later retry then writes it again, with an entry of its own).
The publisher waits for either up to a grace period, then moves on but keeps rechecking the
skipped seqs, so a writer that was only slow is still published, late.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

NEW_ENTRY, UPDATED_ENTRY = "new", "updated"

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    source TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class OutboxEntry:
    """One new or changed article revision, in the store's order."""

    seq: int
    article_id: str
    revision: int
    source: str
    status: str
    created_at: datetime
    void: bool = False  # the article write was refused: nothing to publish


def entries_for(
    docs: Iterable[Mapping[str, Any]], stored_before: set[str]
) -> list[tuple[str, int, str, str]]:
    """(article_id, revision, source, status) for the articles a write changes."""
    return [
        (
            str(doc["_id"]),
            int(doc.get("revision") or 1),
            str(doc.get("source") or ""),
            UPDATED_ENTRY if doc["_id"] in stored_before else NEW_ENTRY,
        )
        for doc in docs
    ]


def _aware(value: Any) -> datetime:
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


class Outbox(ABC):
    """Reading the outbox back (the publisher's side)."""

    # Tells apart outboxes sharing one place (MongoDB collections in one database); "" when
    # the store has only one. Publishers put it in their cursor's name.
    name: str = ""

    @abstractmethod
    def read_after(self, seq: int, limit: int = 500) -> list[OutboxEntry]:
        """Entries with a seq above `seq`, in seq order, at most `limit`."""

    @abstractmethod
    def read_seqs(self, seqs: Iterable[int]) -> list[OutboxEntry]:
        """The entries among these seqs that exist now, in seq order."""

    @abstractmethod
    def last_seq(self) -> int:
        """The highest seq handed out so far (0: none)."""

    @abstractmethod
    def prune(self, upto: int) -> int:
        """Delete the entries with seq <= upto (acknowledged by every target); how many.
        Seqs are never reused afterwards (AUTOINCREMENT; the MongoDB counter only grows)."""


class SQLiteOutbox(Outbox):
    """Written by SQLiteStore.upsert_articles inside its transaction (`append`)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    @staticmethod
    def append(
        db: sqlite3.Connection, entries: list[tuple[str, int, str, str]], now: datetime
    ) -> None:
        """Call inside the article write's transaction."""
        db.executemany(
            "INSERT INTO outbox(article_id, revision, source, status, created_at)"
            " VALUES (?,?,?,?,?)",
            [(*entry, now.isoformat()) for entry in entries],
        )

    def _rows(self, sql: str, params: Iterable[Any]) -> list[OutboxEntry]:
        rows = self._db.execute(sql, list(params)).fetchall()
        return [
            OutboxEntry(seq, article_id, revision, source or "", status, _aware(created))
            for seq, article_id, revision, source, status, created in rows
        ]

    def read_after(self, seq: int, limit: int = 500) -> list[OutboxEntry]:
        return self._rows(
            "SELECT seq, article_id, revision, source, status, created_at FROM outbox"
            " WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit),
        )

    def read_seqs(self, seqs: Iterable[int]) -> list[OutboxEntry]:
        wanted = sorted(set(seqs))[:900]
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        return self._rows(
            "SELECT seq, article_id, revision, source, status, created_at FROM outbox"
            f" WHERE seq IN ({marks}) ORDER BY seq",
            wanted,
        )

    def last_seq(self) -> int:
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
        return int(row[0]) if row else 0

    def prune(self, upto: int) -> int:
        return self._db.execute("DELETE FROM outbox WHERE seq <= ?", (upto,)).rowcount


class MongoOutbox(Outbox):
    """Collections `<collection>_outbox` (`_id` = seq) and `outbox_counters` (`_id` =
    the article collection's name, `seq`): one outbox per article collection."""

    def __init__(self, db: Any, collection: str) -> None:
        self._entries = db[f"{collection}_outbox"]
        self._counters = db["outbox_counters"]
        self._key = collection
        self.name = "" if collection == "articles" else collection

    def append(self, entries: list[tuple[str, int, str, str]], now: datetime) -> dict[str, int]:
        """Reserve seqs, then insert the entries: call before writing the articles.
        Returns each article id's seq."""
        if not entries:
            return {}
        from pymongo import ReturnDocument

        counter = self._counters.find_one_and_update(
            {"_id": self._key},
            {"$inc": {"seq": len(entries)}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        first = int(counter["seq"]) - len(entries) + 1
        self._entries.insert_many(
            [
                {
                    "_id": first + offset,
                    "article_id": article_id,
                    "revision": revision,
                    "source": source,
                    "status": status,
                    "created_at": now,
                }
                for offset, (article_id, revision, source, status) in enumerate(entries)
            ],
            ordered=False,
        )
        return {entry[0]: first + offset for offset, entry in enumerate(entries)}

    def void(self, seqs: list[int]) -> None:
        """Mark entries whose article the server refused: readers pass over them at once
        (a crash before this only makes them wait for the grace period)."""
        if seqs:
            self._entries.update_many({"_id": {"$in": seqs}}, {"$set": {"void": True}})

    @staticmethod
    def _entry(doc: Mapping[str, Any]) -> OutboxEntry:
        return OutboxEntry(
            int(doc["_id"]),
            str(doc["article_id"]),
            int(doc["revision"]),
            str(doc.get("source") or ""),
            str(doc["status"]),
            _aware(doc["created_at"]),
            bool(doc.get("void")),
        )

    def read_after(self, seq: int, limit: int = 500) -> list[OutboxEntry]:
        cursor = self._entries.find({"_id": {"$gt": seq}}).sort("_id", 1).limit(limit)
        return [self._entry(doc) for doc in cursor]

    def read_seqs(self, seqs: Iterable[int]) -> list[OutboxEntry]:
        wanted = sorted(set(seqs))[:900]
        if not wanted:
            return []
        cursor = self._entries.find({"_id": {"$in": wanted}}).sort("_id", 1)
        return [self._entry(doc) for doc in cursor]

    def last_seq(self) -> int:
        counter = self._counters.find_one({"_id": self._key})
        return int(counter["seq"]) if counter else 0

    def prune(self, upto: int) -> int:
        return int(self._entries.delete_many({"_id": {"$lte": upto}}).deleted_count)
