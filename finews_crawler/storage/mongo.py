"""MongoDB store: the same contract as SQLite, for users who feed other systems from MongoDB.

Where the data goes (first match wins):
  database:   URI path (`mongodb://host/DB`), else $FINEWS_MONGO_DB, else `finews`
  collection: URI query `?collection=NAME`, else the path suffix (`/DB.NAME`), else
              $FINEWS_MONGO_COLLECTION, else `articles`
The URI says it explicitly, so it beats the environment. `collection` is ours and is removed
before the URI reaches pymongo; every other URI option (timeouts, auth, TLS) is pymongo's.

Schema, for downstream readers (one database):
  <collection>          one document per article, `_id` = the article id (its source's own
                        number, or `<source>:<number>`, see `source`/`source_id`); fields as in
                        README "Article schema" plus `revision` (1, 2, ... bumped only when
                        `content_hash` changes), `first_seen_at`, `updated_at`, and
                        `truncated: true` when a body was cut to fit MongoDB's 16 MB limit.
                        Indexes: published_at desc, stocks.code, media, url,
                        (source, source_id). Collections of schema 1 (a unique index on
                        a source's own field) are migrated when opened: `source` and
                        `source_id` set on old documents, the old unique index dropped.
  <collection>_meta     `_id` = "schema", `version` (2): written once the collection is
                        migrated; from then on no index of the collection is dropped.
  <collection>_history  previous versions: `_id` = "<article id>:<revision>", `article_id`,
                        `revision`, `archived_at` + the old fields. Index: article_id.
  failures              one per failing URL (`_id` = url): stage, reason, retriable, attempts,
                        first_seen_at, last_seen_at. Index: article_id, last_seen_at.
  crawl_runs            one per run (`_id` = run id): spider, args, counts, failures, status.
  checkpoints           `_id` = name, `value_json` (JSON text, so any key survives).
  feed_coverage         one per covered interval of a feed's paging state: `_id` =
                        "<feed>:<lo>:<hi>", `feed`, `lo`, `hi` (microseconds since the epoch,
                        (lo, hi]); added only, merged by readers. Index: feed.
  feed_floors           `_id` = feed, `floor` (microseconds; lowered with `$min` only).
  securities            the security master (storage/securities.py): `_id` = "SH:600570",
                        code, market, kind, secid, names, first/last seen, learned_from.
  <collection>_outbox   one per new or changed article revision (`_id` = seq), for push;
                        `outbox_counters` hands out the seqs (storage/outbox.py).

Every write is idempotent (`$set`/`$setOnInsert`, deterministic ids, attempt ids for failure
counts), because a write retried across a reconnect or replayed from the spool may have been
applied already. Dates are stored as BSON dates (UTC, millisecond precision).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import bson
import pymongo
from pymongo import InsertOne, UpdateOne
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
)

from finews_crawler.article import carried_digest
from finews_crawler.config import environment
from finews_crawler.storage.base import (
    FAILED,
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
from finews_crawler.storage.outbox import MongoOutbox, Outbox, entries_for
from finews_crawler.storage.query import (
    FailureQuery,
    RunQuery,
    article_filter,
    failure_filter,
    run_filter,
)
from finews_crawler.storage.redact import redact_uri, redact_value
from finews_crawler.storage.securities import MongoSecurities
from finews_crawler.storage.spool import spool_mode

logger = logging.getLogger("finews.store.mongo")

DEFAULT_DATABASE = "finews"
DEFAULT_COLLECTION = "articles"
DEFAULT_TIMEOUT_MS = 3000  # an unreachable server fails in seconds, not pymongo's 30 s
MAX_DOC_BYTES = 15 * 1024 * 1024  # headroom under the server's 16 MB
ID_CHUNK = 1000
COVERAGE_COMPACT_ABOVE = 64  # interval documents per feed beyond which an add merges them
# AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError, NotPrimaryError and
# WaitQueueTimeoutError are all ConnectionFailure: the server is away, the data is fine.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ConnectionFailure,)
AUTH_FAILED, UNAUTHORIZED = 18, 13  # server error codes: wrong credentials, none given


@dataclass(frozen=True)
class MongoTarget:
    """What a store URI resolves to; `client_uri` is what pymongo gets."""

    client_uri: str
    database: str
    collection: str
    display: str  # password redacted
    spool_key: str  # identifies the destination without credentials (spool file name)
    secret: str  # the password, to scrub from error messages ("" if none)


def resolve_target(uri: str, env: Mapping[str, str] | None = None) -> MongoTarget:
    """Split our own naming (database, collection) out of a mongodb:// URI."""
    env = environment() if env is None else env
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    collection_opt = next((v for k, v in query if k.lower() == "collection"), "")
    query = [(k, v) for k, v in query if k.lower() != "collection"]
    path_db, _, path_collection = unquote(parts.path.lstrip("/")).partition(".")
    database = path_db or env.get("FINEWS_MONGO_DB") or DEFAULT_DATABASE
    collection = (
        collection_opt
        or path_collection
        or env.get("FINEWS_MONGO_COLLECTION")
        or DEFAULT_COLLECTION
    )
    client_uri = urlunsplit(
        (parts.scheme, parts.netloc, f"/{path_db}" if path_db else "/", urlencode(query), "")
    )
    userinfo, _, hosts = parts.netloc.rpartition("@")
    secret = unquote(userinfo.partition(":")[2]) if ":" in userinfo else ""
    return MongoTarget(
        client_uri=client_uri,
        database=database,
        collection=collection,
        display=redact_uri(client_uri),
        spool_key=f"{parts.scheme}://{hosts}/{database}.{collection}",
        secret=secret,
    )


def clean_keys(value: Any) -> Any:
    """Keys MongoDB refuses or misreads ('.' inside, '$' first) become look-alike characters.

    Article fields never have such keys; nested dicts (stocks, images, spider args) might.
    Datetimes are cut to milliseconds, BSON's precision, so what a write returns is what a
    read gives back.
    """
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, Mapping):
        cleaned = {}
        for key, item in value.items():
            key = str(key).replace(".", "\uff0e")
            if key.startswith("$"):
                key = "\uff04" + key[1:]
            cleaned[key] = clean_keys(item)
        return cleaned
    if isinstance(value, list | tuple):
        return [clean_keys(item) for item in value]
    return value


def _cut_utf8(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[: max(max_bytes, 0)].decode("utf-8", errors="ignore")


def fit_document(doc: dict[str, Any], limit: int = MAX_DOC_BYTES) -> dict[str, Any]:
    """The document with clean keys, its bodies cut (and `truncated: True`) if it is too big.

    Raises bson.InvalidDocument (or ValueError) for what cannot be stored at all.
    """
    doc = clean_keys(doc)
    size = len(bson.encode(doc))
    if size <= limit:
        return doc
    bodies = {name: doc.get(name) or "" for name in ("body_html", "body_text")}
    body_bytes = {name: len(text.encode("utf-8")) for name, text in bodies.items()}
    room = limit - (size - sum(body_bytes.values())) - 1024
    if room <= 0:
        raise ValueError(f"document is {size} bytes without its bodies over the limit")
    total = sum(body_bytes.values()) or 1
    for name, text in bodies.items():
        if text:
            doc[name] = _cut_utf8(text, room * body_bytes[name] // total)
    doc["truncated"] = True
    if len(bson.encode(doc)) > limit:
        raise ValueError(f"document still over {limit} bytes after truncating its bodies")
    return doc


# What downstream readers filter and sort on (documented above); `_id` is the key.
ARTICLE_INDEXES: tuple[tuple[list[tuple[str, int]], dict[str, Any]], ...] = (
    ([("published_at", pymongo.DESCENDING)], {}),
    ([("stocks.code", pymongo.ASCENDING)], {}),
    ([("media", pymongo.ASCENDING)], {}),
    ([("url", pymongo.ASCENDING)], {}),
    ([("source", pymongo.ASCENDING), ("source_id", pymongo.ASCENDING)], {}),
    # the query layer (storage/query.py): newest first with a (published_at, _id) cursor
    ([("published_at", pymongo.DESCENDING), ("_id", pymongo.DESCENDING)], {}),
    ([("source", pymongo.ASCENDING), ("published_at", pymongo.DESCENDING)], {}),
    ([("importance", pymongo.ASCENDING)], {}),
)
KEEP_INDEXES = {"_id_"} | {
    "_".join(f"{name}_{order}" for name, order in keys) for keys, _ in ARTICLE_INDEXES
}


class MongoStore(Store):
    transient_errors = TRANSIENT_ERRORS

    def __init__(
        self,
        uri: str,
        *,
        require_server: bool | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Connect and create indexes; StoreError within seconds if the server is unreachable.

        With `require_server=False` (default when $FINEWS_SPOOL=1) an unreachable server is
        only logged: writes then raise `transient_errors` and the spool takes them.
        """
        env = environment() if env is None else env
        self.target = resolve_target(uri, env)
        self.uri_for_display = self.target.display
        self.spool_key = self.target.spool_key
        if require_server is None:
            require_server = spool_mode(env.get("FINEWS_SPOOL") or "auto") != "on"
        options: dict[str, Any] = {"tz_aware": True, "appname": "finews-crawler"}
        given = {key.lower() for key, _ in parse_qsl(urlsplit(self.target.client_uri).query)}
        for name, value in (
            ("serverSelectionTimeoutMS", DEFAULT_TIMEOUT_MS),
            ("connectTimeoutMS", DEFAULT_TIMEOUT_MS),
        ):
            if name.lower() not in given:
                options[name] = value
        try:
            self._client: pymongo.MongoClient = pymongo.MongoClient(
                self.target.client_uri, **options
            )
        except PyMongoError as exc:  # a malformed URI or option
            raise StoreError(f"bad MongoDB URI {self.uri_for_display}: {self._scrub(exc)}") from exc
        db = self._client[self.target.database]
        self._articles = db[self.target.collection]
        self._history = db[f"{self.target.collection}_history"]
        self._meta = db[f"{self.target.collection}_meta"]  # the schema version, once migrated
        self._failures = db["failures"]
        self._runs = db["crawl_runs"]
        self._checkpoints = db["checkpoints"]
        self._coverage = db["feed_coverage"]
        self._floors = db["feed_floors"]
        self._securities_collection = db["securities"]
        self._securities: MongoSecurities | None = None
        self._outbox = MongoOutbox(db, self.target.collection)
        self._ready = False
        try:
            self._ensure_ready()
        except OperationFailure as exc:  # wrong password, no rights: one line, no traceback
            self._client.close()
            raise StoreError(self._refusal(exc)) from None
        except TRANSIENT_ERRORS as exc:
            if require_server:
                self._client.close()
                raise StoreError(
                    f"cannot reach MongoDB at {self.uri_for_display} within"
                    f" {options.get('serverSelectionTimeoutMS', 'the configured')} ms:"
                    f" {self._scrub(exc)} (a crawl run with FINEWS_SPOOL=1 writes into the"
                    " local spool until it is back)"
                ) from None
            logger.warning(
                "MongoDB at %s is unreachable; writes go to the spool until it is back",
                self.uri_for_display,
            )

    @property
    def connected(self) -> bool:
        """False while a store opened without its server (spool mode) has not reached it."""
        return self._ready

    # ---- setup ---------------------------------------------------------------------------

    def _scrub(self, exc: BaseException | str) -> str:
        # pymongo appends timeouts and a topology dump to "host: reason": keep the reason.
        text = str(exc).split(" (configured timeouts")[0].split(", Timeout:")[0]
        return redact_value(text, self.target.secret)[:500]

    def _refusal(self, exc: OperationFailure) -> str:
        """What the server refused at connect time, in one line without the password."""
        reason = self._scrub(_errmsg(exc))
        user = unquote(urlsplit(self.target.client_uri).netloc.rpartition("@")[0].partition(":")[0])
        where = f"MongoDB at {self.uri_for_display}"
        if exc.code == AUTH_FAILED:
            return (
                f"{where} refused the login of user {user!r}: {reason} (check the user name,"
                " the password and authSource in the store URI)"
            )
        if exc.code == UNAUTHORIZED and not user:
            return f"{where} requires a login: {reason} (put user:password@ in the store URI)"
        return f"{where} refused to set up the store: {reason}"

    def _ensure_ready(self) -> None:
        """Ping and create the indexes once (idempotent: same spec, same name, no-op)."""
        if self._ready:
            return
        self._client.admin.command("ping")
        try:
            self._migrate()
            for keys, options in ARTICLE_INDEXES:
                self._articles.create_index(keys, **options)
            self._history.create_index([("article_id", pymongo.ASCENDING)])
            self._failures.create_index([("article_id", pymongo.ASCENDING)])
            self._failures.create_index([("last_seen_at", pymongo.DESCENDING)])
            self._runs.create_index([("started_at", pymongo.DESCENDING)])
            self._coverage.create_index([("feed", pymongo.ASCENDING)])
        except TRANSIENT_ERRORS:
            raise
        except OperationFailure as exc:
            if exc.code in (AUTH_FAILED, UNAUTHORIZED):
                raise  # the caller says it in one line
            raise StoreError(
                f"cannot create indexes in {self.uri_for_display}: {self._scrub(_errmsg(exc))}"
            ) from exc
        except PyMongoError as exc:
            raise StoreError(
                f"cannot create indexes in {self.uri_for_display}: {self._scrub(exc)}"
            ) from exc
        self._ready = True

    def _migrate(self) -> None:
        """Schema 1 -> 2 in place, idempotent (several workers may run it at once): old
        documents get `source`/`source_id`, schema 1's unique index (on a source's own
        number) goes: `_id` is the only key, and any other unique index would refuse
        articles the store must keep. Once done, the collection's meta records schema 2 and
        the migration never runs again: a unique index its owner adds later stays."""
        marker = self._meta.find_one({"_id": "schema"}) or {}
        if int(marker.get("version") or 0) >= SCHEMA_VERSION:
            return
        self._migrate_from_schema_1()
        self._meta.update_one({"_id": "schema"}, {"$set": {"version": SCHEMA_VERSION}}, upsert=True)

    def _migrate_from_schema_1(self) -> None:
        legacy = [
            name
            for name, spec in self._articles.index_information().items()
            if spec.get("unique") and name not in KEEP_INDEXES
        ]
        if not legacy:
            return
        updates = []
        for doc in self._articles.find({"source": {"$exists": False}}, {"extractor": 1}):
            source, source_id = legacy_identity(doc)
            change = {"$set": {"source": source, "source_id": source_id}}
            updates.append(UpdateOne({"_id": doc["_id"]}, change))
        for chunk in chunks(updates):
            self._articles.bulk_write(chunk, ordered=False)
        for name in legacy:  # a unique index on a source's own field: no longer a key
            if name in self._articles.index_information():
                self._articles.drop_index(name)

    # ---- articles ------------------------------------------------------------------------

    def upsert_articles(self, articles: list[Mapping[str, Any]]) -> list[UpsertOutcome]:
        if not articles:
            return []
        self._ensure_ready()
        now = clean_keys(utcnow())
        current = self._load_many(list(dict.fromkeys(article["_id"] for article in articles)))
        stored_before = set(current)
        outcomes: list[UpsertOutcome] = []
        changed: dict[str, dict[str, Any]] = {}  # _id -> final document, in first-seen order
        history: dict[str, dict[str, Any]] = {}  # history _id -> previous version
        failed: dict[str, str] = {}  # _id -> reason
        for incoming in articles:
            existing = current.get(incoming["_id"])
            try:
                outcome = apply_upsert(existing, incoming, now, carried_digest(incoming))
                if outcome.status != UNCHANGED:
                    outcome.article = fit_document(outcome.article)
            except (bson.InvalidDocument, TypeError, ValueError, OverflowError) as exc:
                failed[incoming["_id"]] = f"not storable in MongoDB: {exc}"[:300]
                outcomes.append(UpsertOutcome(FAILED, dict(incoming), failed[incoming["_id"]]))
                continue
            if outcome.status != UNCHANGED:
                if outcome.previous is not None:
                    old = outcome.previous
                    revision = int(old.get("revision") or 1)
                    history[f"{old['_id']}:{revision}"] = {
                        **{k: v for k, v in old.items() if k != "_id"},
                        "article_id": old["_id"],
                        "revision": revision,
                        "archived_at": now,
                    }
                current[incoming["_id"]] = outcome.article
                changed[incoming["_id"]] = outcome.article
            outcomes.append(outcome)
        # Entries before the articles: every stored revision has its entry (storage/outbox.py).
        seqs = self._outbox.append(
            entries_for([d for i, d in changed.items() if i not in failed], stored_before), now
        )
        refused = self._write_history(history)
        refused.update(
            self._write_articles(
                {i: d for i, d in changed.items() if i not in failed and i not in refused},
                stored_before,
            )
        )
        self._outbox.void([seqs[i] for i in refused if i in seqs])  # never stored: skip them
        failed.update(refused)
        if failed:
            for index, outcome in enumerate(outcomes):
                reason = failed.get(outcome.article.get("_id", ""))
                if reason and outcome.status != FAILED:
                    outcomes[index] = UpsertOutcome(FAILED, dict(articles[index]), reason)
        return outcomes

    def _write_history(self, history: dict[str, dict[str, Any]]) -> dict[str, str]:
        """Previous versions, insert-only by deterministic id: a retry never doubles a row."""
        ops = [
            UpdateOne({"_id": hid}, {"$setOnInsert": doc}, upsert=True)
            for hid, doc in history.items()
        ]
        article_ids = [doc["article_id"] for doc in history.values()]
        return self._bulk(self._history, ops, article_ids)

    def _write_articles(
        self, docs: dict[str, dict[str, Any]], stored_before: set[str]
    ) -> dict[str, str]:
        """Articles not in the store a moment ago are inserted (as cheap as insert_many);
        the others, and any insert that met a copy another writer stored meanwhile (a
        duplicate key on an _id that now exists), are upserted."""
        inserts = {i: doc for i, doc in docs.items() if i not in stored_before}
        refused = self._bulk(
            self._articles, [InsertOne(d) for d in inserts.values()], list(inserts)
        )
        clashes = [i for i, reason in refused.items() if "E11000" in reason]
        duplicate_keys = (
            {doc["_id"] for doc in self._articles.find({"_id": {"$in": clashes}}, {"_id": 1})}
            if clashes
            else set()
        )
        upserts = {i: doc for i, doc in docs.items() if i in stored_before or i in duplicate_keys}
        ops = []
        for article_id, doc in upserts.items():
            fields = {k: v for k, v in doc.items() if k not in ("_id", "first_seen_at")}
            update: dict[str, Any] = {"$set": fields}
            if doc.get("first_seen_at") is not None:
                update["$setOnInsert"] = {"first_seen_at": doc["first_seen_at"]}
            ops.append(UpdateOne({"_id": article_id}, update, upsert=True))
        refused = {i: r for i, r in refused.items() if i not in duplicate_keys}
        refused.update(self._bulk(self._articles, ops, list(upserts)))
        return refused

    def _bulk(self, collection, ops: list, keys: list[str]) -> dict[str, str]:
        """One unordered bulk write; {key: reason} for the operations the server refused."""
        if not ops:
            return {}
        try:
            collection.bulk_write(ops, ordered=False)
        except BulkWriteError as exc:
            details = exc.details or {}
            if details.get("writeConcernErrors"):
                raise  # durability not confirmed: let the caller retry the whole (idempotent) batch
            refused: dict[str, str] = {}
            for error in details.get("writeErrors", []):
                reason = f"MongoDB refused the document: {error.get('errmsg', '')}"
                refused[keys[error["index"]]] = self._scrub(reason)[:300]
            return refused
        return {}

    def _load_many(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(ids, ID_CHUNK):
            for doc in self._articles.find({"_id": {"$in": chunk}}):
                found[doc["_id"]] = doc
        return found

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        self._ensure_ready()
        return self._articles.find_one({"_id": article_id})

    def history(self, article_id: str) -> list[dict[str, Any]]:
        """Previous versions of one article, oldest first, shaped like the article was."""
        rows = self._history.find({"article_id": article_id}).sort("revision", pymongo.ASCENDING)
        return [
            {**{k: v for k, v in row.items() if k not in ("_id", "article_id", "archived_at")},
             "_id": article_id}
            for row in rows
        ]  # fmt: skip

    def count_history(self) -> int:
        return self._history.count_documents({})

    def count_articles(self, query: ArticleQuery | None = None) -> int:
        self._ensure_ready()
        return self._articles.count_documents(article_filter(query))

    def iter_articles(self, query: ArticleQuery | None = None) -> Iterator[dict[str, Any]]:
        self._ensure_ready()
        cursor = (
            self._articles.find(article_filter(query))
            .sort([("published_at", pymongo.ASCENDING), ("_id", pymongo.ASCENDING)])
            .batch_size(500)
        )
        with cursor:
            yield from cursor

    def find_articles(self, query: ArticleQuery) -> Iterator[dict[str, Any]]:
        self._ensure_ready()
        cursor = self._articles.find(article_filter(query)).sort(
            [("published_at", pymongo.DESCENDING), ("_id", pymongo.DESCENDING)]
        )
        if query.limit is not None:
            cursor = cursor.limit(query.limit)
        with cursor.batch_size(500):
            yield from cursor

    def stock_codes_named(self, name: str) -> set[str]:
        self._ensure_ready()
        codes: set[str] = set()
        for doc in self._articles.find({"stocks.name": name}, {"stocks": 1}):
            codes.update(
                s["code"]
                for s in doc.get("stocks") or ()
                if s.get("name") == name and s.get("code")
            )
        return codes

    def known_ids(self, article_ids: Iterable[str]) -> set[str]:
        self._ensure_ready()
        known: set[str] = set()
        for chunk in chunks(set(article_ids), ID_CHUNK):
            known.update(d["_id"] for d in self._articles.find({"_id": {"$in": chunk}}, {"_id": 1}))
        return known

    # ---- failures ------------------------------------------------------------------------

    def record_failure(self, failure: Mapping[str, Any]) -> None:
        """attempts += 1, once per attempt id: a retried or replayed write never counts twice.

        Computed client-side and written with one conditional write (compare-and-set on the
        previous `attempts`), so it works on any server and under concurrent writers.
        """
        self._ensure_ready()
        url = failure["url"]
        attempt = str(failure.get("attempt_id") or uuid.uuid4().hex)
        fields = clean_keys({k: v for k, v in failure.items() if k not in ("_id", "attempt_id")})
        for _ in range(10):
            now = utcnow()
            previous = self._failures.find_one({"_id": url})
            if previous is None:
                doc = {**fields, "attempts": 1, "attempt_ids": [attempt]}
                doc.update(_id=url, first_seen_at=now, last_seen_at=now)
                try:
                    self._failures.insert_one(doc)
                    return
                except DuplicateKeyError:
                    continue  # inserted meanwhile (or by our own earlier try): look again
            ids = list(previous.get("attempt_ids") or [])
            if attempt in ids:
                return
            doc = {
                **previous,
                **fields,
                "attempts": int(previous.get("attempts") or 0) + 1,
                "attempt_ids": [*ids, attempt][-20:],
                "first_seen_at": previous.get("first_seen_at") or now,
                "last_seen_at": now,
            }
            result = self._failures.replace_one(
                {"_id": url, "attempts": previous.get("attempts")}, doc
            )
            if result.matched_count:
                return
        raise StoreError(f"failure record for {url} keeps changing under concurrent writers")

    def clear_failures(self, urls: Iterable[str], article_ids: Iterable[str] = ()) -> int:
        self._ensure_ready()
        removed = 0
        for field_name, values in (("url", urls), ("article_id", article_ids)):
            keys = [value for value in set(values) if value]
            for chunk in chunks(keys, ID_CHUNK):
                removed += self._failures.delete_many({field_name: {"$in": chunk}}).deleted_count
        return removed

    def iter_failures(self) -> Iterator[dict[str, Any]]:
        self._ensure_ready()
        for doc in self._failures.find({}, {"attempt_ids": 0}).sort(
            "last_seen_at", pymongo.DESCENDING
        ):
            doc.pop("_id", None)
            yield doc

    def find_failures(self, query: FailureQuery) -> Iterator[dict[str, Any]]:
        self._ensure_ready()
        cursor = self._failures.find(failure_filter(query), {"attempt_ids": 0}).sort(
            [("last_seen_at", pymongo.DESCENDING), ("_id", pymongo.ASCENDING)]
        )
        if query.limit is not None:
            cursor = cursor.limit(query.limit)
        for doc in cursor:
            doc.pop("_id", None)
            yield doc

    # ---- runs and checkpoints ------------------------------------------------------------

    def record_run(self, run: Mapping[str, Any]) -> None:
        self._ensure_ready()
        doc = clean_keys(redact_value(run, self.target.secret))
        self._runs.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    def iter_runs(self, limit: int = 20) -> Iterator[dict[str, Any]]:
        self._ensure_ready()
        yield from self._runs.find().sort("started_at", pymongo.DESCENDING).limit(limit)

    def find_runs(self, query: RunQuery) -> Iterator[dict[str, Any]]:
        self._ensure_ready()
        cursor = self._runs.find(run_filter(query)).sort(
            [("started_at", pymongo.DESCENDING), ("_id", pymongo.DESCENDING)]
        )
        if query.limit is not None:
            cursor = cursor.limit(query.limit)
        yield from cursor

    def get_checkpoint(self, name: str) -> Any:
        self._ensure_ready()
        doc = self._checkpoints.find_one({"_id": name})
        return json.loads(doc["value_json"]) if doc else None

    def set_checkpoint(self, name: str, value: Any) -> None:
        self._ensure_ready()
        self._checkpoints.update_one(
            {"_id": name},
            {"$set": {"value_json": json.dumps(value, default=json_default), "set_at": utcnow()}},
            upsert=True,
        )

    # ---- feed paging state ----------------------------------------------------------------

    def add_feed_coverage(self, feed: str, intervals: Iterable[tuple[int, int]]) -> None:
        """One document per interval, id derived from it: a retried or replayed add is a
        no-op, concurrent adds never touch each other's documents."""
        self._ensure_ready()
        if not self._upsert_intervals(feed, intervals):
            return
        if self._coverage.count_documents({"feed": feed}) > COVERAGE_COMPACT_ABOVE:
            self._compact_coverage(feed)

    def _upsert_intervals(self, feed: str, intervals: Iterable[tuple[int, int]]) -> int:
        ops = [
            UpdateOne(
                {"_id": f"{feed}:{int(lo)}:{int(hi)}"},
                {"$setOnInsert": {"feed": feed, "lo": int(lo), "hi": int(hi)}},
                upsert=True,
            )
            for lo, hi in intervals
            if int(hi) > int(lo)
        ]
        if ops:
            self._coverage.bulk_write(ops, ordered=False)
        return len(ops)

    def _compact_coverage(self, feed: str) -> None:
        """Write the union, then delete exactly the documents it was computed from: intervals
        added meanwhile by other workers are not among them and survive; two compactions at
        once each keep the union of what they read."""
        docs = list(self._coverage.find({"feed": feed}, {"lo": 1, "hi": 1}))
        merged = merge_intervals((doc["lo"], doc["hi"]) for doc in docs)
        self._upsert_intervals(feed, merged)
        kept = {f"{feed}:{lo}:{hi}" for lo, hi in merged}
        stale = [doc["_id"] for doc in docs if doc["_id"] not in kept]
        for chunk in chunks(stale, ID_CHUNK):
            self._coverage.delete_many({"_id": {"$in": chunk}})

    def lower_feed_floor(self, feed: str, floor: int) -> None:
        self._ensure_ready()
        self._floors.update_one({"_id": feed}, {"$min": {"floor": int(floor)}}, upsert=True)

    def get_feed_coverage(self, feed: str) -> tuple[int | None, list[tuple[int, int]]]:
        self._ensure_ready()
        floor = self._floors.find_one({"_id": feed})
        intervals = [
            (int(doc["lo"]), int(doc["hi"]))
            for doc in self._coverage.find({"feed": feed}, {"lo": 1, "hi": 1})
        ]
        return (int(floor["floor"]) if floor else None), intervals

    @property
    def securities(self) -> MongoSecurities:
        """The security master (collection `securities`)."""
        self._ensure_ready()
        if self._securities is None:
            self._securities = MongoSecurities(self._securities_collection)
        return self._securities

    def outbox(self) -> Outbox:
        self._ensure_ready()
        return self._outbox

    def close(self) -> None:
        from finews_crawler.storage.offthread import close_off_reactor

        close_off_reactor(self._client.close)  # ends server sessions: may wait for the server


def _errmsg(exc: OperationFailure) -> str:
    """The server's message, without pymongo's dump of the whole reply."""
    return (exc.details or {}).get("errmsg") or str(exc).split(", full error")[0]
