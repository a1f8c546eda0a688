"""A feed crawl into MongoDB whose server is killed (-9) mid-crawl and restarted (issue 11,
row 2): the pager's reads wait for the store or mark the feed unfinished, ranges are recorded
only for pages the store holds, and after `finews replay` at most two plain runs store every
article exactly once."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.crawl_helpers import crawl_command
from tests.mongo_server import LocalServer, with_database
from tests.test_feeds import CRAWL_TIMEOUT
from tests.test_mongo_crawl import ROOT, _count, _wait, crawl_env, database, replay

ARTICLES = 1500


def feed_crawl(store_uri: str, base: str) -> list[str]:
    hosts = ("FINEWS_FEED_BASE", "FINEWS_MARKET_FEED_BASE", "FINEWS_SHARE_BASE")
    settings = [f"{name}={base}" for name in hosts] + ["FINEWS_STORE_BATCH_SIZE=50"]
    return crawl_command(store_uri, "emnews", *(a for s in settings for a in ("-s", s)))


def test_mongodb_killed_during_a_feed_crawl_loses_nothing(
    start_mock_site: Callable[..., Any], mongo_server: LocalServer, tmp_path: Path
) -> None:
    site = start_mock_site(articles=ARTICLES, seed=13)
    store_uri = with_database(mongo_server.uri, "feedfault")
    env = crawl_env(FINEWS_SPOOL="1", FINEWS_SPOOL_DIR=str(tmp_path / "spool"))
    log = open(tmp_path / "crawl.log", "w+")  # noqa: SIM115
    crawler = subprocess.Popen(
        feed_crawl(store_uri, site.base_url), cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        assert _wait(lambda: _count(store_uri) >= 300 or crawler.poll() is not None, 120)
        assert crawler.poll() is None, "crawl finished before the server could be killed"
        mongo_server.kill()
        time.sleep(3)
        mongo_server.start()
        crawler.wait(timeout=CRAWL_TIMEOUT)
    finally:
        if crawler.poll() is None:
            crawler.kill()
            crawler.wait(timeout=10)
    log.seek(0)
    output = log.read()
    log.close()
    assert "Traceback" not in output, output[-3000:]
    print(f"killed-store run: exit {crawler.returncode}; {output.strip().splitlines()[-1]}")
    truth = {site.corpus.article(i).info_code for i in range(ARTICLES)}
    db = database(store_uri)
    if crawler.returncode == 0:  # only when everything reached the store in the end
        assert db.articles.count_documents({}) == ARTICLES, output[-3000:]

    replayed = replay(store_uri, env)
    assert replayed.returncode == 0, replayed.stderr[-2000:]
    for _ in range(2):  # at most two plain runs
        again = subprocess.run(
            feed_crawl(store_uri, site.base_url),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=CRAWL_TIMEOUT,
        )
        if again.returncode == 0:
            break
    assert again.returncode == 0, again.stderr[-3000:]
    codes = [doc["info_code"] for doc in db.articles.find({}, {"info_code": 1})]
    assert len(codes) == ARTICLES and set(codes) == truth
    assert db.failures.count_documents({}) == 0


def test_a_store_that_stays_away_leaves_the_feed_unfinished_with_a_record(
    start_mock_site: Callable[..., Any], mongo_server: LocalServer, tmp_path: Path
) -> None:
    """Rule 2: the pager's reads wait for the store (bounded, here 3 s), then the feed is
    unfinished with a record and a non-zero exit; paging never ends silently. Once the store
    is back, `finews replay` and one plain run complete the feed and clear the record."""
    site = start_mock_site(articles=200, seed=14)
    store_uri = with_database(mongo_server.uri, "feedaway")
    env = crawl_env(FINEWS_SPOOL="1", FINEWS_SPOOL_DIR=str(tmp_path / "spool"))
    mongo_server.kill()
    away = subprocess.run(
        [*feed_crawl(store_uri, site.base_url), "-s", "FINEWS_FEED_STORE_WAIT=3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
    )
    assert away.returncode == 1, away.stderr[-3000:]
    assert "unfinished feeds 1" in away.stderr
    assert "paging stopped at page 1: StoreUnavailable" in away.stderr

    mongo_server.start()
    replayed = replay(store_uri, env)
    assert replayed.returncode == 0, replayed.stderr[-2000:]
    db = database(store_uri)
    (record,) = db.failures.find()
    assert record["stage"] == "store" and "StoreUnavailable" in record["reason"]
    again = subprocess.run(
        feed_crawl(store_uri, site.base_url),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert db.articles.count_documents({}) == 200
    assert db.failures.count_documents({}) == 0
