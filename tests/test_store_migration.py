"""Stores written by the schema before sources were namespaced open as the current schema.

The old files and documents are written here literally (the old DDL, the old unique index), as
the previous release wrote them; the migration must keep every article, set `source` and
`source_id` from what the document says (its extractor, its `_id`), keep East Money's own
`info_code` field in the document, and drop the old unique column/index.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pymongo

from finews_crawler.storage import open_store

OLD_SQLITE_DDL = """
CREATE TABLE articles (
    _id TEXT PRIMARY KEY,
    info_code TEXT,
    url TEXT,
    published_at TEXT,
    media TEXT,
    content_hash TEXT,
    revision INTEGER,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX articles_info_code ON articles(info_code) WHERE info_code IS NOT NULL;
CREATE INDEX articles_published_at ON articles(published_at DESC);
CREATE INDEX articles_media ON articles(media);
CREATE INDEX articles_url ON articles(url);
"""
EM_ID = "202204132342073945"
GENERIC_ID = "u0123456789abcdef01234567"
OLD_DOCS = [
    {
        "_id": EM_ID,
        "info_code": f"NW{EM_ID}",
        "url": f"https://finance.eastmoney.com/a/{EM_ID}.html",
        "title": "恒生电子发布报告",
        "published_at": "2022-04-13T08:25:27+00:00",
        "media": "青岛财经网",
        "body_html": "<p>正文</p>",
        "content_hash": "0" * 40,
        "revision": 1,
        "extractor": "eastmoney:text-api",
    },
    {
        "_id": GENERIC_ID,
        "info_code": None,
        "url": "https://news.example/a/1.html",
        "title": "Plain",
        "published_at": "2022-04-14T08:00:00+00:00",
        "media": None,
        "body_html": "<p>text</p>",
        "content_hash": "1" * 40,
        "revision": 1,
        "extractor": "generic:trafilatura",
    },
]
EXPECTED = {EM_ID: ("eastmoney", EM_ID), GENERIC_ID: ("generic", GENERIC_ID)}


def write_old_sqlite(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(OLD_SQLITE_DDL)
    db.executemany(
        "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?)",
        [
            (
                doc["_id"],
                doc["info_code"],
                doc["url"],
                doc["published_at"],
                doc["media"],
                doc["content_hash"],
                doc["revision"],
                json.dumps(doc, ensure_ascii=False),
            )
            for doc in OLD_DOCS
        ],
    )
    db.commit()
    db.close()


def test_sqlite_store_of_the_old_schema_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    write_old_sqlite(path)
    with open_store(f"sqlite:///{path}") as store:
        for doc in OLD_DOCS:
            got = store.get_article(doc["_id"])
            assert got is not None
            assert (got["source"], got["source_id"]) == EXPECTED[doc["_id"]]
            assert got["info_code"] == doc["info_code"]
            assert got["title"] == doc["title"] and got["revision"] == 1
        # Two articles may now share an old `info_code` value: it is no longer a key.
        clash = {**OLD_DOCS[0], "_id": "cls:1", "source": "cls", "source_id": "1"}
        clash["published_at"] = datetime(2022, 4, 15, tzinfo=UTC)
        [outcome] = store.upsert_articles([clash])
        assert outcome.status == "new"
        assert store.count_articles() == 3
    db = sqlite3.connect(path)
    columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
    indexes = {row[1] for row in db.execute("PRAGMA index_list(articles)")}
    rows = dict(db.execute("SELECT _id, source || '|' || source_id FROM articles"))
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    assert "info_code" not in columns and {"source", "source_id"} <= columns
    assert "articles_info_code" not in indexes and "articles_source" in indexes
    assert rows[EM_ID] == f"eastmoney|{EM_ID}" and rows[GENERIC_ID] == f"generic|{GENERIC_ID}"
    assert version == 2
    # Opening it again changes nothing.
    with open_store(f"sqlite:///{path}") as store:
        assert store.count_articles() == 3


def test_mongo_store_of_the_old_schema_is_migrated_in_place(mongo_store_uri: str) -> None:
    client = pymongo.MongoClient(mongo_store_uri, serverSelectionTimeoutMS=5000)
    collection = client.get_default_database()["articles"]
    collection.create_index([("info_code", pymongo.ASCENDING)], unique=True, sparse=True)
    old = []
    for doc in OLD_DOCS:
        doc = {k: v for k, v in doc.items() if v is not None}
        doc["published_at"] = datetime.fromisoformat(doc["published_at"])
        old.append(doc)
    collection.insert_many(old)
    assert "info_code_1" in collection.index_information()
    try:
        with open_store(mongo_store_uri) as store:
            for doc in OLD_DOCS:
                got = store.get_article(doc["_id"])
                assert got is not None
                assert (got["source"], got["source_id"]) == EXPECTED[doc["_id"]]
                assert got.get("info_code") == doc["info_code"]
            clash = {**old[0], "_id": "cls:1", "source": "cls", "source_id": "1"}
            [outcome] = store.upsert_articles([clash])
            assert outcome.status == "new"
            assert store.count_articles() == 3
        indexes = collection.index_information()
        assert "info_code_1" not in indexes
        assert "source_1_source_id_1" in indexes
    finally:
        client.close()


def test_a_unique_index_added_after_the_migration_survives_later_opens(
    mongo_store_uri: str,
) -> None:
    """Once a collection is at schema 2 (its meta says so), opening it drops no index: a
    unique index its owner adds is theirs to keep."""
    client = pymongo.MongoClient(mongo_store_uri, serverSelectionTimeoutMS=5000)
    database = client.get_default_database()
    try:
        with open_store(mongo_store_uri) as store:
            assert store.count_articles() == 0
        assert database["articles_meta"].find_one({"_id": "schema"})["version"] == 2
        database["articles"].create_index(
            [("owner_key", pymongo.ASCENDING)], unique=True, sparse=True, name="owner_key"
        )
        with open_store(mongo_store_uri) as store:
            assert store.count_articles() == 0
        assert "owner_key" in database["articles"].index_information()
    finally:
        client.close()
