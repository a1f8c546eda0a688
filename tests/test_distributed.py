"""Distributed mode on a real Redis: two `finews crawl` workers share one frontier.

Keep this test in CI: it is what proves the pinned scrapy-redis still works with our Scrapy.
"""

from __future__ import annotations

import os
import re
import subprocess

import redis

from tests.test_feeds import CRAWL_TIMEOUT, crawl_command, stored_ids, text_api_counts

ARTICLES = 2000
_PAGES = re.compile(r"emnews: pages fetched (\d+)")


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
    workers = [
        subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
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
    assert not client.exists("finews:emnews:requests", "finews:emnews:dupefilter")
    assert not client.hlen("finews:emnews:workers")  # round closed, registry empty
