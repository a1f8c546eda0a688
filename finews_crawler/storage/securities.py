"""The security master: every security the crawl has learned, with its names and where from.

One record per security, keyed by market and code ("SH:600570", "HK:00700", "OTHER:150.159813"):
  code, market (None for an undocumented market number), kind, secid, names (first seen
  first), first_seen / last_seen (ISO text), learned_from (e.g. "source:cls", "quote", "link",
  "clist"), listed (how many articles' own lists named it), named_texts / listed_texts (of the
  learned texts with a source list that hold one of its names, how many, and how many of those
  list it: the tagger's evidence that a name is a word, not the security).
A fact is one sighting: {code, market, kind, secid, name, learned_from, seen, and optional
counts listed, named_texts, listed_texts}. Merging is a pure function; the backends only load
and write records (SQLite table `securities`, MongoDB collection `securities`). Concurrent
writers may race on one record's name list (last write wins): names are learned again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

COUNTS = ("listed", "named_texts", "listed_texts")
# json.dumps(record, ensure_ascii=False), built once (json.dumps builds one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def key_of(fact: Mapping[str, Any]) -> str:
    market = fact.get("market")
    if market and market != "OTHER":
        return f"{market}:{fact['code']}"
    return f"OTHER:{fact.get('secid') or fact['code']}"


def merge_record(existing: Mapping[str, Any] | None, fact: Mapping[str, Any]) -> dict[str, Any]:
    """The record after one more sighting (idempotent for names and sources, additive for
    counts)."""
    record: dict[str, Any] = (
        dict(existing)
        if existing
        else {
            "_id": key_of(fact),
            "code": fact["code"],
            "market": fact.get("market") if fact.get("market") != "OTHER" else None,
            "kind": fact.get("kind") or "stock",
            "secid": fact.get("secid"),
            "names": [],
            "learned_from": [],
            "first_seen": fact.get("seen"),
            "last_seen": fact.get("seen"),
            **dict.fromkeys(COUNTS, 0),
        }
    )
    record["names"] = list(record.get("names") or [])
    record["learned_from"] = list(record.get("learned_from") or [])
    _merge_into(record, fact)
    return record


def _merge_into(record: dict[str, Any], fact: Mapping[str, Any]) -> None:
    """One more sighting into a record of merge_record's making (its own lists), in place."""
    name = (fact.get("name") or "").strip()
    if name and name not in record["names"]:
        record["names"].append(name)
    source = fact.get("learned_from")
    if source and source not in record["learned_from"]:
        record["learned_from"].append(source)
    if not record.get("secid") and fact.get("secid"):
        record["secid"] = fact["secid"]
    if record.get("kind") == "stock" and fact.get("kind") not in (None, "stock"):
        record["kind"] = fact["kind"]
    seen = fact.get("seen")
    if seen:  # the earliest and latest of the record's (when set) and this one, as min/max
        first, last = record.get("first_seen"), record.get("last_seen")
        record["first_seen"] = seen if not first or seen < first else first
        record["last_seen"] = seen if not last or seen > last else last
    for count in COUNTS:
        record[count] = int(record.get(count) or 0) + int(fact.get(count) or 0)


def merge_all(
    existing: Mapping[str, Mapping[str, Any]], facts: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The changed records, by key, after all these facts."""
    changed: dict[str, dict[str, Any]] = {}
    for fact in facts:
        key = key_of(fact)
        record = changed.get(key)
        if record is None:
            changed[key] = merge_record(existing.get(key), fact)
        else:  # a record made here already (its own copy): the same merge, without copying
            _merge_into(record, fact)
    return changed


class SQLiteSecurities:
    """The master in an SQLite file (table `securities`, created on first use)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS securities (_id TEXT PRIMARY KEY, code TEXT NOT NULL,"
            " doc TEXT NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS securities_code ON securities(code)")

    def upsert(self, facts: list[Mapping[str, Any]]) -> int:
        if not facts:
            return 0
        keys = sorted({key_of(fact) for fact in facts})
        self._db.execute("BEGIN IMMEDIATE")
        try:
            existing = {}
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                for key, doc in self._db.execute(
                    f"SELECT _id, doc FROM securities WHERE _id IN ({marks})", part
                ):
                    existing[key] = json.loads(doc)
            changed = merge_all(existing, facts)
            self._db.executemany(
                "INSERT INTO securities(_id, code, doc) VALUES (?,?,?) ON CONFLICT(_id)"
                " DO UPDATE SET doc=excluded.doc",
                [(key, record["code"], _ENCODER.encode(record)) for key, record in changed.items()],
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return len(changed)

    def find(self, code: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT doc FROM securities WHERE code = ? OR _id = ? ORDER BY _id",
            (code.upper(), code.upper()),
        )
        return [json.loads(doc) for (doc,) in rows]

    def named(self, name: str) -> list[dict[str, Any]]:
        """The securities one of whose names is exactly `name` (a query by name)."""
        pattern = "%" + json.dumps(name, ensure_ascii=False) + "%"
        rows = self._db.execute(
            "SELECT doc FROM securities WHERE doc LIKE ? ORDER BY _id", (pattern,)
        )
        docs = (json.loads(doc) for (doc,) in rows)
        return [doc for doc in docs if name in (doc.get("names") or [])]

    def iter(self) -> Iterator[dict[str, Any]]:
        for (doc,) in self._db.execute("SELECT doc FROM securities ORDER BY _id"):
            yield json.loads(doc)


class MongoSecurities:
    """The master in a MongoDB collection (`securities`, index on code)."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self._collection.create_index("code")

    def upsert(self, facts: list[Mapping[str, Any]]) -> int:
        if not facts:
            return 0
        from pymongo import ReplaceOne

        keys = sorted({key_of(fact) for fact in facts})
        existing = {doc["_id"]: doc for doc in self._collection.find({"_id": {"$in": keys}})}
        changed = merge_all(existing, facts)
        self._collection.bulk_write(
            [ReplaceOne({"_id": key}, record, upsert=True) for key, record in changed.items()],
            ordered=True,
        )
        return len(changed)

    def find(self, code: str) -> list[dict[str, Any]]:
        code = code.upper()
        query = {"$or": [{"code": code}, {"_id": code}]}
        return list(self._collection.find(query).sort("_id", 1))

    def named(self, name: str) -> list[dict[str, Any]]:
        """The securities one of whose names is exactly `name` (a query by name)."""
        return list(self._collection.find({"names": name}).sort("_id", 1))

    def iter(self) -> Iterator[dict[str, Any]]:
        yield from self._collection.find().sort("_id", 1)
