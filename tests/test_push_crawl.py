"""A crawl with push set publishes as it stores (README "Push: Redis Streams and webhooks").

Against the mock site's ground truth (its generator's article ids): a crawl killed with
SIGKILL mid-way and a rerun deliver every article to a Redis consumer group and to a signed
webhook; counted both ways, deliveries (repeats allowed: at least once) and distinct
(_id, revision) pairs (exactly the articles, each once).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import redis

from finews_crawler.storage import open_store
from tests.crawl_helpers import crawl, crawl_command
from tests.push_receiver import webhook_receiver
from tests.test_push import read_group

ARTICLES = 60
SECRET = "crawl-push-secret"
WAIT_SECONDS = 120


def test_a_killed_crawl_and_its_rerun_push_every_article(start_mock_site, redis_server, tmp_path):
    site = start_mock_site(articles=ARTICLES, extra_args=("--latency-ms", "400"))
    truth = {site.corpus.article_id(i) for i in range(ARTICLES)}
    store_uri = f"sqlite:///{tmp_path / 'push.sqlite3'}"
    stream = "push-crawl-test"
    client = redis.Redis.from_url(redis_server.url)
    client.delete(stream)
    client.xgroup_create(stream, "downstream", id="0", mkstream=True)
    codes = ",".join(f"NW{site.corpus.article_id(i)}" for i in range(ARTICLES))
    with webhook_receiver(SECRET) as receiver:
        args = [
            *("-s", f"FINEWS_SHARE_BASE={site.base_url}"),
            *("-s", f"FINEWS_PUSH_REDIS={redis_server.url}", "-s", f"FINEWS_PUSH_STREAM={stream}"),
            *("-s", f"FINEWS_PUSH_WEBHOOK={receiver.url}", "-s", f"FINEWS_PUSH_SECRET={SECRET}"),
            *("-s", "FINEWS_PUSH_INTERVAL=0.2", "-s", "FINEWS_STORE_FLUSH_SECONDS=0.3"),
            *("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"),
            *("-a", f"info_codes={codes}"),
        ]
        victim = subprocess.Popen(
            crawl_command(store_uri, "newsshare", *args),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline and not receiver.snapshot():
                time.sleep(0.1)
            assert victim.poll() is None, "the slow crawl ended before it could be killed"
            assert receiver.snapshot(), "nothing was pushed while the crawl ran"
            os.kill(victim.pid, signal.SIGKILL)
        finally:
            if victim.poll() is None:
                victim.kill()
            victim.wait(timeout=30)
        pushed_at_kill = len(receiver.snapshot())
        with open_store(store_uri) as store:
            stored_at_kill = store.count_articles()
        assert 0 < stored_at_kill < ARTICLES and pushed_at_kill < ARTICLES
        rerun = crawl(store_uri, "newsshare", *args, timeout=WAIT_SECONDS * 2)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        hooks = receiver.snapshot()

    with open_store(store_uri) as store:
        assert {a["_id"] for a in store.iter_articles()} == truth
    assert all(h.signature_ok for h in hooks)
    assert len(hooks) >= ARTICLES
    assert Counter((h.article["_id"], h.article["revision"]) for h in hooks).keys() == {
        (i, 1) for i in truth
    }
    messages = read_group(client, stream, "downstream")
    assert len(messages) >= ARTICLES
    pairs = {(m["_id"], int(m["revision"])) for m in messages}
    assert pairs == {(i, 1) for i in truth}
    assert all(json.loads(m["article"])["_id"] == m["_id"] for m in messages)
    assert Path(tmp_path / "push.sqlite3").exists()


def test_a_crawl_whose_webhook_refuses_ends_with_dead_letters_and_exit_1(mock_site, tmp_path):
    store_uri = f"sqlite:///{tmp_path / 'dead.sqlite3'}"
    codes = ",".join(f"NW{mock_site.corpus.article_id(i)}" for i in range(3))
    with webhook_receiver(SECRET, status=500) as failing:
        done = crawl(
            store_uri,
            "newsshare",
            *("-s", f"FINEWS_SHARE_BASE={mock_site.base_url}"),
            *("-s", f"FINEWS_PUSH_WEBHOOK={failing.url}", "-s", f"FINEWS_PUSH_SECRET={SECRET}"),
            *("-s", "FINEWS_PUSH_MAX_ATTEMPTS=2", "-s", "FINEWS_PUSH_BACKOFF=0.01"),
            *("-a", f"info_codes={codes}"),
            timeout=WAIT_SECONDS,
        )
        tries = len(failing.snapshot())
    assert done.returncode == 1, done.stderr[-2000:]
    assert tries == 3 * 2
    with open_store(store_uri) as store:
        assert store.count_articles() == 3
        dead = [f for f in store.iter_failures() if f.get("stage") == "push"]
    assert sorted(f["push_article_id"] for f in dead) == sorted(
        mock_site.corpus.article_id(i) for i in range(3)
    )


def test_a_receiver_away_during_the_crawl_gets_everything_from_finews_push(mock_site, tmp_path):
    from mocksite.process import free_port
    from tests.crawl_helpers import finews_command

    store_uri = f"sqlite:///{tmp_path / 'away.sqlite3'}"
    truth = {mock_site.corpus.article_id(i) for i in range(4)}
    hook = f"http://127.0.0.1:{free_port()}/hook"
    done = crawl(
        store_uri,
        "newsshare",
        *("-s", f"FINEWS_SHARE_BASE={mock_site.base_url}"),
        *("-s", f"FINEWS_PUSH_WEBHOOK={hook}", "-s", f"FINEWS_PUSH_SECRET={SECRET}"),
        *("-s", "FINEWS_PUSH_MAX_ATTEMPTS=2", "-s", "FINEWS_PUSH_BACKOFF=0.01"),
        *("-a", "info_codes=" + ",".join(f"NW{i}" for i in sorted(truth))),
        timeout=WAIT_SECONDS,
    )
    assert done.returncode == 1, done.stderr[-2000:]  # the run says the push did not happen
    with open_store(store_uri) as store:
        assert store.count_articles() == len(truth)
        assert not [f for f in store.iter_failures() if f.get("stage") == "push"]
    port = int(hook.split(":")[2].split("/")[0])
    with webhook_receiver(SECRET, port=port) as receiver:
        pushed = subprocess.run(
            finews_command(store_uri, "push", "--webhook", hook, "--secret", SECRET),
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
            check=False,
        )
        got = receiver.snapshot()
    assert pushed.returncode == 0, pushed.stderr
    assert sorted(d.article["_id"] for d in got) == sorted(truth)
    assert all(d.signature_ok for d in got)


def test_a_crawl_into_mongodb_pushes_every_article(mock_site, mongo_store_uri, redis_server):
    truth = {mock_site.corpus.article_id(i) for i in range(20)}
    stream = "push-crawl-mongo"
    client = redis.Redis.from_url(redis_server.url)
    client.delete(stream)
    client.xgroup_create(stream, "downstream", id="0", mkstream=True)
    done = crawl(
        mongo_store_uri,
        "newsshare",
        *("-s", f"FINEWS_SHARE_BASE={mock_site.base_url}"),
        *("-s", f"FINEWS_PUSH_REDIS={redis_server.url}", "-s", f"FINEWS_PUSH_STREAM={stream}"),
        *("-a", "info_codes=" + ",".join(f"NW{i}" for i in sorted(truth))),
        timeout=WAIT_SECONDS,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    messages = read_group(client, stream, "downstream")
    assert len(messages) >= len(truth)
    assert {(m["_id"], int(m["revision"])) for m in messages} == {(i, 1) for i in truth}


def test_fetch_no_store_pushes_nothing_and_fetch_with_store_pushes(mock_site, tmp_path):
    from tests.crawl_helpers import finews_command

    store_uri = f"sqlite:///{tmp_path / 'fetch.sqlite3'}"
    wanted = mock_site.share_url(0)
    with webhook_receiver(SECRET) as receiver:
        env = {**os.environ, "FINEWS_PUSH_WEBHOOK": receiver.url, "FINEWS_PUSH_SECRET": SECRET}
        for extra in (["--no-store"], []):
            done = subprocess.run(
                finews_command(store_uri, "fetch", "--allow-private", *extra, wanted),
                capture_output=True,
                text=True,
                timeout=WAIT_SECONDS,
                check=False,
                env=env,
            )
            assert done.returncode == 0, done.stderr[-2000:]
            if extra:
                assert receiver.snapshot() == []  # a throwaway store is not published
        got = receiver.snapshot()
    assert [d.article["_id"] for d in got] == [mock_site.corpus.article_id(0)]
