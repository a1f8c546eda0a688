"""Push (README "Push: Redis Streams and webhooks"): the outbox on both stores, the publisher
into a real Redis Stream and a real loopback webhook, dead letters, and the MongoDB outbox's
holes.

The rule the outbox follows (storage/outbox.py): one entry per insert or new revision, none
for an unchanged article; seqs increase.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finews_crawler.push.publisher import Publisher
from finews_crawler.push.redis_stream import RedisStreamTarget
from finews_crawler.push.webhook import WebhookTarget
from finews_crawler.storage import Store, open_store
from finews_crawler.storage.mongo import MongoStore
from tests.crawl_helpers import finews_command
from tests.push_receiver import webhook_receiver
from tests.test_store_contract import article

SECRET = "s3cret-for-tests"
CLI_TIMEOUT = 120


@pytest.fixture(params=["sqlite", "mongodb"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    monkeypatch.delenv("FINEWS_SPOOL", raising=False)
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        uri = request.getfixturevalue("mongo_store_uri")
    with open_store(uri) as opened:
        yield opened


def entries(store: Store) -> list[tuple[str, int, str]]:
    return [(e.article_id, e.revision, e.status) for e in store.outbox().read_after(0)]


def test_outbox_has_one_entry_per_insert_or_new_revision(store: Store) -> None:
    a1, a2 = article(1), article(2)
    store.upsert_articles([a1, a2])
    assert entries(store) == [(a1["_id"], 1, "new"), (a2["_id"], 1, "new")]
    store.upsert_articles([article(1), article(2)])  # unchanged: no entry
    assert len(entries(store)) == 2
    store.upsert_articles([article(2, title="标题 2 (更正)")])
    assert entries(store)[2:] == [(a2["_id"], 2, "updated")]
    seqs = [e.seq for e in store.outbox().read_after(0)]
    assert seqs == sorted(set(seqs)) and store.outbox().last_seq() == seqs[-1]
    assert store.outbox().read_after(seqs[-1]) == []


def read_group(client: Any, stream: str, group: str) -> list[dict[str, str]]:
    """A consumer-group consumer: read everything new, acknowledge it."""
    got: list[dict[str, str]] = []
    while True:
        answer = client.xreadgroup(group, "consumer-1", {stream: ">"}, count=100, block=None)
        if not answer or not answer[0][1]:
            return got
        for entry_id, fields in answer[0][1]:
            got.append({k.decode(): v.decode() for k, v in fields.items()})
            client.xack(stream, group, entry_id)


def test_redis_stream_gets_each_revision_once_and_the_cursor_holds(store, redis_server) -> None:
    import json

    import redis

    client = redis.Redis.from_url(redis_server.url)
    stream = f"push-test-{type(store).__name__}"
    client.delete(stream)
    client.xgroup_create(stream, "downstream", id="0", mkstream=True)
    docs = [article(i) for i in range(1, 6)]
    store.upsert_articles(docs)
    target = RedisStreamTarget(redis_server.url, stream)
    assert Publisher(store, target).drain().delivered == 5
    assert Publisher(store, target).drain().delivered == 0  # the cursor is in the store
    store.upsert_articles([article(3, title="标题 3 (更正)")])
    assert Publisher(store, target).drain().delivered == 1
    got = read_group(client, stream, "downstream")
    assert [(m["_id"], int(m["revision"])) for m in got] == [
        *((doc["_id"], 1) for doc in docs),
        (docs[2]["_id"], 2),
    ]
    for message in got:
        body = json.loads(message["article"])
        assert (body["_id"], body["revision"]) == (message["_id"], int(message["revision"]))
    assert json.loads(got[-1]["article"])["title"] == "标题 3 (更正)"
    target.close()


def test_webhook_is_signed_and_a_refusing_one_ends_in_dead_letters(store) -> None:
    docs = [article(i) for i in range(1, 4)]
    store.upsert_articles(docs)
    with webhook_receiver(SECRET) as receiver:
        result = Publisher(store, WebhookTarget(receiver.url, SECRET)).drain()
        got = receiver.snapshot()
    assert result.delivered == 3 and result.dead_letters == 0
    assert [d.article["_id"] for d in got] == [doc["_id"] for doc in docs]
    assert all(d.signature_ok for d in got)
    assert [d.headers["x-finews-revision"] for d in got] == ["1", "1", "1"]

    with webhook_receiver(SECRET, status=500) as failing:
        target = WebhookTarget(failing.url, SECRET)  # a new target: its own cursor
        Publisher(store, target).start_at_end()
        store.upsert_articles([article(9)])
        result = Publisher(store, target, max_attempts=3, backoff=0.01).drain()
        assert len(failing.snapshot()) == 3  # N tries, then the dead letter
        assert result.delivered == 0 and result.dead_letters == 1
        assert Publisher(store, target, max_attempts=3, backoff=0.01).drain().dead_letters == 0
        assert len(failing.snapshot()) == 3  # the cursor moved past the dead letter
    (dead,) = [f for f in store.iter_failures() if f.get("stage") == "push"]
    assert dead["push_article_id"] == article(9)["_id"] and "HTTP 500" in dead["reason"]


def test_a_receiver_that_is_away_stops_the_drain_without_dead_letters(store) -> None:
    from mocksite.process import free_port

    store.upsert_articles([article(1), article(2)])
    port = free_port()
    target = WebhookTarget(f"http://127.0.0.1:{port}/hook", SECRET)
    away = Publisher(store, target, max_attempts=2, backoff=0.01).drain()
    assert away.unavailable and (away.delivered, away.dead_letters) == (0, 0)
    assert not [f for f in store.iter_failures() if f.get("stage") == "push"]
    with webhook_receiver(SECRET, port=port) as receiver:  # back: the next drain sends all
        back = Publisher(store, target, max_attempts=2, backoff=0.01).drain()
        ids = [d.article["_id"] for d in receiver.snapshot()]
    assert (back.delivered, back.unavailable) == (2, "")
    assert ids == [article(1)["_id"], article(2)["_id"]]


def test_each_revision_is_sent_as_it_was_even_when_replaced_before_the_drain(store) -> None:
    titles = ["初版", "第二版", "第三版"]
    for title in titles:
        store.upsert_articles([article(1, title=title)])
    with webhook_receiver(SECRET) as receiver:
        assert Publisher(store, WebhookTarget(receiver.url, SECRET)).drain().delivered == 3
        got = receiver.snapshot()
    assert [(d.article["revision"], d.article["title"]) for d in got] == [
        (1, titles[0]),
        (2, titles[1]),
        (3, titles[2]),
    ]
    assert [d.headers["x-finews-revision"] for d in got] == ["1", "2", "3"]


def test_a_refused_mongodb_write_leaves_a_void_entry_passed_over_at_once(
    mongo_store_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FINEWS_SPOOL", raising=False)
    with open_store(mongo_store_uri) as opened, webhook_receiver(SECRET) as receiver:
        assert isinstance(opened, MongoStore)
        # A unique index of the test's own makes the server refuse one document.
        opened._articles.create_index([("probe", 1)], unique=True, sparse=True)
        opened.upsert_articles([article(1, probe="same")])
        opened.upsert_articles([article(2, probe="same"), article(3)])  # 2 is refused
        assert [(e.article_id, e.void) for e in opened.outbox().read_after(0)] == [
            (article(1)["_id"], False),
            (article(2)["_id"], True),
            (article(3)["_id"], False),
        ]
        result = Publisher(opened, WebhookTarget(receiver.url, SECRET), grace=3600).drain()
        ids = [d.article["_id"] for d in receiver.snapshot()]
    assert (result.delivered, result.waiting, result.passed_over) == (2, False, 0)
    assert ids == [article(1)["_id"], article(3)["_id"]]


def test_a_forged_signature_does_not_verify() -> None:
    from tests.push_receiver import signature_ok

    assert not signature_ok(SECRET, b'{"_id":"1"}', "sha256=" + "0" * 64)
    assert not signature_ok(SECRET, b'{"_id":"1"}', None)


def test_finews_push_cli_exit_status_and_dead_letter(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    with open_store(uri) as opened:
        opened.upsert_articles([article(1), article(2)])
    with webhook_receiver(SECRET, status=503) as failing:
        done = subprocess.run(
            finews_command(uri, "push", "--webhook", failing.url, "--secret", SECRET)
            + ["--max-attempts", "2", "--backoff", "0.01"],
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        assert len(failing.snapshot()) == 4
    assert done.returncode == 1, done.stderr
    assert "0 delivered, 2 dead letters" in done.stderr
    with webhook_receiver(SECRET) as receiver:
        done = subprocess.run(
            finews_command(uri, "push", "--webhook", receiver.url),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
    assert done.returncode == 2 and "secret" in done.stderr  # no secret: refused, one line


def test_mongo_outbox_holes_are_waited_for_then_passed_over_and_rechecked(
    mongo_store_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that reserved seqs and has not written them yet (or died) leaves a hole."""
    monkeypatch.delenv("FINEWS_SPOOL", raising=False)
    with open_store(mongo_store_uri) as opened, webhook_receiver(SECRET) as receiver:
        assert isinstance(opened, MongoStore)
        store: MongoStore = opened
        db = store._client[store.target.database]
        store.upsert_articles([article(1)])
        db["outbox_counters"].update_one({"_id": "articles"}, {"$inc": {"seq": 2}})  # seqs 2, 3
        store.upsert_articles([article(4)])  # seq 4
        target = WebhookTarget(receiver.url, SECRET)
        waiting = Publisher(store, target, grace=3600).drain()
        assert (waiting.delivered, waiting.waiting) == (1, True)  # stops before the hole
        passed = Publisher(store, target, grace=0).drain()
        assert (passed.delivered, passed.passed_over) == (1, 2)
        # The slow writer turns up: its entry (seq 2) and then its article.
        late = article(2)
        db["articles_outbox"].insert_one(
            {"_id": 2, "article_id": late["_id"], "revision": 1, "source": "", "status": "new",
             "created_at": store.outbox().read_after(0)[0].created_at}
        )  # fmt: skip
        assert Publisher(store, target, grace=0).drain().delivered == 0  # article not stored
        store._articles.insert_one({**late, "revision": 1})
        assert Publisher(store, target, grace=0).drain().delivered == 1
        ids = [d.article["_id"] for d in receiver.snapshot()]
    assert ids == [article(1)["_id"], article(4)["_id"], late["_id"]]


def test_finews_push_follow_publishes_what_arrives_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import time

    uri = f"sqlite:///{tmp_path / 'follow.sqlite3'}"
    with open_store(uri) as opened:
        opened.upsert_articles([article(1)])
    with webhook_receiver(SECRET) as receiver:
        command = finews_command(uri, "push", "--webhook", receiver.url, "--secret", SECRET)
        follower = subprocess.Popen(
            [*command, "--follow", "--interval", "0.2", "--from-now"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + CLI_TIMEOUT
            with open_store(uri) as opened:
                while opened.get_checkpoint(f"push:webhook:{receiver.url}") is None:
                    assert time.monotonic() < deadline and follower.poll() is None
                    time.sleep(0.1)
                opened.upsert_articles([article(2), article(3)])
            while len(receiver.snapshot()) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            follower.send_signal(signal.SIGTERM)
            _, err = follower.communicate(timeout=CLI_TIMEOUT)
        finally:
            if follower.poll() is None:
                follower.kill()
        ids = [d.article["_id"] for d in receiver.snapshot()]
    assert ids == [article(2)["_id"], article(3)["_id"]]  # --from-now: not article 1
    assert follower.returncode == 0, err
    assert "2 delivered" in err


def test_finews_push_prune_deletes_what_the_named_targets_acknowledged(
    tmp_path: Path, redis_server
) -> None:
    import redis

    uri = f"sqlite:///{tmp_path / 'prune.sqlite3'}"
    with open_store(uri) as opened:
        opened.upsert_articles([article(1), article(2)])
    stream = "push-prune-test"
    client = redis.Redis.from_url(redis_server.url)
    client.delete(stream)
    with webhook_receiver(SECRET) as receiver:
        hook = finews_command(uri, "push", "--webhook", receiver.url, "--secret", SECRET)
        first = subprocess.run([*hook, "--prune"], capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        assert "2 delivered, 0 dead letters, 2 outbox entries pruned" in first.stderr
        with open_store(uri) as opened:
            assert opened.outbox().read_after(0) == []
            opened.upsert_articles([article(3)])
            assert [e.seq for e in opened.outbox().read_after(0)] == [3]  # never reused
        both = [*hook, "--redis", redis_server.url, "--stream", stream, "--prune"]
        second = subprocess.run(both, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        assert "1 outbox entries pruned" in second.stderr
        hooked = [d.article["_id"] for d in receiver.snapshot()]
    assert hooked == [article(1)["_id"], article(2)["_id"], article(3)["_id"]]
    # A target added after a prune starts at what is left: article 3 only.
    assert [f[b"_id"].decode() for _, f in client.xrange(stream)] == [article(3)["_id"]]
