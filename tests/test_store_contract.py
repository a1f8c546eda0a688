"""One contract, every backend: SQLite (tmp file) and MongoDB (a real wire-protocol server).

A backend passes when it stores, merges, counts and reads back exactly like the others; the
few MongoDB-only cases (per-document failures, the 16 MB limit) say so in their names.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from finews_crawler.crawl.paging import NEG_INF, merge_intervals
from finews_crawler.storage import ArticleQuery, Store, StoreError, open_store
from finews_crawler.storage.base import FAILED, NEW, SPOOLED, UNCHANGED, UPDATED
from finews_crawler.storage.mongo import MongoStore, resolve_target
from finews_crawler.storage.spool import Spool, SpoolingStore
from mocksite.process import free_port

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def article(i: int, **fields: Any) -> dict[str, Any]:
    code = f"NW2024030{i:011d}"
    doc = {
        "_id": f"2024030{i:011d}",
        "info_code": code,
        "url": f"http://news.example/a/{code}.html",
        "source_url": f"http://share.example/html_News/NewsShare.html?infoCode={code}",
        "title": f"标题 {i}",
        "published_at": T0 + timedelta(hours=i),
        "media": "证券时报" if i % 2 else "中国证券报",
        "summary": f"summary {i}",
        "body_html": f"<p>正文 {i}</p>",
        "body_text": f"正文 {i}",
        "stocks": [{"code": f"60{i:04d}", "market": "SH", "secid": f"1.60{i:04d}", "name": ""}],
        "boards": [],
        "images": [],
        "category": "stock",
        "tags": [],
        "fetched_at": T0,
        "spider": "test",
    }
    doc.update(fields)
    return doc


@pytest.fixture(params=["sqlite", "mongodb"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return request.getfixturevalue("mongo_store_uri")


@pytest.fixture
def store(backend: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.delenv("FINEWS_SPOOL", raising=False)
    with open_store(backend) as opened:
        yield opened


def statuses(outcomes) -> list[str]:
    return [outcome.status for outcome in outcomes]


def is_mongo(store: Store) -> bool:
    return isinstance(store, MongoStore)


# ---- articles --------------------------------------------------------------------------


def test_upsert_counts_new_unchanged_updated(store: Store) -> None:
    assert statuses(store.upsert_articles([article(1), article(2)])) == [NEW, NEW]
    assert statuses(store.upsert_articles([article(1), article(2)])) == [UNCHANGED, UNCHANGED]
    changed = article(2, title="标题 2 (更正)")
    assert statuses(store.upsert_articles([article(1), changed])) == [UNCHANGED, UPDATED]
    assert store.count_articles() == 2
    stored = store.get_article(article(2)["_id"])
    assert stored is not None
    assert stored["title"] == "标题 2 (更正)"
    assert stored["published_at"] == article(2)["published_at"]
    assert store.get_article("000000000000000000") is None


def test_merge_never_erases_and_unions_stocks(store: Store) -> None:
    store.upsert_articles([article(3)])
    later = article(
        3,
        media="",
        summary=None,
        stocks=[{"code": "000001", "market": "SZ", "secid": "0.000001", "name": "平安银行"}],
    )
    assert statuses(store.upsert_articles([later])) == [UPDATED]
    stored = store.get_article(article(3)["_id"])
    assert stored is not None
    assert stored["media"] == article(3)["media"]
    assert stored["summary"] == "summary 3"
    assert {s["secid"] for s in stored["stocks"]} == {"0.000001", "1.600003"}


def test_revision_and_history_only_on_content_change(store: Store) -> None:
    first = store.upsert_articles([article(4)])[0].article
    assert first["revision"] == 1
    again = store.upsert_articles([article(4, fetched_at=T0 + timedelta(days=1))])[0]
    assert again.status == UNCHANGED
    assert again.article["revision"] == 1
    assert again.article["updated_at"] == first["updated_at"]
    store.upsert_articles([article(4, body_text="改 1")])
    third = store.upsert_articles([article(4, body_text="改 2")])[0].article
    assert third["revision"] == 3
    assert third["first_seen_at"] == first["first_seen_at"]
    assert third["updated_at"] > first["updated_at"]
    history = store.history(article(4)["_id"])  # type: ignore[attr-defined]
    assert [row["revision"] for row in history] == [1, 2]
    assert [row["body_text"] for row in history] == ["正文 4", "改 1"]
    assert store.count_history() == 2  # type: ignore[attr-defined]


def test_retried_batch_is_idempotent(store: Store) -> None:
    batch = [article(i) for i in range(5, 10)]
    store.upsert_articles(batch[:2])  # as if a first try was applied halfway, then failed
    assert statuses(store.upsert_articles(batch)) == [UNCHANGED] * 2 + [NEW] * 3
    edited = [article(i, title="edited") for i in range(5, 10)]
    assert statuses(store.upsert_articles(edited)) == [UPDATED] * 5
    assert statuses(store.upsert_articles(edited)) == [UNCHANGED] * 5
    assert store.count_articles() == 5
    assert store.count_history() == 5  # type: ignore[attr-defined]
    assert {a["revision"] for a in store.iter_articles()} == {2}


def test_same_article_twice_in_one_batch(store: Store) -> None:
    outcomes = store.upsert_articles([article(11), article(11, title="second")])
    assert statuses(outcomes) == [NEW, UPDATED]
    stored = store.get_article(article(11)["_id"])
    assert stored is not None
    assert (stored["title"], stored["revision"]) == ("second", 2)


def test_iter_articles_order_and_filters(store: Store) -> None:
    store.upsert_articles([article(i) for i in (16, 12, 14, 13, 15)])
    assert [a["_id"][-2:] for a in store.iter_articles()] == ["12", "13", "14", "15", "16"]
    window = ArticleQuery(since=T0 + timedelta(hours=13), until=T0 + timedelta(hours=15))
    assert [a["_id"][-2:] for a in store.iter_articles(window)] == ["13", "14"]
    assert store.count_articles(window) == 2
    media = ArticleQuery(media="证券时报")
    assert [a["_id"][-2:] for a in store.iter_articles(media)] == ["13", "15"]
    by_stock = ArticleQuery(stock="600014")
    assert [a["_id"][-2:] for a in store.iter_articles(by_stock)] == ["14"]
    ids = ArticleQuery(ids=[article(16)["_id"], article(12)["_id"], "nope"])
    assert [a["_id"][-2:] for a in store.iter_articles(ids)] == ["12", "16"]
    assert store.count_articles(ArticleQuery(stock="999999")) == 0


def test_known_ids(store: Store) -> None:
    store.upsert_articles([article(20), article(21)])
    asked = [article(20)["_id"], article(22)["_id"], article(21)["_id"]]
    assert store.known_ids(asked) == {article(20)["_id"], article(21)["_id"]}
    assert store.known_ids([]) == set()


# ---- failures, runs, checkpoints -------------------------------------------------------


def failure(url: str, **fields: Any) -> dict[str, Any]:
    return {"url": url, "stage": "extract", "reason": "no body", "retriable": True, **fields}


def test_failures_record_attempts_and_clear(store: Store) -> None:
    store.record_failure(failure("http://x/1", article_id="a1"))
    store.record_failure(failure("http://x/1", article_id="a1", reason="timeout"))
    store.record_failure(failure("http://x/2", article_id="a2"))
    store.record_failure(failure("http://x/3"))
    records = {f["url"]: f for f in store.iter_failures()}
    assert set(records) == {"http://x/1", "http://x/2", "http://x/3"}
    assert records["http://x/1"]["attempts"] == 2
    assert records["http://x/1"]["reason"] == "timeout"
    assert records["http://x/2"]["attempts"] == 1
    assert records["http://x/1"]["last_seen_at"] >= records["http://x/1"]["first_seen_at"]
    assert store.clear_failures(["http://x/3"], ["a2"]) == 2
    assert [f["url"] for f in store.iter_failures()] == ["http://x/1"]
    assert store.clear_failures([], []) == 0


def test_retried_failure_write_counts_once_mongodb(store: Store) -> None:
    if not is_mongo(store):
        pytest.skip("SQLite writes are one transaction: never half-applied, never retried")
    store.record_failure(failure("http://x/9", attempt_id="attempt-1"))
    store.record_failure(failure("http://x/9", attempt_id="attempt-1"))  # the retry
    store.record_failure(failure("http://x/9", attempt_id="attempt-2"))
    (record,) = list(store.iter_failures())
    assert record["attempts"] == 2


def test_runs(store: Store) -> None:
    for n, started in enumerate((T0, T0 + timedelta(hours=2), T0 + timedelta(hours=1))):
        store.record_run({"_id": f"run{n}", "spider": "s", "started_at": started, "counts": {}})
    store.record_run(
        {"_id": "run0", "spider": "s", "started_at": T0, "counts": {"new": 5}, "exit_status": 0}
    )
    runs = list(store.iter_runs())
    assert [r["_id"] for r in runs] == ["run1", "run2", "run0"]
    assert runs[-1]["counts"] == {"new": 5}
    assert [r["_id"] for r in store.iter_runs(limit=1)] == ["run1"]


def test_run_record_never_holds_a_password_mongodb(store: Store) -> None:
    if not is_mongo(store):
        pytest.skip("MongoDB-specific: URIs with credentials")
    store.record_run(
        {
            "_id": "r",
            "started_at": T0,
            "args": {"store": "mongodb://reader:hunter2secret@db.example/finews"},
        }
    )
    (run,) = list(store.iter_runs())
    assert "hunter2secret" not in repr(run)
    assert run["args"]["store"] == "mongodb://reader:***@db.example/finews"


def test_checkpoints(store: Store) -> None:
    assert store.get_checkpoint("feed:102") is None
    store.set_checkpoint("feed:102", {"newest": "NW1", "seen.at": T0, "$n": 3})
    store.set_checkpoint("feed:102", {"newest": "NW2", "seen.at": T0, "$n": 4})
    assert store.get_checkpoint("feed:102") == {
        "newest": "NW2",
        "seen.at": T0.isoformat(),
        "$n": 4,
    }


# ---- feed paging state (finews_crawler/crawl/paging) -------------------------------------------


def test_feed_coverage_is_added_never_replaced(store: Store) -> None:
    assert store.get_feed_coverage("emnews") == (None, [])
    store.add_feed_coverage("emnews", [(0, 10), (20, 30)])
    store.add_feed_coverage("emnews", [(0, 10), (5, 5)])  # a repeat and an empty one: no-ops
    store.add_feed_coverage("emmedia", [(100, 200)])
    floor, intervals = store.get_feed_coverage("emnews")
    assert floor is None and merge_intervals(intervals) == [(0, 10), (20, 30)]
    store.lower_feed_floor("emnews", 50)
    store.lower_feed_floor("emnews", NEG_INF)  # the end of the feed: the lowest floor there is
    store.lower_feed_floor("emnews", 60)  # never raised again
    assert store.get_feed_coverage("emnews")[0] == NEG_INF
    assert store.get_feed_coverage("emmedia") == (None, [(100, 200)])


def test_feed_coverage_from_concurrent_workers_merges(backend: str) -> None:
    """Two workers add 150 intervals each at once (compaction runs meanwhile): the union of
    everything both wrote survives, whatever the interleaving."""
    import threading

    def worker(offset: int, width: int) -> None:
        with open_store(backend) as opened:
            for i in range(150):
                opened.add_feed_coverage("wire", [(i * 10 + offset, i * 10 + offset + width)])
                opened.lower_feed_floor("wire", 1000 - i - offset)

    threads = [threading.Thread(target=worker, args=args) for args in ((0, 5), (5, 3))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with open_store(backend) as opened:
        floor, intervals = opened.get_feed_coverage("wire")
    assert merge_intervals(intervals) == [(i * 10, i * 10 + 8) for i in range(150)]
    assert floor == 1000 - 149 - 5


# ---- MongoDB limits and faults -----------------------------------------------------------


def test_bad_document_fails_alone_mongodb(store: Store) -> None:
    if not is_mongo(store):
        pytest.skip("MongoDB-specific: per-document write errors in one bulk write")
    # A unique index of the test's own gives the server a document to refuse (the store's only
    # key is `_id`, which it never sends twice in one batch).
    store._articles.create_index([("probe", 1)], unique=True, sparse=True)
    store.upsert_articles([article(30, probe="same")])
    clash = article(31, probe="same")  # the unique index refuses it
    unencodable = article(33, tags=[object()])
    batch = [article(32), clash, unencodable, article(34)]
    outcomes = store.upsert_articles(batch)
    assert statuses(outcomes) == [NEW, FAILED, FAILED, NEW]
    assert "duplicate key" in (outcomes[1].error or "")
    assert outcomes[2].error
    assert store.known_ids(a["_id"] for a in batch) == {article(32)["_id"], article(34)["_id"]}


def test_insert_racing_another_writer_becomes_an_update_mongodb(store: Store) -> None:
    """New articles are inserted; one another worker stored meanwhile is upserted instead."""
    if not is_mongo(store):
        pytest.skip("MongoDB-specific: insert-then-upsert write path")
    store.upsert_articles([article(36)])  # the other worker's copy
    newer = {**store.get_article(article(36)["_id"]), "title": "newer title"}
    refused = store._write_articles({newer["_id"]: newer}, stored_before=set())
    assert refused == {}
    assert store.get_article(newer["_id"])["title"] == "newer title"


def test_keys_mongodb_refuses_are_cleaned(store: Store) -> None:
    store.upsert_articles([article(35, images=[{"src.url": "http://i/1.png", "$ref": "x"}])])
    stored = store.get_article(article(35)["_id"])
    assert stored is not None
    assert len(stored["images"]) == 1 and len(stored["images"][0]) == 2


def test_oversized_body_is_truncated_with_flag(store: Store) -> None:
    big = "长" * (4 * 1024 * 1024)  # 12 MB of UTF-8 in each body: 24 MB together
    outcome = store.upsert_articles([article(40, body_html=f"<p>{big}</p>", body_text=big)])[0]
    assert outcome.status == NEW
    stored = store.get_article(article(40)["_id"])
    assert stored is not None
    if is_mongo(store):
        import bson

        assert stored["truncated"] is True
        assert len(bson.encode(stored)) < 16 * 1024 * 1024
        assert stored["body_text"].startswith("长" * 1000)
        # The hash covers the source content, so the same article stays unchanged.
        again = store.upsert_articles([article(40, body_html=f"<p>{big}</p>", body_text=big)])
        assert statuses(again) == [UNCHANGED]
    else:
        assert "truncated" not in stored and stored["body_text"] == big


def test_unreachable_store_fails_fast(backend: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("FINEWS_SPOOL", raising=False)
    if backend.startswith("sqlite"):
        (tmp_path / "file").write_text("")
        uri = f"sqlite:///{tmp_path / 'file' / 'below-a-file.sqlite3'}"
    else:
        uri = f"mongodb://reader:hunter2secret@127.0.0.1:{free_port()}/x?directConnection=true"
    with pytest.raises(StoreError) as raised:
        open_store(uri)
    message = str(raised.value)
    assert "\n" not in message and "hunter2secret" not in message  # one clear line, no secret
    if backend.startswith("sqlite"):
        assert message.startswith("cannot open SQLite store") and "below-a-file" in message
    else:
        # README: "one clear line ... within a few seconds": the bound it waited, not
        # pymongo's 30 s server selection, and what to do about it.
        assert message.startswith("cannot reach MongoDB at mongodb://reader:***@127.0.0.1:")
        assert "within 3000 ms" in message and "FINEWS_SPOOL=1" in message


def test_uri_names_database_and_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"FINEWS_MONGO_DB": "envdb", "FINEWS_MONGO_COLLECTION": "envcol"}
    assert resolve_target("mongodb://h/", {}).database == "finews"
    assert resolve_target("mongodb://h/", {}).collection == "articles"
    from_env = resolve_target("mongodb://h", env)
    assert (from_env.database, from_env.collection) == ("envdb", "envcol")
    target = resolve_target("mongodb://u:p%40ss@h1,h2/db.news?replicaSet=rs&collection=c", env)
    assert (target.database, target.collection) == ("db", "c")
    assert "collection" not in target.client_uri and "replicaSet=rs" in target.client_uri
    assert "p%40ss" not in target.display and "p@ss" not in target.spool_key
    assert target.secret == "p@ss"


def test_spool_keeps_writes_while_the_store_is_down(mongo_store_uri: str, tmp_path: Path) -> None:
    """Generic spool: an unreachable MongoDB spools; the spool replays into a live store."""
    down = MongoStore(
        f"mongodb://127.0.0.1:{free_port()}/x?directConnection=true&serverSelectionTimeoutMS=300",
        require_server=False,
    )
    spool = Spool(tmp_path / "spool.jsonl")
    spooling = SpoolingStore(down, spool, retry_seconds=1, outage_seconds=60)
    assert statuses(spooling.upsert_articles([article(50), article(51)])) == [SPOOLED] * 2
    spooling.record_failure(failure("http://x/50"))
    spooling.record_run({"_id": "run-down", "started_at": T0, "counts": {"spooled": 2}})
    assert statuses(spooling.upsert_articles([article(50, title="newer")])) == [SPOOLED]
    assert spool.pending() == 5
    with MongoStore(mongo_store_uri) as live:
        report = spool.drain(live)
        assert (report.articles, report.entries) == (3, 5)
        assert spool.pending() == 0
        assert live.count_articles() == 2
        assert live.get_article(article(50)["_id"])["title"] == "newer"  # order kept
        assert [r["_id"] for r in live.iter_runs()] == ["run-down"]
        assert [f["url"] for f in live.iter_failures()] == ["http://x/50"]
        assert spool.drain(live).entries == 0  # drained once, nothing doubled
    down.close()


def test_spool_keeps_feed_paging_state_while_the_store_is_down(
    mongo_store_uri: str, tmp_path: Path
) -> None:
    """Coverage and floor writes during an outage are spooled and replayed, still additive."""
    down = MongoStore(
        f"mongodb://127.0.0.1:{free_port()}/x?directConnection=true&serverSelectionTimeoutMS=300",
        require_server=False,
    )
    spool = Spool(tmp_path / "spool.jsonl")
    spooling = SpoolingStore(down, spool, retry_seconds=1, outage_seconds=60)
    spooling.add_feed_coverage("emnews", [(10, 20)])
    spooling.lower_feed_floor("emnews", 5)
    assert spool.pending() == 2
    with MongoStore(mongo_store_uri) as live:
        live.add_feed_coverage("emnews", [(20, 30)])  # another worker meanwhile
        live.lower_feed_floor("emnews", 7)
        assert spool.drain(live).entries == 2
        floor, intervals = live.get_feed_coverage("emnews")
        assert floor == 5 and merge_intervals(intervals) == [(10, 30)]
    down.close()


def test_sqlite_opened_by_many_processes_at_once(tmp_path: Path) -> None:
    """Workers starting together open the same new file at the same moment: none may fail."""
    import subprocess
    import sys
    import time

    code = (
        "import sys, time; from finews_crawler.storage import open_store\n"
        "start, folder = float(sys.argv[1]), sys.argv[2]\n"
        "while time.time() < start: pass\n"
        "for i in range(25): open_store(f'sqlite:///{folder}/db{i}.sqlite3').close()\n"
    )
    start = time.time() + 3  # every process is up by then, and they all begin together
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(start), str(tmp_path)]) for _ in range(6)
    ]
    assert [worker.wait(timeout=120) for worker in workers] == [0] * 6
