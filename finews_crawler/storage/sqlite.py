"""The embedded default store: one SQLite file, zero setup.

Articles are JSON documents in a table keyed by `_id`, with the fields readers filter on
(source, source_id, published_at, media, url) copied into indexed columns. WAL mode lets
exports read while a crawl writes, and several local workers share one file. The schema
version is SQLite's `user_version`; files of an older schema are migrated when opened.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from finews_crawler.article import carried_digest, content_hash, json_bytes
from finews_crawler.storage.base import (
    UNCHANGED,
    ArticleQuery,
    Store,
    StoreError,
    UpsertOutcome,
    apply_upsert,
    chunks,
    json_default,
    utcnow,
)
from finews_crawler.storage.intervals import merge_intervals
from finews_crawler.storage.migration import SCHEMA_VERSION, legacy_identity
from finews_crawler.storage.outbox import SQLITE_SCHEMA as OUTBOX_SCHEMA
from finews_crawler.storage.outbox import Outbox, SQLiteOutbox, entries_for
from finews_crawler.storage.query import (
    FailureQuery,
    RunQuery,
    article_sql,
    failure_sql,
    limit_sql,
    run_sql,
)
from finews_crawler.storage.securities import SQLiteSecurities

ARTICLES_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    _id TEXT PRIMARY KEY,
    source TEXT,
    source_id TEXT,
    url TEXT,
    published_at TEXT,
    media TEXT,
    content_hash TEXT,
    revision INTEGER,
    doc TEXT NOT NULL
);
"""
SCHEMA = (
    ARTICLES_TABLE.format(name="articles")
    + """
CREATE INDEX IF NOT EXISTS articles_source ON articles(source, source_id);
CREATE INDEX IF NOT EXISTS articles_published_at ON articles(published_at DESC);
CREATE INDEX IF NOT EXISTS articles_media ON articles(media);
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
CREATE INDEX IF NOT EXISTS articles_newest ON articles(published_at DESC, _id DESC);
CREATE INDEX IF NOT EXISTS articles_source_newest ON articles(source, published_at DESC);
-- the query layer's stock filter (storage/query.py): which article mentions which code
CREATE TABLE IF NOT EXISTS article_stocks (
    code TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (code, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS article_stocks_article ON article_stocks(article_id);
CREATE TABLE IF NOT EXISTS articles_history (
    article_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (article_id, revision)
);
CREATE TABLE IF NOT EXISTS failures (
    url TEXT PRIMARY KEY,
    article_id TEXT,
    last_seen_at TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_article_id ON failures(article_id);
CREATE INDEX IF NOT EXISTS failures_last_seen ON failures(last_seen_at DESC);
CREATE TABLE IF NOT EXISTS crawl_runs (
    _id TEXT PRIMARY KEY,
    started_at TEXT,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feed_coverage (
    feed TEXT NOT NULL,
    lo INTEGER NOT NULL,
    hi INTEGER NOT NULL,
    PRIMARY KEY (feed, lo, hi)
);
CREATE TABLE IF NOT EXISTS feed_floors (
    feed TEXT PRIMARY KEY,
    floor INTEGER NOT NULL
);
"""
    + OUTBOX_SCHEMA
)
# Rows per feed beyond which an add also merges the feed's intervals (same transaction).
COMPACT_ABOVE = 64


OPEN_WAIT_SECONDS = 30.0


# Built once: json.dumps with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=json_default, separators=(",", ":"))


def dumps(doc: Mapping[str, Any]) -> str:
    """The document's JSON text: `_ENCODER`'s very text (by orjson where it writes it alike)."""
    return json_bytes(doc, _ENCODER, default=json_default).decode("utf-8")


def loads(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    for name, value in doc.items():
        if isinstance(value, str) and name.endswith("_at"):  # every date field: *_at
            doc[name] = datetime.fromisoformat(value)
    return doc


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _stock_codes(doc: Mapping[str, Any]) -> list[Any]:
    """The codes `article_stocks` holds for a document: `stocks[].code`, in order."""
    return [
        stock["code"]
        for stock in doc.get("stocks") or ()
        if isinstance(stock, Mapping) and stock.get("code")
    ]


def path_from_uri(uri: str) -> Path:
    """sqlite:///relative/path or sqlite:////absolute/path -> Path."""
    if not uri.startswith("sqlite:///"):
        raise StoreError(f"not a sqlite URI: {uri!r} (expected sqlite:///path/to/file.sqlite3)")
    return Path(uri[len("sqlite:///") :])


class SQLiteStore(Store):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.uri_for_display = f"sqlite:///{self.path}"
        self._securities: SQLiteSecurities | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._setup()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open SQLite store {self.path}: {exc}") from exc

    def _setup(self, wait: float = OPEN_WAIT_SECONDS) -> None:
        """WAL mode and the schema. Switching to WAL does not wait for a lock held by another
        process opening the same file at the same moment (two workers starting), so retry."""
        deadline = time.monotonic() + wait
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._migrate()
                indexed = self._has_table("article_stocks")
                self._db.executescript(SCHEMA)
                if not indexed:
                    self._index_all_stocks()
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        """A file of schema 1 (no `source` column; a source's own number as a unique column)
        rebuilt in place:
        the same rows with `source`/`source_id` columns, also set in each document. One
        transaction, so a worker opening the file meanwhile sees the old or the new table."""
        with self._transaction():
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(articles)")}
            if not columns or "source" in columns:
                return  # new file, or migrated already (by another worker, too)
            self._db.execute(ARTICLES_TABLE.format(name="articles_migrating"))
            rows = []
            for article_id, url, published, media, digest, revision, text in self._db.execute(
                "SELECT _id, url, published_at, media, content_hash, revision, doc FROM articles"
            ):
                doc = json.loads(text)
                source, source_id = legacy_identity(doc)
                doc.setdefault("source", source)
                doc.setdefault("source_id", source_id)
                rows.append(
                    (article_id, source, source_id, url, published, media, digest, revision)
                    + (dumps(doc),)
                )
            self._db.executemany("INSERT INTO articles_migrating VALUES (?,?,?,?,?,?,?,?,?)", rows)
            self._db.execute("DROP TABLE articles")  # its indexes, the unique one too, go with it
            self._db.execute("ALTER TABLE articles_migrating RENAME TO articles")

    # ---- articles ------------------------------------------------------------------------

    def upsert_articles(self, articles: list[Mapping[str, Any]]) -> list[UpsertOutcome]:
        if not articles:
            return []
        now = utcnow()
        outcomes: list[UpsertOutcome] = []
        with self._transaction():
            rows, stored = self._load_many({article["_id"] for article in articles})
            current = dict(stored)
            changed: dict[str, dict[str, Any]] = {}
            history: list[tuple[str, int, str]] = []  # earlier versions from this batch
            replaced: list[str] = []  # stored rows that become history: copied in SQL
            for incoming in articles:
                article_id = incoming["_id"]
                existing = current.get(article_id)
                digest = carried_digest(incoming) or content_hash(incoming)
                outcome = apply_upsert(existing, incoming, now, digest)
                outcomes.append(outcome)
                if outcome.status == UNCHANGED:
                    continue
                if outcome.previous is not None:
                    if article_id in changed:  # changed twice in this batch: not stored yet
                        old = outcome.previous
                        history.append((old["_id"], int(old.get("revision") or 1), dumps(old)))
                    else:
                        replaced.append(article_id)
                current[article_id] = outcome.article
                changed[article_id] = outcome.article
            if not changed:
                return outcomes
            self._keep_history(replaced)
            if history:
                self._db.executemany(
                    "INSERT OR IGNORE INTO articles_history(article_id, revision, doc)"
                    " VALUES (?,?,?)",
                    history,
                )
            self._write(changed.values(), rows)
            self._index_stocks(changed.values(), rows, stored)
            SQLiteOutbox.append(self._db, entries_for(changed.values(), set(stored)), now)
        return outcomes

    def _write(self, docs: Iterable[Mapping[str, Any]], rows: Mapping[str, tuple]) -> None:
        """Each document into its row. A stored row whose indexed columns keep their values
        gets only its hash, revision and document set: SQLite then leaves the row's entries
        in the five article indexes alone (an UPDATE touches the indexes of the columns it
        sets). `rows`: the stored rows' indexed columns, by `_id`."""
        inserts, updates, keeps = [], [], []
        for doc in docs:
            article_id = doc["_id"]
            columns = (
                doc.get("source"),
                doc.get("source_id"),
                doc.get("url"),
                _iso(doc.get("published_at")),
                doc.get("media"),
            )
            values = (doc.get("content_hash"), doc.get("revision"), dumps(doc))
            stored = rows.get(article_id)
            if stored is None:
                inserts.append((article_id, *columns, *values))
            elif stored == columns:
                keeps.append((*values, article_id))
            else:
                updates.append((*columns, *values, article_id))
        if inserts:
            self._db.executemany(
                "INSERT INTO articles(_id, source, source_id, url, published_at, media,"
                " content_hash, revision, doc) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(_id)"
                " DO UPDATE SET source=excluded.source, source_id=excluded.source_id,"
                " url=excluded.url,"
                " published_at=excluded.published_at, media=excluded.media,"
                " content_hash=excluded.content_hash, revision=excluded.revision,"
                " doc=excluded.doc",
                inserts,
            )
        if updates:
            self._db.executemany(
                "UPDATE articles SET source=?, source_id=?, url=?, published_at=?, media=?,"
                " content_hash=?, revision=?, doc=? WHERE _id=?",
                updates,
            )
        if keeps:
            self._db.executemany(
                "UPDATE articles SET content_hash=?, revision=?, doc=? WHERE _id=?", keeps
            )

    def _keep_history(self, article_ids: list[str]) -> None:
        """The stored rows of these articles into the history, as stored (SQLite copies
        them: no decoding and encoding again); revision as `int(revision or 1)`."""
        for chunk in chunks(article_ids):
            marks = ",".join("?" * len(chunk))
            self._db.execute(
                "INSERT OR IGNORE INTO articles_history(article_id, revision, doc)"
                " SELECT _id, COALESCE(NULLIF(revision, 0), 1), doc FROM articles"
                f" WHERE _id IN ({marks})",
                chunk,
            )

    def _index_stocks(
        self,
        docs: Iterable[Mapping[str, Any]],
        rows: Mapping[str, tuple],
        stored: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """Keep `article_stocks` equal to the stored documents' `stocks[].code`: rewritten
        for the documents whose codes differ from those of the document stored before
        (`stored`; `rows`: the ids with a stored row, whose old entries go first)."""
        dropped: list[str] = []
        added: list[tuple[str, str]] = []
        for doc in docs:
            article_id = doc["_id"]
            before = stored.get(article_id)
            if before is not None and article_id in rows:
                stocks = doc.get("stocks")
                if stocks == before.get("stocks") or _stock_codes(doc) == _stock_codes(before):
                    continue  # the index holds these codes already
                dropped.append(article_id)
            elif article_id in rows:
                dropped.append(article_id)
            added.extend((code, article_id) for code in _stock_codes(doc))
        for chunk in chunks(dropped):
            marks = ",".join("?" * len(chunk))
            self._db.execute(f"DELETE FROM article_stocks WHERE article_id IN ({marks})", chunk)
        if added:
            self._db.executemany(
                "INSERT OR IGNORE INTO article_stocks(code, article_id) VALUES (?, ?)", added
            )

    def _has_table(self, name: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def _index_all_stocks(self) -> None:
        """A file written before `article_stocks` existed: fill it from the documents."""
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO article_stocks(code, article_id)"
                " SELECT json_extract(s.value, '$.code'), articles._id"
                " FROM articles, json_each(articles.doc, '$.stocks') AS s"
                " WHERE json_extract(s.value, '$.code') IS NOT NULL"
            )

    def outbox(self) -> Outbox:
        return SQLiteOutbox(self._db)

    def _load_many(self, ids: set[str]) -> tuple[dict[str, tuple], dict[str, dict[str, Any]]]:
        """The stored rows of these ids: their indexed columns by `_id`, and their
        documents by the document's `_id`."""
        rows: dict[str, tuple] = {}
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(ids):
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                "SELECT doc, source, source_id, url, published_at, media, _id FROM articles"
                f" WHERE _id IN ({marks})",
                chunk,
            ):
                rows[row[-1]] = row[1:-1]
                loaded = loads(row[0])
                found[loaded["_id"]] = loaded
        return rows, found

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT doc FROM articles WHERE _id = ?", (article_id,)).fetchone()
        return loads(row[0]) if row else None

    def history(self, article_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT doc FROM articles_history WHERE article_id = ? ORDER BY revision",
            (article_id,),
        )
        return [loads(doc) for (doc,) in rows]

    def count_history(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM articles_history").fetchone()[0]

    def count_articles(self, query: ArticleQuery | None = None) -> int:
        where, params = article_sql(query)
        return self._db.execute(f"SELECT COUNT(*) FROM articles{where}", params).fetchone()[0]

    def iter_articles(self, query: ArticleQuery | None = None) -> Iterator[dict[str, Any]]:
        where, params = article_sql(query)
        # A separate read connection keeps a long export from blocking this one's writes.
        reader = sqlite3.connect(self.path, timeout=30)
        try:
            cursor = reader.execute(
                f"SELECT doc FROM articles{where} ORDER BY published_at, _id", params
            )
            for (doc,) in cursor:
                yield loads(doc)
        finally:
            reader.close()

    def find_articles(self, query: ArticleQuery) -> Iterator[dict[str, Any]]:
        where, params = article_sql(query)
        sql = f"SELECT doc FROM articles{where} ORDER BY published_at DESC, _id DESC"
        return self._read(sql + limit_sql(query.limit), params)

    def stock_codes_named(self, name: str) -> set[str]:
        rows = self._db.execute(
            "SELECT DISTINCT json_extract(s.value, '$.code') FROM articles,"
            " json_each(articles.doc, '$.stocks') AS s WHERE json_extract(s.value, '$.name') = ?",
            (name,),
        )
        return {code for (code,) in rows if code}

    def _read(self, sql: str, params: list[Any]) -> Iterator[dict[str, Any]]:
        """Rows of `sql` as documents, on a read connection of their own (a long read never
        blocks this connection's writes)."""
        reader = sqlite3.connect(self.path, timeout=30)
        try:
            for (doc,) in reader.execute(sql, params):
                yield loads(doc)
        finally:
            reader.close()

    def known_ids(self, article_ids: Iterable[str]) -> set[str]:
        known: set[str] = set()
        for chunk in chunks(set(article_ids)):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT _id FROM articles WHERE _id IN ({marks})", chunk)
            known.update(row[0] for row in rows)
        return known

    # ---- failures ------------------------------------------------------------------------

    def record_failure(self, failure: Mapping[str, Any]) -> None:
        now = utcnow()
        with self._transaction():
            row = self._db.execute(
                "SELECT doc FROM failures WHERE url = ?", (failure["url"],)
            ).fetchone()
            previous = loads(row[0]) if row else {}
            doc = {
                **previous,
                **failure,
                "attempts": int(previous.get("attempts") or 0) + 1,
                "first_seen_at": previous.get("first_seen_at") or now,
                "last_seen_at": now,
            }
            self._db.execute(
                "INSERT INTO failures(url, article_id, last_seen_at, doc) VALUES (?,?,?,?)"
                " ON CONFLICT(url) DO UPDATE SET article_id=excluded.article_id,"
                " last_seen_at=excluded.last_seen_at, doc=excluded.doc",
                (doc["url"], doc.get("article_id"), now.isoformat(), dumps(doc)),
            )

    def clear_failures(self, urls: Iterable[str], article_ids: Iterable[str] = ()) -> int:
        removed = 0
        with self._transaction():
            if self._db.execute("SELECT 1 FROM failures LIMIT 1").fetchone() is None:
                return 0  # none recorded (the usual case): no lookups of every id
            for column, values in (("url", urls), ("article_id", article_ids)):
                for chunk in chunks({value for value in values if value}):
                    marks = ",".join("?" * len(chunk))
                    removed += self._db.execute(
                        f"DELETE FROM failures WHERE {column} IN ({marks})", chunk
                    ).rowcount
        return removed

    def iter_failures(self) -> Iterator[dict[str, Any]]:
        rows = self._db.execute("SELECT doc FROM failures ORDER BY last_seen_at DESC").fetchall()
        for (doc,) in rows:
            yield loads(doc)

    def find_failures(self, query: FailureQuery) -> Iterator[dict[str, Any]]:
        where, params = failure_sql(query)
        sql = f"SELECT doc FROM failures{where} ORDER BY last_seen_at DESC, url"
        return self._read(sql + limit_sql(query.limit), params)

    # ---- runs and checkpoints ------------------------------------------------------------

    def record_run(self, run: Mapping[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO crawl_runs(_id, started_at, doc) VALUES (?,?,?)"
            " ON CONFLICT(_id) DO UPDATE SET started_at=excluded.started_at, doc=excluded.doc",
            (run["_id"], _iso(run.get("started_at")), dumps(run)),
        )

    def iter_runs(self, limit: int = 20) -> Iterator[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT doc FROM crawl_runs ORDER BY started_at DESC LIMIT ?", (limit,)
        ).fetchall()
        for (doc,) in rows:
            yield loads(doc)

    def find_runs(self, query: RunQuery) -> Iterator[dict[str, Any]]:
        where, params = run_sql(query)
        sql = f"SELECT doc FROM crawl_runs{where} ORDER BY started_at DESC, _id DESC"
        return self._read(sql + limit_sql(query.limit), params)

    def get_checkpoint(self, name: str) -> Any:
        row = self._db.execute("SELECT value FROM checkpoints WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_checkpoint(self, name: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO checkpoints(name, value) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value=excluded.value",
            (name, json.dumps(value, default=json_default)),
        )

    # ---- feed paging state --------------------------------------------------------------

    def add_feed_coverage(self, feed: str, intervals: Iterable[tuple[int, int]]) -> None:
        rows = [(feed, int(lo), int(hi)) for lo, hi in intervals if int(hi) > int(lo)]
        if not rows:
            return
        with self._transaction():  # BEGIN IMMEDIATE: adds and compactions never interleave
            self._db.executemany(
                "INSERT OR IGNORE INTO feed_coverage(feed, lo, hi) VALUES (?,?,?)", rows
            )
            stored = self._db.execute(
                "SELECT lo, hi FROM feed_coverage WHERE feed = ?", (feed,)
            ).fetchall()
            if len(stored) > COMPACT_ABOVE:
                self._db.execute("DELETE FROM feed_coverage WHERE feed = ?", (feed,))
                self._db.executemany(
                    "INSERT INTO feed_coverage(feed, lo, hi) VALUES (?,?,?)",
                    [(feed, lo, hi) for lo, hi in merge_intervals(stored)],
                )

    def lower_feed_floor(self, feed: str, floor: int) -> None:
        self._db.execute(
            "INSERT INTO feed_floors(feed, floor) VALUES (?, ?)"
            " ON CONFLICT(feed) DO UPDATE SET floor = min(floor, excluded.floor)",
            (feed, int(floor)),
        )

    def get_feed_coverage(self, feed: str) -> tuple[int | None, list[tuple[int, int]]]:
        row = self._db.execute("SELECT floor FROM feed_floors WHERE feed = ?", (feed,)).fetchone()
        rows = self._db.execute(
            "SELECT lo, hi FROM feed_coverage WHERE feed = ? ORDER BY lo", (feed,)
        ).fetchall()
        return (row[0] if row else None), [(lo, hi) for lo, hi in rows]

    @property
    def securities(self) -> SQLiteSecurities:
        if self._securities is None:
            self._securities = SQLiteSecurities(self._db)
        return self._securities

    def close(self) -> None:
        self._db.close()

    # ---- helpers -------------------------------------------------------------------------

    def _transaction(self):
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (or ROLLBACK): one writer at a time across processes."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
