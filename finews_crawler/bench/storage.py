"""Storage throughput: our stores' batched upserts vs the raw driver writing the same documents.

Ours goes through the whole upsert path (load existing, merge, hash, write); the raw baseline
is the fastest the driver can do with the same documents: one `executemany` into an empty
table, `insert_many` into an empty collection, each carrying the same indexes as ours (the
indexes are part of the store's contract); unindexed raw inserts are reported beside them.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finews_crawler.bench.measure import scratch_dir
from finews_crawler.mocksite import MockCorpus
from finews_crawler.parsing.dates import parse_datetime
from finews_crawler.storage import open_store
from finews_crawler.storage.sqlite import SCHEMA, dumps
from pipelines.store import DEFAULT_BATCH_SIZE

BATCH = DEFAULT_BATCH_SIZE  # what StorePipeline flushes at once


def articles(count: int, seed: int = 29) -> list[dict[str, Any]]:
    """Article records shaped like the pipeline's, from the mock corpus (templates reused)."""
    corpus = MockCorpus(seed=seed, count=min(count, 2000))
    now = datetime.now(UTC)
    records = []
    for i in range(count):
        truth = corpus.truth(i % corpus.count)
        number = f"{20220103_00000000 + i:018d}"
        records.append(
            {
                "_id": number,
                "info_code": f"NW{number}",
                "url": f"https://finance.eastmoney.com/a/{number}.html",
                "source_url": f"http://bench.example/html_News/NewsShare.html?infoCode=NW{number}",
                "title": truth["title"],
                "published_at": parse_datetime(truth["published_at"]),
                "media": truth["media"],
                "summary": truth["summary"],
                "body_html": "".join(f"<p>{line}</p>" for line in truth["body_text"].split("\n")),
                "body_text": truth["body_text"],
                "stocks": truth["stocks"],
                "boards": truth["boards"],
                "images": truth["images"],
                "category": None,
                "tags": [],
                "fetched_at": now,
                "spider": "bench",
                "extractor": "bench",
            }
        )
    return records


def _ours(uri: str, docs: list[dict]) -> float:
    with open_store(uri) as store:
        started = time.perf_counter()
        for start in range(0, len(docs), BATCH):
            store.upsert_articles(docs[start : start + BATCH])
        return time.perf_counter() - started


def _raw_sqlite(path: Path, docs: list[dict], indexed: bool = True) -> float:
    """One executemany into an empty table; `indexed`: our articles table and its indexes."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    if indexed:
        db.executescript(SCHEMA)
        insert = (
            "INSERT INTO articles(_id, info_code, url, published_at, media, doc)"
            " VALUES (?,?,?,?,?,?)"
        )
        rows = (
            (
                d["_id"],
                d["info_code"],
                d["url"],
                d["published_at"].isoformat(),
                d["media"],
                dumps(d),
            )
            for d in docs
        )
    else:
        db.execute("CREATE TABLE articles (_id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
        insert = "INSERT INTO articles VALUES (?, ?)"
        rows = ((d["_id"], dumps(d)) for d in docs)
    started = time.perf_counter()
    with db:
        db.executemany(insert, rows)
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def _raw_mongo(uri: str, docs: list[dict], indexed: bool = True) -> float:
    """insert_many into an empty collection; `indexed`: with the same indexes as our store."""
    import pymongo

    from finews_crawler.storage.mongo import ARTICLE_INDEXES

    client = pymongo.MongoClient(uri, tz_aware=True)
    collection = client.get_default_database("finews_bench_raw")["raw_articles"]
    collection.drop()
    for keys, options in ARTICLE_INDEXES if indexed else ():
        collection.create_index(keys, **options)
    started = time.perf_counter()
    for start in range(0, len(docs), BATCH):
        collection.insert_many([dict(d) for d in docs[start : start + BATCH]], ordered=False)
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed


def _row(store: str, count: int, ours: float, raw: float) -> dict[str, Any]:
    return {
        "store": store,
        "ours_per_s": round(count / ours),
        "raw_per_s": round(count / raw),
        "ratio": round(raw / ours, 3),
    }


def run(count: int = 20_000, mongo_uri: str | None = None) -> dict[str, Any]:
    docs = articles(count)
    with scratch_dir("finews-bench-store-") as work:
        ours = _ours(f"sqlite:///{work}/ours.sqlite3", docs)
        rows = [
            _row("sqlite", count, ours, _raw_sqlite(work / "raw.sqlite3", docs)),
            _row(
                "sqlite (raw without indexes)",
                count,
                ours,
                _raw_sqlite(work / "bare.sqlite3", docs, False),
            ),
        ]
        if mongo_uri:
            ours_uri = mongo_uri.replace("/?", "/finews_bench?", 1)
            ours = _ours(ours_uri, docs)
            rows.append(_row("mongodb", count, ours, _raw_mongo(mongo_uri, docs)))
            # For reference: the same inserts without the indexes our readers need.
            rows.append(
                _row(
                    "mongodb (raw without indexes)",
                    count,
                    ours,
                    _raw_mongo(mongo_uri, docs, indexed=False),
                )
            )
        return {
            "articles": count,
            "batch": BATCH,
            "rows": rows,
            "target_ratio": 0.5,
            "mongodb": "measured" if mongo_uri else "skipped: no MongoDB server available",
        }
