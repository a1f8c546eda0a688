"""Resume: a crawl killed with SIGKILL and started again with the same JOBDIR loses no article
and stores none twice; articles stored before the kill are not fetched again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from finews_crawler.crawl.jobdir import JobDirGuard, JobDirInUse, read_marker
from finews_crawler.crawl.paging import to_us
from finews_crawler.storage import open_store
from tests.test_feeds import CRAWL_TIMEOUT, crawl_command, run_crawl, stored_ids, text_api_counts

ARTICLES = 2000
KILL_AFTER_STORED = 500


def count_stored(path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def test_sigkill_then_resume_stores_every_article_exactly_once(start_mock_site, tmp_path):
    site = start_mock_site(articles=ARTICLES)
    store, jobdir = tmp_path / "resume.sqlite3", tmp_path / "job"
    extra = ("-s", f"JOBDIR={jobdir}", "-s", "CONCURRENT_REQUESTS=8")
    process = subprocess.Popen(
        crawl_command(store, "emnews", site.base_url, *extra),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + CRAWL_TIMEOUT
        while count_stored(store) < KILL_AFTER_STORED and process.poll() is None:
            assert time.monotonic() < deadline, "the first crawl made no progress"
            time.sleep(0.05)
        assert process.poll() is None, "the crawl finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    before_kill = stored_ids(store)
    fetched_first = text_api_counts(site.get_json("/_log"))
    assert KILL_AFTER_STORED <= len(before_kill) < ARTICLES
    assert read_marker(jobdir)["state"] == "running"  # what the next start detects

    result = run_crawl(store, "emnews", site.base_url, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "did not stop cleanly" in result.stderr

    truth = {site.corpus.article_id(i) for i in range(ARTICLES)}
    with open_store(f"sqlite:///{store}") as opened:
        articles = list(opened.iter_articles())
        history = opened.count_history()
    ids = [article["_id"] for article in articles]
    assert len(ids) == ARTICLES and set(ids) == truth  # all there, each once
    assert {article["revision"] for article in articles} == {1} and history == 0
    fetched = text_api_counts(site.get_json("/_log"))
    assert set(fetched) == truth
    refetched = {aid for aid, n in fetched.items() if n > 1}
    assert not refetched & before_kill  # stored before the kill: never fetched again
    assert all(fetched[aid] == 2 for aid in refetched)  # only those lost in flight, once
    assert refetched <= set(fetched_first)
    assert read_marker(jobdir)["state"] == "finished"


def test_a_jobdir_is_used_by_one_crawl_at_a_time(tmp_path):
    first = JobDirGuard(tmp_path / "job")
    first.prepare()
    with pytest.raises(JobDirInUse, match="in use by another crawl"):
        JobDirGuard(tmp_path / "job").prepare()


def covered_rows(path) -> int:
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM feed_coverage").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigkill_leaves_no_coverage_over_unstored_articles(start_mock_site, tmp_path):
    """Killed while up to 99 articles wait in the store pipeline's batch: no covered range of
    the feed may hold an article that is not stored, and one plain run (no JOBDIR) then
    stores every article exactly once."""
    articles = 1000
    site = start_mock_site(articles=articles)
    store = tmp_path / "kill.sqlite3"
    extra = ("-s", "FINEWS_STORE_BATCH_SIZE=100", "-s", "FINEWS_STORE_FLUSH_SECONDS=1000")
    process = subprocess.Popen(
        crawl_command(store, "emnews", site.base_url, *extra, "-s", "CONCURRENT_REQUESTS=4"),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + CRAWL_TIMEOUT
        while not (count_stored(store) >= 300 and covered_rows(store)) and process.poll() is None:
            assert time.monotonic() < deadline, "the first crawl made no progress"
            time.sleep(0.05)
        assert process.poll() is None, "the crawl finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    stored = stored_ids(store)
    assert len(stored) < articles
    with open_store(f"sqlite:///{store}") as opened:
        _, intervals = opened.get_feed_coverage("emnews")
    assert intervals  # pages were confirmed before the kill
    corpus = site.corpus
    for i in range(articles):
        published = to_us(corpus.published(i))
        if any(lo < published <= hi for lo, hi in intervals):
            assert corpus.article_id(i) in stored, (i, "covered but not stored")

    result = run_crawl(store, "emnews", site.base_url)
    assert result.returncode == 0, result.stderr[-3000:]
    with open_store(f"sqlite:///{store}") as opened:
        assert opened.count_articles() == articles
    assert stored_ids(store) == {corpus.article_id(i) for i in range(articles)}
