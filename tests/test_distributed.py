"""Distributed mode on a real Redis: `finews crawl` workers share one frontier.

Keep these tests in CI: they are what proves the pinned scrapy-redis still works with our
Scrapy (the engine's downloader.active and scraper.slot.active that
finews_crawler/crawl/distributed.py reads to know when a leased request is done, and the
scrapy-redis queue methods distributed_queue.py builds on).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
import scrapy
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from finews_crawler.crawl.distributed_queue import LeasedPriorityQueue
from finews_crawler.sources.eastmoney import FEEDS, feed_url
from finews_crawler.storage import open_store
from tests.crawl_helpers import crawl_command as store_crawl_command
from tests.test_feeds import CRAWL_TIMEOUT, crawl_command, stored_ids, text_api_counts

ARTICLES = 2000
PAGE_SIZE = 50
_PAGES = re.compile(r"emnews: pages fetched (\d+)")
_REQUEUED = re.compile(r"(\d+) request\(s\) whose lease expired")
QUEUE = "finews:emnews:requests"
LEASES = f"{QUEUE}:leases"
LEASED = f"{QUEUE}:leased"
DUPEFILTER = "finews:emnews:dupefilter"
LEASE_SECONDS = 8  # a dead worker's requests come back this long after its last renewal


def start_workers(command: list[str], count: int, cwd: Path, env: dict) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]


def finish(workers: list[subprocess.Popen]) -> list[str]:
    """Each worker's stderr once it exited (bounded); stragglers are killed."""
    outputs = []
    try:
        for worker in workers:
            _, stderr = worker.communicate(timeout=CRAWL_TIMEOUT)
            outputs.append(stderr)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=30)
    return outputs


def stored_counts(store_uri: str) -> Counter[str]:
    """Article id -> rows stored under it."""
    with open_store(store_uri) as opened:
        return Counter(article["_id"] for article in opened.iter_articles())


def failure_records(store_uri: str) -> list[dict]:
    with open_store(store_uri) as opened:
        return list(opened.iter_failures())


def first_feed_page_requests(site) -> int:
    url = feed_url(site.base_url, FEEDS["emnews"], 1, PAGE_SIZE)
    return site.get_json("/_log")["requests"].get(url[len(site.base_url) :], 0)


def test_two_workers_fetch_every_article_once(start_mock_site, redis_server, tmp_path):
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    # 40 ms per answer, like a distant server: one worker alone would need several seconds,
    # so both take part however slowly the machine starts them.
    site = start_mock_site(articles=ARTICLES, extra_args=("--latency-ms", "40"))
    store = tmp_path / "shared.sqlite3"
    env = {**os.environ, "FINEWS_REDIS_URL": redis_server.url}
    command = crawl_command(
        store, "emnews", site.base_url, "-s", "FINEWS_REDIS_IDLE_SECONDS=2", "-a", "count=50"
    )
    workers = start_workers(command, 2, tmp_path, env)
    outputs = finish(workers)
    for worker, stderr in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr[-3000:]

    truth = {site.corpus.article_id(i) for i in range(ARTICLES)}
    log = site.get_json("/_log")
    fetched = text_api_counts(log)
    assert set(fetched) == truth and set(fetched.values()) == {1}  # each article once, overall
    feed_pages = {path: n for path, n in log["requests"].items() if "/web/webapi" in path}
    assert set(feed_pages.values()) == {1}  # the seeds were not duplicated either
    assert stored_ids(store) == truth
    pages = [int(_PAGES.search(stderr).group(1)) for stderr in outputs]
    assert all(count > 0 for count in pages), pages  # both workers took part
    # Their downloads (robots.txt once per worker included) add up to what the site served.
    assert sum(pages) == sum(log["requests"].values())
    assert not client.exists(QUEUE, LEASES, LEASED, DUPEFILTER)  # round closed, Redis tidy


def feed_crawl_command(store_uri: str, base: str, *extra: str) -> list[str]:
    """`finews crawl emnews` as a distributed worker against the mock site, into any store."""
    hosts = ("FINEWS_FEED_BASE", "FINEWS_MARKET_FEED_BASE", "FINEWS_SHARE_BASE")
    settings = [f"{name}={base}" for name in hosts]
    settings += ["FINEWS_REDIS_IDLE_SECONDS=2", f"FINEWS_REDIS_LEASE_SECONDS={LEASE_SECONDS}"]
    options = [arg for setting in settings for arg in ("-s", setting)]
    return store_crawl_command(store_uri, "emnews", *options, "-a", f"count={PAGE_SIZE}", *extra)


@pytest.mark.parametrize("backend", ["sqlite", "mongodb"])
def test_a_worker_killed_mid_crawl_leaves_nothing_undone(
    backend, start_mock_site, redis_server, tmp_path, request
):
    """kill -9 of one of two workers while it holds requests: the survivor gets them back
    when their leases expire, stores every article once and exits 0; the next round starts
    fresh (its first feed page is fetched, not filtered by the dead round's fingerprints)."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    site = start_mock_site(articles=ARTICLES, extra_args=("--latency-ms", "40"))
    if backend == "sqlite":
        store = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    else:
        store = request.getfixturevalue("mongo_store_uri")
    env = {**os.environ, "FINEWS_REDIS_URL": redis_server.url}
    command = feed_crawl_command(store, site.base_url)
    victim, survivor = workers = start_workers(command, 2, tmp_path, env)
    try:
        # Kill once a quarter of the articles was fetched and the victim holds leases (its
        # lease ids carry its pid): it dies with requests in flight.
        deadline = time.monotonic() + CRAWL_TIMEOUT
        while True:
            assert time.monotonic() < deadline and victim.poll() is None, "no kill point"
            fetched = sum(text_api_counts(site.get_json("/_log")).values())
            held = [
                lease
                for lease in client.zrange(LEASES, 0, -1)
                if f":{victim.pid}:" in lease.decode() and not lease.endswith(b"#seeding")
            ]
            if fetched >= ARTICLES // 4 and held:
                break
            time.sleep(0.02)
        victim.kill()
        victim.wait(timeout=30)
        assert fetched < ARTICLES
    finally:
        (survivor_log,) = finish([survivor])
        finish(workers)
    assert survivor.returncode == 0, survivor_log[-3000:]
    requeued = sum(int(n) for n in _REQUEUED.findall(survivor_log))
    assert requeued > 0  # the reaper returned the victim's requests

    truth = {site.corpus.article_id(i) for i in range(ARTICLES)}
    stored = stored_counts(store)
    assert set(stored) == truth, f"{len(truth - set(stored))} articles missing"
    assert set(stored.values()) == {1}
    assert failure_records(store) == []
    assert not client.exists(QUEUE, LEASES, LEASED, DUPEFILTER)

    # The next round: one plain worker; its seed is fetched, nothing new to store.
    seeds_before = first_feed_page_requests(site)
    (next_round,) = start_workers(command, 1, tmp_path, env)
    (next_log,) = finish([next_round])
    assert next_round.returncode == 0, next_log[-3000:]
    assert first_feed_page_requests(site) == seeds_before + 1
    assert stored_counts(store) == stored
    print(
        f"{backend}: killed at {fetched} articles fetched holding {len(held)} leases; survivor"
        f" requeued {requeued}; stored {len(stored)} once each; the next round's pages:"
        f" {_PAGES.search(next_log).group(1)}"
    )


def spider_queue(server: redis.Redis, lease_ms: int) -> LeasedPriorityQueue:
    crawler = get_crawler(scrapy.Spider)
    spider = scrapy.Spider.from_crawler(crawler, name="leases")
    queue = LeasedPriorityQueue(server, spider, "finews:%(spider)s:requests")
    queue.owner, queue.lease_ms = "tester", lease_ms
    return queue


def test_leases_come_back_when_not_renewed_and_rounds_start_clean(redis_server):
    """The queue's Redis side alone: pop leases, ack ends a lease, an expired lease is
    requeued by any worker, and the round's fingerprints go only when nothing is pending."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    dupefilter = "finews:leases:dupefilter"
    worker, reaper = spider_queue(client, 60_000), spider_queue(client, 60_000)
    client.sadd(dupefilter, "a fingerprint of an earlier round")
    assert worker.join(dupefilter)  # nothing pending: a new round, old fingerprints gone
    assert not client.exists(dupefilter)
    client.sadd(dupefilter, "seen in this round")
    assert not reaper.join(dupefilter)  # the worker's seeding lease: same round
    assert client.exists(dupefilter)
    worker.seeded()
    reaper.seeded()
    urls = [f"http://127.0.0.1:9/{n}" for n in range(3)]
    for n, url in enumerate(urls):
        worker.push(Request(url, priority=-n))
    first, second = worker.pop(), worker.pop()
    assert [first.url, second.url] == urls[:2]
    assert len(worker) == 1 and client.zcard(worker.leases_key) == 2
    worker.ack([lease for lease, request in worker.held.items() if request is first])
    assert client.zcard(worker.leases_key) == 1
    assert reaper.reap() == 0  # a minute to go
    worker.lease_ms = 1  # its last renewal: the lease ends a millisecond later
    assert worker.renew() == 0
    time.sleep(0.05)  # and the worker "dies"
    assert reaper.reap() == 1
    assert not client.exists(worker.leases_key, worker.leased_key)
    assert worker.renew() == 1  # had it lived on, it would learn it lost that lease
    assert [reaper.pop().url, reaper.pop().url] == [second.url, urls[2]]  # priority kept
    assert reaper.leave(dupefilter) == 2 and client.exists(dupefilter)  # reaper's in flight
    reaper.ack(list(reaper.held))
    assert reaper.leave(dupefilter) == 0 and not client.exists(dupefilter)
