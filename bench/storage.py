"""Storage: our stores' three write paths against the raw driver doing the same job.

Each path runs in batches of the store pipeline's size, one transaction (SQLite) or one bulk
call per batch, ours and raw on the same documents, the raw side on the same schema and
indexes as ours:

  insert     new articles into an empty store.
             raw: INSERT (SQLite) / insert_many (MongoDB).
  unchanged  the same articles again (a re-crawl that finds nothing new).
             raw: an upsert that writes nothing when the stored document is equal (SQLite
             `INSERT .. ON CONFLICT DO UPDATE .. WHERE doc IS NOT excluded.doc`; MongoDB
             `ReplaceOne(upsert=True)` of the same document).
  updated    every article with a changed body, the previous version kept as history.
             raw: copy the stored rows into the history table (SQLite `INSERT .. SELECT`;
             MongoDB find + insert_many), then overwrite them with revision + 1.

Ours does what the contract asks on each path (load the stored records of the batch, merge,
decide, write), on records as the store pipeline hands them: each carrying the content hash
the dedupe stage computed before (pipelines/dedupe.py, `with_digest` in pipelines/store.py),
which the store takes instead of hashing again. Those hashes are computed before the timer,
as in a crawl they are paid by the dedupe stage (the crawl benchmark counts them). The SQLite
rows also give ours on plain records, the store hashing each incoming record itself (as for
records that come from elsewhere, e.g. an importer): `ratio_store_hashes`.

The MongoDB figures come from SecantusDB, a MongoDB wire-protocol emulator, unless
FINEWS_BENCH_MONGO_URI points at a real server: its server-side speed says little about real
MongoDB, so each MongoDB row also gives the client-side CPU per article (this process's
user+sys time: merging, BSON encoding), which does not depend on the server.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.measure import cpu_time, scratch_dir
from finews_crawler.article import DigestedRecord, content_hash, remember_digest
from finews_crawler.parsing.dates import parse_datetime
from finews_crawler.storage import open_store
from finews_crawler.storage.sqlite import SCHEMA, dumps
from mocksite import MockCorpus
from pipelines.store import DEFAULT_BATCH_SIZE

BATCH = DEFAULT_BATCH_SIZE  # what StorePipeline flushes at once
PATHS = ("insert", "unchanged", "updated")
Batches = list[list[dict[str, Any]]]


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
                "source": "eastmoney",
                "source_id": number,
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


def edited(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same articles with one more paragraph: every content hash changes."""
    line = "（更新）公司公告补充说明。"
    return [
        {
            **d,
            "body_text": d["body_text"] + "\n" + line,
            "body_html": d["body_html"] + f"<p>{line}</p>",
        }
        for d in docs
    ]


def piped(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records as the store pipeline hands them to the store: each carrying its content
    hash, computed by the dedupe stage (here: now, before any timer)."""
    records: list[dict[str, Any]] = []
    for doc in docs:
        record = DigestedRecord(doc)
        remember_digest(record, content_hash(doc))
        records.append(record)
    return records


def batched(docs: list[dict[str, Any]]) -> Batches:
    return [docs[start : start + BATCH] for start in range(0, len(docs), BATCH)]


def timed(write: Callable[[list[Any]], Any], batches: Batches) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) to write every batch."""
    cpu, started = cpu_time(), time.perf_counter()
    for batch in batches:
        write(batch)
    return time.perf_counter() - started, cpu_time() - cpu


# ---- ours ------------------------------------------------------------------------------------


def ours(uri: str, docs: list[dict], changed: list[dict]) -> dict[str, tuple[float, float]]:
    with open_store(uri) as store:
        return {
            "insert": timed(store.upsert_articles, batched(docs)),
            "unchanged": timed(store.upsert_articles, batched(docs)),
            "updated": timed(store.upsert_articles, batched(changed)),
        }


# ---- raw SQLite ------------------------------------------------------------------------------

_SQL_UPSERT = (
    "INSERT INTO articles(_id, source, source_id, url, published_at, media, revision, doc)"
    " VALUES (?,?,?,?,?,?,1,?) ON CONFLICT(_id) DO UPDATE SET source=excluded.source,"
    " source_id=excluded.source_id,"
    " url=excluded.url, published_at=excluded.published_at, media=excluded.media,"
    " revision=articles.revision + 1, doc=excluded.doc WHERE articles.doc IS NOT excluded.doc"
)


def _sql_rows(batch: list[dict]) -> list[tuple]:
    return [
        (d["_id"], d["source"], d["source_id"], d["url"], d["published_at"].isoformat())
        + (d["media"], dumps(d))
        for d in batch
    ]


def raw_sqlite(path: Path, docs: list[dict], changed: list[dict]) -> dict[str, tuple[float, float]]:
    """The same three paths with sqlite3 alone, our schema, WAL and synchronous as ours."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)

    def insert(batch: list[dict]) -> None:
        with db:
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO articles(_id, source, source_id, url, published_at, media,"
                " revision, doc) VALUES (?,?,?,?,?,?,1,?)",
                _sql_rows(batch),
            )

    def upsert(batch: list[dict]) -> None:
        with db:
            db.execute("BEGIN")
            db.executemany(_SQL_UPSERT, _sql_rows(batch))

    def update_with_history(batch: list[dict]) -> None:
        ids = [d["_id"] for d in batch]
        marks = ",".join("?" * len(ids))
        with db:
            db.execute("BEGIN")
            db.execute(
                "INSERT OR IGNORE INTO articles_history(article_id, revision, doc)"
                f" SELECT _id, revision, doc FROM articles WHERE _id IN ({marks})",
                ids,
            )
            db.executemany(_SQL_UPSERT, _sql_rows(batch))

    try:
        return {
            "insert": timed(insert, batched(docs)),
            "unchanged": timed(upsert, batched(docs)),
            "updated": timed(update_with_history, batched(changed)),
        }
    finally:
        db.close()


# ---- raw MongoDB -----------------------------------------------------------------------------


def raw_mongo(uri: str, docs: list[dict], changed: list[dict]) -> dict[str, tuple[float, float]]:
    """The same three paths with pymongo alone, into a collection with our indexes."""
    import pymongo
    from pymongo import ReplaceOne

    from finews_crawler.storage.mongo import ARTICLE_INDEXES

    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(uri, tz_aware=True)
    client.drop_database("finews_bench_raw")
    db = client["finews_bench_raw"]
    articles_, history = db["articles"], db["articles_history"]
    for keys, options in ARTICLE_INDEXES:
        articles_.create_index(keys, **options)
    history.create_index([("article_id", pymongo.ASCENDING)])

    def insert(batch: list[dict]) -> None:
        articles_.insert_many([{**d, "revision": 1} for d in batch], ordered=False)

    def replace(batch: list[dict]) -> None:
        ops = [ReplaceOne({"_id": d["_id"]}, {**d, "revision": 1}, upsert=True) for d in batch]
        articles_.bulk_write(ops, ordered=False)

    def update_with_history(batch: list[dict]) -> None:
        stored = {d["_id"]: d for d in articles_.find({"_id": {"$in": [d["_id"] for d in batch]}})}
        history.insert_many(
            [
                {**old, "_id": f"{old['_id']}:{old['revision']}", "article_id": old["_id"]}
                for old in stored.values()
            ],
            ordered=False,
        )
        ops = [
            ReplaceOne(
                {"_id": d["_id"]},
                {**d, "revision": stored.get(d["_id"], {}).get("revision", 0) + 1},
                upsert=True,
            )
            for d in batch
        ]
        articles_.bulk_write(ops, ordered=False)

    try:
        return {
            "insert": timed(insert, batched(docs)),
            "unchanged": timed(replace, batched(docs)),
            "updated": timed(update_with_history, batched(changed)),
        }
    finally:
        client.close()


def best(runs: list[dict[str, tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """The fastest of repeated runs per path (wall and CPU each): the least disturbed by the
    other work on a shared machine."""
    return {
        path: (min(run[path][0] for run in runs), min(run[path][1] for run in runs))
        for path in PATHS
    }


def rows(
    store: str, count: int, ours_: dict, raw: dict, hashing: dict | None = None
) -> list[dict[str, Any]]:
    """`hashing`: ours on plain records (the store hashes each one), when measured."""
    return [
        {
            "store": store,
            "path": path,
            "ours_per_s": round(count / ours_[path][0]),
            "raw_per_s": round(count / raw[path][0]),
            "ratio": round(raw[path][0] / ours_[path][0], 3),
            "ratio_cpu": round(raw[path][1] / ours_[path][1], 3),
            "ours_client_cpu_ms_per_article": round(1000 * ours_[path][1] / count, 3),
            "raw_client_cpu_ms_per_article": round(1000 * raw[path][1] / count, 3),
        }
        | (
            {
                "ratio_store_hashes": round(raw[path][0] / hashing[path][0], 3),
                "ours_store_hashes_cpu_ms_per_article": round(1000 * hashing[path][1] / count, 3),
            }
            if hashing
            else {}
        )
        for path in PATHS
    ]


def mongo_label(uri: str | None) -> str:
    if not uri:
        return "skipped: no MongoDB server available"
    if os.environ.get("FINEWS_BENCH_MONGO_URI"):
        return "FINEWS_BENCH_MONGO_URI"
    return "SecantusDB (a MongoDB wire-protocol emulator)"


def run(
    count: int = 10_000, mongo_uri: str | None = None, repeats: int = 3, mongo_count: int = 5_000
) -> dict[str, Any]:
    docs = articles(count)
    changed = edited(docs)
    docs_piped, changed_piped = piped(docs), piped(changed)
    ours_runs, raw_runs, hashing_runs = [], [], []
    with scratch_dir("finews-bench-store-") as work:
        for attempt in range(repeats):  # interleaved, so all meet the same machine load
            uri = f"sqlite:///{work}/ours-{attempt}.sqlite3"
            ours_runs.append(ours(uri, docs_piped, changed_piped))
            raw_runs.append(raw_sqlite(work / f"raw-{attempt}.sqlite3", docs, changed))
            uri = f"sqlite:///{work}/hashing-{attempt}.sqlite3"
            hashing_runs.append(ours(uri, docs, changed))
        table = rows("sqlite", count, best(ours_runs), best(raw_runs), best(hashing_runs))
    if mongo_uri:
        import pymongo

        client: pymongo.MongoClient[dict[str, Any]]
        with pymongo.MongoClient(mongo_uri) as client:
            client.drop_database("finews_bench")
        ours_uri = mongo_uri.replace("/?", "/finews_bench?", 1)
        docs, changed = docs[:mongo_count], changed[:mongo_count]
        table += rows(
            "mongodb",
            len(docs),
            ours(ours_uri, docs_piped[:mongo_count], changed_piped[:mongo_count]),
            raw_mongo(mongo_uri, docs, changed),
        )
    return {
        "articles": count,
        "batch": BATCH,
        "repeats_sqlite": repeats,
        "mongodb_articles": min(count, mongo_count),
        "rows": table,
        "target_ratio": 0.5,
        "mongodb": mongo_label(mongo_uri),
    }


_CHILD = (
    "import json, sys; from bench import storage;"
    " print(json.dumps(storage.run(int(sys.argv[1]), repeats=int(sys.argv[2]))['rows']))"
)


def before_after(count: int, repeats: int, rounds: int, code: str) -> dict[str, Any]:
    """SQLite only: this checkout and `code` (an earlier one) in turn, `rounds` times, each a
    fresh process running `run(count, repeats)` (ours and raw interleaved inside it); the
    ours / raw ratios of every round, per path."""
    import subprocess
    import sys

    here = str(Path(__file__).resolve().parent.parent)
    figures = ("ratio", "ratio_cpu", "ratio_store_hashes", "ours_client_cpu_ms_per_article")
    result: dict[str, dict[str, dict[str, list[float]]]] = {
        figure: {label: {path: [] for path in PATHS} for label in ("before", "now")}
        for figure in figures
    }
    for _ in range(rounds):
        for label, where in (("before", code), ("now", here)):
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(count), str(repeats)],
                cwd=where,
                capture_output=True,
                text=True,
                check=True,
            )
            for row in json.loads(done.stdout.strip().splitlines()[-1]):
                for figure in figures:
                    if figure in row:
                        result[figure][label][row["path"]].append(row[figure])
    return result


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.storage [--count N] [--repeats N] [--profile FILE] [--before DIR
    [--rounds N]]`: the SQLite comparison alone (ours and raw interleaved). --profile writes
    a cProfile of ours on the three paths (no raw side); --before compares with an earlier
    checkout, the two in turn."""
    import argparse
    import cProfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", help="cProfile output of ours on the three paths")
    parser.add_argument("--before", help="an earlier checkout to compare with, in turn")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    if args.before:
        result = before_after(
            args.count, args.repeats, args.rounds, str(Path(args.before).resolve())
        )
        print(json.dumps(result))
        return 0
    if args.profile:
        docs = articles(args.count)
        changed = edited(docs)
        with scratch_dir("finews-bench-store-") as work:
            store = open_store(f"sqlite:///{work}/profiled.sqlite3")
            with store:
                profiler = cProfile.Profile()
                for path, batches in (
                    ("insert", batched(docs)),
                    ("unchanged", batched(docs)),
                    ("updated", batched(changed)),
                ):
                    profiler.enable()
                    seconds = timed(store.upsert_articles, batches)
                    profiler.disable()
                    profiler.dump_stats(f"{args.profile}.{path}")
                    profiler = cProfile.Profile()
                    print(path, seconds)
        return 0
    result = run(args.count, repeats=args.repeats)
    for row in result["rows"]:
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
