"""End to end into MongoDB: real `finews crawl` subprocesses, the mock site, a real server.

(a) 2,000 articles stored once; a re-crawl finds them unchanged; 10 edits give 10 updates and
10 history rows. (b) The server is killed (-9) mid-crawl and restarted: nothing lost, nothing
doubled, the spool drained, spooled/replayed counted in the run records. (c) The server is
killed mid-crawl and stays away until the crawl ends: the crawl keeps downloading while its
writes wait, exits non-zero naming what it could not write, ends cleanly (no Twisted
traceback), and the next plain run writes the rest. (d) A scheduled-style run (FINEWS_SPOOL=1)
starts while the server is down (exit 1: its articles are unfinished); the next start
replays the spool.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymongo
import pytest

from finews_crawler.storage.spool import Spool, decode_entry
from tests.crawl_helpers import crawl_command as store_crawl_command
from tests.crawl_helpers import finews_command, write_urls
from tests.mongo_server import LocalServer, with_database

ROOT = Path(__file__).resolve().parents[1]
CRAWL_TIMEOUT = 240


def urls_file(site: Any, count: int, path: Path) -> Path:
    return write_urls(path, (site.share_url(i) for i in range(count)))


def crawl_command(store_uri: str, urls: Path, *settings: str) -> list[str]:
    extra = [arg for setting in settings for arg in ("-s", setting)]
    return store_crawl_command(store_uri, "newsshare", "-a", f"urls_file={urls}", *extra)


def crawl_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINEWS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["FINEWS_PROGRESS"] = "0"
    env.update(extra)
    return env


def crawl(
    store_uri: str, urls: Path, env: dict[str, str] | None = None, expect_status: int = 0
) -> str:
    done = subprocess.run(
        crawl_command(store_uri, urls),
        cwd=ROOT,
        env=env or crawl_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
    )
    assert done.returncode == expect_status, done.stderr[-3000:]
    return done.stderr


def database(store_uri: str) -> pymongo.database.Database:
    client: pymongo.MongoClient = pymongo.MongoClient(
        store_uri, serverSelectionTimeoutMS=5000, tz_aware=True
    )
    return client.get_default_database()


def latest_run(db: pymongo.database.Database) -> dict[str, Any]:
    run = db.crawl_runs.find_one({"spider": "newsshare"}, sort=[("started_at", -1)])
    assert run is not None
    return run


def test_crawl_recrawl_and_edits(
    start_mock_site: Callable[..., Any], mongo_store_uri: str, tmp_path: Path
) -> None:
    site = start_mock_site(articles=2000, seed=11)
    urls = urls_file(site, 2000, tmp_path / "urls.txt")
    db = database(mongo_store_uri)

    started = time.monotonic()
    crawl(mongo_store_uri, urls)
    first_seconds = time.monotonic() - started
    assert db.articles.count_documents({}) == 2000
    assert latest_run(db)["counts"]["new"] == 2000
    codes = {doc["info_code"] for doc in db.articles.find({}, {"info_code": 1})}
    assert codes == {site.corpus.article(i).info_code for i in range(2000)}

    summary = crawl(mongo_store_uri, urls)
    counts = latest_run(db)["counts"]
    assert (counts["new"], counts["updated"], counts["unchanged"]) == (0, 0, 2000), summary

    edited = list(range(0, 2000, 200))
    for i in edited:
        assert site.get(f"/_admin/edit?i={i}")[0] == 200
        site.corpus.edit(i)
    crawl(mongo_store_uri, urls)
    counts = latest_run(db)["counts"]
    assert (counts["new"], counts["updated"], counts["unchanged"]) == (0, 10, 1990)
    assert db.articles_history.count_documents({}) == 10
    edited_ids = {site.corpus.article_id(i) for i in edited}
    assert {row["article_id"] for row in db.articles_history.find()} == edited_ids
    assert db.articles.count_documents({"revision": 2}) == 10
    assert db.articles.count_documents({}) == 2000
    assert db.failures.count_documents({}) == 0
    print(f"first crawl of 2,000 articles into MongoDB: {first_seconds:.1f}s")


def _wait(condition: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def _count(store_uri: str) -> int:
    client: pymongo.MongoClient = pymongo.MongoClient(store_uri, serverSelectionTimeoutMS=500)
    try:
        return client.get_default_database().articles.count_documents({})
    except pymongo.errors.PyMongoError:
        return -1
    finally:
        client.close()


def replay(store_uri: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        finews_command(store_uri, "replay"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_server_killed_mid_crawl_loses_nothing(
    start_mock_site: Callable[..., Any], mongo_server: LocalServer, tmp_path: Path
) -> None:
    site = start_mock_site(articles=2000, seed=12)
    urls = urls_file(site, 2000, tmp_path / "urls.txt")
    store_uri = with_database(mongo_server.uri, "fault")
    spool_dir = tmp_path / "spool"
    env = crawl_env(FINEWS_SPOOL="1", FINEWS_SPOOL_DIR=str(spool_dir))
    # Writes give up waiting quickly, so that this short outage does reach the spool.
    command = crawl_command(
        store_uri, urls, "FINEWS_STORE_BATCH_SIZE=50", "FINEWS_STORE_RETRY_SECONDS=0.5"
    )
    log = open(tmp_path / "crawl.log", "w+")  # noqa: SIM115
    crawler = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, text=True)
    try:
        assert _wait(lambda: _count(store_uri) >= 400 or crawler.poll() is not None, 120)
        assert crawler.poll() is None, "crawl finished before the server could be killed"
        mongo_server.kill()
        killed_at = time.monotonic()
        spool_files = lambda: [p for p in spool_dir.glob("*.jsonl") if p.stat().st_size]  # noqa: E731
        _wait(lambda: bool(spool_files()) or crawler.poll() is not None, 60)
        time.sleep(max(0.0, 3.0 - (time.monotonic() - killed_at)))
        mongo_server.start()
        crawler.wait(timeout=CRAWL_TIMEOUT)
    finally:
        if crawler.poll() is None:
            crawler.kill()
            crawler.wait(timeout=10)
    log.seek(0)
    output = log.read()
    log.close()
    assert crawler.returncode == 0, output[-3000:]

    replayed = replay(store_uri, env)  # drains whatever the crawl could not (often nothing)
    assert replayed.returncode == 0, replayed.stderr[-2000:]
    assert all(Spool(path).pending() == 0 for path in spool_dir.glob("*.jsonl"))

    db = database(store_uri)
    assert db.articles.count_documents({}) == 2000
    codes = [doc["info_code"] for doc in db.articles.find({}, {"info_code": 1})]
    assert sorted(codes) == sorted(site.corpus.article(i).info_code for i in range(2000))
    assert db.articles.count_documents({"revision": {"$ne": 1}}) == 0
    assert db.failures.count_documents({}) == 0

    runs = list(db.crawl_runs.find())
    crawl_run = next(run for run in runs if run["spider"] == "newsshare")
    counts = crawl_run["counts"]
    spooled = counts["spooled"]
    replayed_total = sum(run["counts"].get("replayed", 0) for run in runs)
    assert spooled > 0, output[-3000:]
    assert replayed_total == spooled
    assert counts["new"] + counts["unchanged"] + spooled == 2000
    print(
        f"fault crawl: {spooled} spooled, {counts['replayed']} replayed in-run,"
        f" {replayed_total - counts['replayed']} by `finews replay`; {len(runs)} run records"
    )


def test_server_away_until_the_crawl_ends(
    start_mock_site: Callable[..., Any], mongo_server: LocalServer, tmp_path: Path
) -> None:
    """Killed mid-crawl and back only after the crawl ended: downloads go on while a write
    waits, the run says what it could not write (exit 1), and the next plain run (spool
    replayed at its start) leaves every article stored exactly once and no failure record."""
    count = 300
    site = start_mock_site(articles=count, seed=14)
    urls = urls_file(site, count, tmp_path / "urls.txt")
    store_uri = with_database(mongo_server.uri, "away")
    spool_dir = tmp_path / "spool"
    env = crawl_env(FINEWS_SPOOL_DIR=str(spool_dir))  # FINEWS_SPOOL unset: a plain run
    # A paced crawl (about 20 pages/s) is still downloading long after the kill.
    command = crawl_command(
        store_uri,
        urls,
        "FINEWS_STORE_BATCH_SIZE=20",
        "FINEWS_STORE_RETRY_SECONDS=10",
        "DOWNLOAD_DELAY=0.05",
    )
    command += ["-L", "DEBUG"]  # "Crawled (200)" lines show the reactor at work
    log_path = tmp_path / "crawl.log"
    with open(log_path, "w") as log:
        crawler = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            assert _wait(lambda: _count(store_uri) >= 60 or crawler.poll() is not None, 120)
            assert crawler.poll() is None, "crawl finished before the server could be killed"
            mongo_server.kill()
            crawler.wait(timeout=CRAWL_TIMEOUT)
        finally:
            if crawler.poll() is None:
                crawler.kill()
                crawler.wait(timeout=10)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert crawler.returncode == 1, output[-3000:]
    assert "AlreadyCalledError" not in output and " CRITICAL: " not in output, output[-3000:]

    # While the first failed write waited for the server, pages kept arriving.
    lines = output.splitlines()
    waiting = next(i for i, line in enumerate(lines) if "store write failed" in line)
    gave_up = next(i for i, line in enumerate(lines) if "unreachable (" in line)
    assert any("Crawled (200)" in line for line in lines[waiting:gave_up]), output[-3000:]

    (spool_path,) = spool_dir.glob("*.jsonl")
    unwritten = Spool(spool_path).pending_articles()
    assert unwritten > 0
    assert f"failures {unwritten} |" in output
    assert f"{unwritten} article(s) could not be written" in output

    mongo_server.start()
    db = database(store_uri)
    stored_ids = {doc["_id"] for doc in db.articles.find({}, {"_id": 1})}
    with open(spool_path, encoding="utf-8") as spooled:
        entries = [decode_entry(line) for line in spooled if line.strip()]
    spooled_ids = {entry["doc"]["_id"] for entry in entries if entry["op"] == "article"}
    # Each article is stored or spooled (a batch cut off mid-write may be both): none lost.
    assert stored_ids | spooled_ids == {site.corpus.article_id(i) for i in range(count)}
    summary = crawl(store_uri, urls, env)  # the plain rerun: replays first, then finds all
    assert Spool(spool_path).pending() == 0

    codes = [doc["info_code"] for doc in db.articles.find({}, {"info_code": 1})]
    assert sorted(codes) == sorted(site.corpus.article(i).info_code for i in range(count))
    assert db.articles.count_documents({"revision": {"$ne": 1}}) == 0
    assert list(db.failures.find()) == []  # the "waiting in the spool" record went too
    away, rerun = sorted(db.crawl_runs.find(), key=lambda run: run["started_at"])
    assert away["exit_status"] == 1 and away["counts"]["failures"] == unwritten
    assert away["counts"]["new"] + away["counts"]["spooled"] >= count
    assert rerun["counts"]["replayed"] == unwritten, summary
    assert rerun["counts"]["unchanged"] == count and rerun["exit_status"] == 0


@pytest.mark.parametrize("drain_by", ["next start", "finews replay"])
def test_scheduled_run_starts_while_down_then_spool_drains(
    drain_by: str, start_mock_site: Callable[..., Any], mongo_server: LocalServer, tmp_path: Path
) -> None:
    site = start_mock_site(articles=60, seed=13)
    urls = urls_file(site, 60, tmp_path / "urls.txt")
    store_uri = with_database(mongo_server.uri, "offline")
    spool_dir = tmp_path / "spool"
    env = crawl_env(FINEWS_SPOOL="1", FINEWS_SPOOL_DIR=str(spool_dir))
    mongo_server.kill()

    started = time.monotonic()
    summary = crawl(store_uri, urls, env, expect_status=1)  # 60 articles not in the store yet
    offline_seconds = time.monotonic() - started
    assert "failures 60" in summary and "60 article(s) could not be written" in summary
    (spool_path,) = spool_dir.glob("*.jsonl")
    assert Spool(spool_path).pending() >= 62  # 60 articles, the failure record, the run record
    assert Spool(spool_path).pending_articles() == 60

    if drain_by == "finews replay":
        refused = replay(store_uri, env)
        assert refused.returncode == 2 and "unreachable" in refused.stderr
        assert Spool(spool_path).pending() >= 62  # untouched

    mongo_server.start()
    if drain_by == "next start":
        crawl(store_uri, urls, env)  # drains first, then finds all 60 unchanged
    else:
        done = replay(store_uri, env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "replayed 60 article(s)" in done.stdout and "60 new" in done.stdout
    assert Spool(spool_path).pending() == 0
    db = database(store_uri)
    assert db.articles.count_documents({}) == 60
    assert db.failures.count_documents({}) == 0
    runs = sorted(db.crawl_runs.find(), key=lambda run: run["started_at"])
    assert len(runs) == 2
    offline, drained = runs
    assert (offline["spider"], drained["spider"]) == (
        "newsshare",
        "newsshare" if drain_by == "next start" else "replay",
    )
    assert (offline["counts"]["spooled"], offline["counts"]["new"]) == (60, 0)
    assert (offline["counts"]["failures"], offline["exit_status"]) == (60, 1)
    assert drained["counts"]["replayed"] == 60
    if drain_by == "next start":
        assert drained["counts"]["unchanged"] == 60
    if drain_by == "finews replay":
        assert replay(store_uri, env).stdout.startswith("replayed 0 article(s)")
    print(f"crawl of 60 articles with the server down: {offline_seconds:.1f}s")
