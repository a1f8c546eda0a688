"""Storage throughput: our stores' batched upserts vs the raw driver writing the same documents.

Ours goes through the whole upsert path (load existing, merge, hash, write); the raw baseline
is the fastest the driver can do: `executemany` / `insert_many` into an empty table/collection.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finews_crawler.mocksite import MockCorpus
from finews_crawler.parsing.dates import parse_datetime
from finews_crawler.storage import open_store
from finews_crawler.storage.sqlite import dumps

BATCH = 200  # what StorePipeline flushes


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


def _raw_sqlite(path: Path, docs: list[dict]) -> float:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE articles (_id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
    started = time.perf_counter()
    with db:
        db.executemany("INSERT INTO articles VALUES (?, ?)", ((d["_id"], dumps(d)) for d in docs))
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def _raw_mongo(uri: str, docs: list[dict]) -> float:
    import pymongo

    client = pymongo.MongoClient(uri, tz_aware=True)
    collection = client.get_default_database("finews_bench_raw")["raw_articles"]
    collection.drop()
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
    work = Path(tempfile.mkdtemp(prefix="finews-bench-store-"))
    rows = [
        _row(
            "sqlite",
            count,
            _ours(f"sqlite:///{work}/ours.sqlite3", docs),
            _raw_sqlite(work / "raw.sqlite3", docs),
        )
    ]
    if mongo_uri:
        ours_uri = mongo_uri.replace("/?", "/finews_bench?", 1)
        rows.append(_row("mongodb", count, _ours(ours_uri, docs), _raw_mongo(mongo_uri, docs)))
    return {
        "articles": count,
        "batch": BATCH,
        "rows": rows,
        "target_ratio": 0.5,
        "mongodb": "measured" if mongo_uri else "skipped: no MongoDB server available",
    }
