"""The query layer (issue 16, points 1-2): `finews articles|runs|failures`, exports and
`finews serve` answer the same questions the same way, on SQLite and on MongoDB.

The store is built the way crawled articles arrive: mock text-API pages through
`pipelines.chain.ingest_pages`. Which article mentions which stock, its media, title and body
are the mock generator's truth; publish times follow one rule written here (article i is
published 7 + 15*i minutes before the test starts, so none sits near the `1d` boundary).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from finews_crawler.exporters.filters import FilterError, article_query
from finews_crawler.exporters.present import failure_id
from finews_crawler.parsing.dates import SOURCE_TZ
from finews_crawler.storage import FailureQuery, RunQuery, Store, open_store
from finews_crawler.storage.query import encode_cursor
from mocksite import MockCorpus
from mocksite.render import text_api
from pipelines.chain import ingest_pages
from tests.crawl_helpers import finews_command
from tests.site_check import mock_page

ARTICLES = 150
SEED = 16
STEP_MINUTES = 15
FIRST_MINUTES = 7
CALL_TIMEOUT = 120
SERVER_START_SECONDS = 30


def published(start: datetime, i: int) -> datetime:
    """The rule: article i is published FIRST + STEP*i minutes before `start` (seconds cut)."""
    moment = start - timedelta(minutes=FIRST_MINUTES + STEP_MINUTES * i)
    return moment.replace(second=0, microsecond=0)


class World:
    """A store of ARTICLES mock articles and what the generator says about each."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.start = datetime.now(UTC)
        corpus = MockCorpus(SEED, ARTICLES)
        self.truth: list[dict[str, Any]] = []
        pages = []
        for i in range(ARTICLES):
            article = corpus.article(i)
            data = text_api(article)
            when = published(self.start, i)
            data["showTime"] = when.astimezone(SOURCE_TZ).strftime("%Y-%m-%d %H:%M:%S")
            pages.append(mock_page(article.info_code, data))
            self.truth.append({**article.truth(), "published": when})
        with open_store(uri) as store:
            results = ingest_pages(pages, store)
        assert [r.status for r in results] == ["new"] * ARTICLES, [r.failure for r in results]

    def ids(self, keep) -> list[str]:
        """Ids of the articles `keep` accepts, newest first (i ascending = newer first)."""
        return [t["id"] for t in self.truth if keep(t)]

    def common_stocks(self, n: int) -> list[dict[str, Any]]:
        """The n securities most articles mention (with their market), from the truth."""
        counts = Counter(
            (s["code"], s["market"], s["secid"]) for t in self.truth for s in t["stocks"]
        )
        return [
            {"code": code, "market": market, "secid": secid}
            for (code, market, secid), _ in counts.most_common()
            if market in ("SH", "SZ")
        ][:n]


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(f"sqlite:///{tmp_path_factory.mktemp('query') / 'store.sqlite3'}")


@pytest.fixture(params=["sqlite", "mongodb"])
def world(request: pytest.FixtureRequest) -> World:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_world")
    return World(request.getfixturevalue("mongo_store_uri"))


def found(store: Store, **filters: Any) -> list[str]:
    return [a["_id"] for a in store.find_articles(article_query(store, limit=1000, **filters))]


def notations(stock: dict[str, Any]) -> list[str]:
    code, market = stock["code"], stock["market"]
    return [code, f"{code}.{market}", f"{market}{code}", f"{market.lower()}{code}", stock["secid"]]


# ---- the query layer on both stores ---------------------------------------------------------


def test_stock_in_every_notation_finds_the_articles_that_mention_it(world: World) -> None:
    with open_store(world.uri) as store:
        for stock in world.common_stocks(3):
            expected = world.ids(lambda t, s=stock: s["code"] in {x["code"] for x in t["stocks"]})
            assert expected
            for notation in notations(stock):
                assert found(store, stock=notation) == expected, notation


def test_a_stock_name_resolves_through_the_names_articles_give(world: World) -> None:
    named = Counter(s["name"] for t in world.truth for s in t["stocks"] if s["name"])
    name = named.most_common(1)[0][0]
    codes = {s["code"] for t in world.truth for s in t["stocks"] if s["name"] == name}
    expected = world.ids(lambda t: bool(codes & {s["code"] for s in t["stocks"]}))
    with open_store(world.uri) as store:
        assert found(store, stock=name) == expected
        with pytest.raises(FilterError, match="unknown stock"):
            found(store, stock="没有这家公司")


def test_media_text_since_until_and_source_filters(world: World) -> None:
    media = Counter(t["media"] for t in world.truth).most_common(1)[0][0]
    part = media[1:3]
    word = world.truth[5]["title"][2:5]
    with open_store(world.uri) as store:
        assert found(store, media=part) == world.ids(lambda t: part in (t["media"] or ""))
        assert found(store, text=word) == world.ids(
            lambda t: word in t["title"] or word in t["body_text"]
        )
        day_ago = world.start - timedelta(days=1)
        assert found(store, since="1d") == world.ids(lambda t: t["published"] >= day_ago)
        until = published(world.start, 40).astimezone(SOURCE_TZ).strftime("%Y-%m-%dT%H:%M")
        assert found(store, until=until) == world.ids(
            lambda t: t["published"] < published(world.start, 40)
        )
        assert found(store, source="eastmoney") == world.ids(lambda t: True)
        assert found(store, source="generic") == []
        with pytest.raises(FilterError, match="unknown source 'nosuchsource'"):
            found(store, source="nosuchsource")  # a typo is said, not an empty answer
        with pytest.raises(FilterError, match="stored as source 'eastmoney'"):
            found(store, source="emfast")  # a route to East Money's articles says where they are
        stock = world.common_stocks(1)[0]
        assert found(store, stock=f"{stock['code']}.{stock['market']}", since="1d") == world.ids(
            lambda t: (
                t["published"] >= day_ago and stock["code"] in {s["code"] for s in t["stocks"]}
            )
        )


def test_cursor_pages_cover_everything_once_newest_first(world: World) -> None:
    seen: list[str] = []
    cursor = None
    with open_store(world.uri) as store:
        for _ in range(ARTICLES):  # bounded: at most one page per article
            query = article_query(store, limit=7, cursor=cursor)
            page = list(store.find_articles(query))
            seen.extend(a["_id"] for a in page)
            if len(page) < 7:
                break
            cursor = encode_cursor(page[-1])
    assert seen == world.ids(lambda t: True)


def test_bad_filter_values_are_named(sqlite_world: World) -> None:
    with open_store(sqlite_world.uri) as store:
        for filters, word in (
            ({"since": "yesterday-ish"}, "since"),
            ({"cursor": "!!!"}, "cursor"),
            ({"limit": "0"}, "limit"),
            ({"importance": "9"}, "importance"),
        ):
            with pytest.raises(FilterError, match=word):
                article_query(store, **filters)


# ---- CLI ------------------------------------------------------------------------------------


def finews(uri: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        finews_command(uri, *args), capture_output=True, text=True, timeout=CALL_TIMEOUT
    )


def test_export_jsonl_takes_any_stock_notation(sqlite_world: World) -> None:
    stock = sqlite_world.common_stocks(1)[0]
    expected = set(sqlite_world.ids(lambda t: stock["code"] in {s["code"] for s in t["stocks"]}))
    for notation in (f"{stock['code']}.{stock['market']}", f"{stock['market']}{stock['code']}"):
        done = finews(sqlite_world.uri, "export", "jsonl", "--stock", notation)
        assert done.returncode == 0, done.stderr
        assert {json.loads(line)["_id"] for line in done.stdout.splitlines()} == expected


def test_articles_table_shows_beijing_time_and_an_unknown_stock_is_exit_2(
    sqlite_world: World,
) -> None:
    done = finews(sqlite_world.uri, "articles", "--limit", "3", "--table")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    newest = sqlite_world.truth[0]
    assert lines[0].startswith(newest["published"].astimezone(SOURCE_TZ).strftime("%Y-%m-%d %H:%M"))
    assert newest["id"] in lines[0] and newest["title"] in lines[0]
    assert "more with --cursor" in done.stderr
    bad = finews(sqlite_world.uri, "articles", "--stock", "没有这家公司")
    assert bad.returncode == 2 and "unknown stock" in bad.stderr


def test_runs_and_failures_commands(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    start = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    with open_store(uri) as store:
        for n, spider in enumerate(("emnews", "emfast", "emnews")):
            store.record_run(
                {
                    "_id": f"run-{n}",
                    "spider": spider,
                    "started_at": start + timedelta(hours=n),
                    "finished_at": start + timedelta(hours=n, minutes=5),
                    "finish_reason": "finished",
                    "counts": {"new": n, "updated": 0, "unchanged": 1, "failures": n % 2},
                    "exit_status": n % 2,
                }
            )
        for url, stage, retriable in (
            ("http://a.test/1", "fetch", True),
            ("http://a.test/2", "extract", False),
            ("http://b.test/3", "fetch", False),
        ):
            store.record_failure(
                {"url": url, "stage": stage, "reason": f"why {url}", "retriable": retriable}
            )
    runs = finews(uri, "runs", "--json")
    assert runs.returncode == 0, runs.stderr
    records = [json.loads(line) for line in runs.stdout.splitlines()]
    assert [r["_id"] for r in records] == ["run-2", "run-1", "run-0"]
    assert records[0]["started_at"] == "2026-05-01T11:00:00+08:00"
    emnews = finews(uri, "runs", "--spider", "emnews")
    assert [line.split()[-1] for line in emnews.stdout.splitlines()] == ["run-2", "run-0"]
    assert "2026-05-01 11:00  emnews" in emnews.stdout and "finished" in emnews.stdout

    listing = finews(uri, "failures")
    assert listing.returncode == 0 and "3 failure record(s)" in listing.stderr
    assert f"{failure_id('http://a.test/1')}  " in listing.stdout and "+08:00" in listing.stdout
    fetches = finews(uri, "failures", "--stage", "fetch", "--permanent", "--json")
    assert [json.loads(line)["url"] for line in fetches.stdout.splitlines()] == ["http://b.test/3"]
    texts = finews(uri, "failures", "--text", "A.TEST", "--json")
    assert {json.loads(line)["url"] for line in texts.stdout.splitlines()} == {
        "http://a.test/1",
        "http://a.test/2",
    }
    assert finews(uri, "failures", "dismiss", failure_id("http://a.test/1")).returncode == 0
    assert finews(uri, "failures", "dismiss", "--url", "http://b.test/3").returncode == 0
    assert finews(uri, "failures", "dismiss", "--url", "http://b.test/3").returncode == 1
    with open_store(uri) as store:
        assert [f["url"] for f in store.find_failures(FailureQuery())] == ["http://a.test/2"]
        assert [r["_id"] for r in store.find_runs(RunQuery(spider="emfast"))] == ["run-1"]


# ---- the HTTP API over real HTTP --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Api:
    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, **params: Any) -> tuple[int, str]:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = f"{self.base}{urllib.parse.quote(path)}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                return answer.status, answer.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def json(self, path: str, **params: Any) -> Any:
        status, body = self.get(path, **params)
        assert status == 200, body
        return json.loads(body)


@pytest.fixture
def api(world: World) -> Iterator[Api]:
    port = free_port()
    server = subprocess.Popen(
        [*finews_command(world.uri, "serve", "--port", str(port))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = Api(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:  # bounded wait for the server to listen
            try:
                if client.get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"finews serve did not start: {server.communicate(timeout=5)}")
            time.sleep(0.2)
        yield client
    finally:
        server.terminate()
        try:
            server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def test_done_when_cli_and_api_return_the_same_articles(world: World, api: Api) -> None:
    """`finews articles --stock X.SH --since 1d --json` == `/articles?stock=X.SH&since=1d`."""
    day_ago = world.start - timedelta(days=1)
    for stock in world.common_stocks(2):
        notation = f"{stock['code']}.{stock['market']}"
        cli = finews(world.uri, "articles", "--stock", notation, "--since", "1d", "--json",
                     "--limit", "1000")  # fmt: skip
        assert cli.returncode == 0, cli.stderr
        from_cli = [json.loads(line) for line in cli.stdout.splitlines()]
        from_api = api.json("/articles", stock=notation, since="1d", limit=1000)["articles"]
        expected = world.ids(
            lambda t, s=stock: (
                t["published"] >= day_ago and s["code"] in {x["code"] for x in t["stocks"]}
            )
        )
        assert expected
        assert [a["_id"] for a in from_cli] == [a["_id"] for a in from_api] == expected
        assert from_cli == from_api  # the same records, shown the same way
        assert from_api[0]["published_at"].endswith("+08:00")
        by_path = api.json(f"/stocks/{stock['market']}{stock['code']}/articles", since="1d",
                           limit=1000)  # fmt: skip
        assert [a["_id"] for a in by_path["articles"]] == expected


def test_api_pages_with_cursors_and_serves_one_article(world: World, api: Api) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(ARTICLES):
        page = api.json("/articles", limit=40, cursor=cursor)
        seen.extend(a["_id"] for a in page["articles"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == world.ids(lambda t: True)
    first = world.truth[0]
    article = api.json(f"/articles/{first['id']}")
    assert article["title"] == first["title"] and article["body_text"] == first["body_text"]
    assert api.get("/articles/nope")[0] == 404
    status, body = api.get("/articles", since="whenever")
    assert status == 400 and "since" in json.loads(body)["detail"]
    status, body = api.get("/articles", stock="没有这个名字的股票")
    assert status == 400 and "unknown stock" in json.loads(body)["detail"]
    assert api.get("/articles", limit=5000)[0] == 422  # out of the route's range (README)


def test_api_runs_failures_health_metrics_and_docs(world: World, api: Api) -> None:
    started = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    with open_store(world.uri) as store:
        store.record_run(
            {
                "_id": "api-run",
                "spider": "emnews",
                "started_at": started,
                "finished_at": started + timedelta(minutes=2),
                "finish_reason": "finished",
                "counts": {"new": 3, "updated": 0, "unchanged": 0, "failures": 1},
                "exit_status": 1,
            }
        )
        store.record_failure({"url": "http://x.test/1", "stage": "fetch", "reason": "HTTP 500"})
    runs = api.json("/runs", spider="emnews")["runs"]
    assert runs[0]["_id"] == "api-run" and runs[0]["started_at"] == "2026-05-01T09:00:00+08:00"
    failures = api.json("/failures", text="x.test")["failures"]
    assert [f["id"] for f in failures] == [failure_id("http://x.test/1")]
    assert api.json("/healthz")["articles"] == ARTICLES

    status, text = api.get("/metrics")
    assert status == 200
    samples = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert samples["finews_articles_stored"] == str(ARTICLES)
    assert samples['finews_failure_records{stage="fetch"}'] == "1"
    assert samples['finews_last_run_exit_status{spider="emnews"}'] == "1"
    assert samples['finews_last_run_articles{spider="emnews",outcome="new"}'] == "3"
    assert float(samples['finews_last_run_start_timestamp_seconds{spider="emnews"}']) == (
        started.timestamp()
    )
    # the newest article was published FIRST_MINUTES before the store was built (the rule)
    assert float(samples['finews_newest_article_age_seconds{source="eastmoney"}']) >= (
        FIRST_MINUTES * 60
    )

    status, docs = api.get("/docs")
    assert status == 200 and "swagger" in docs.lower()
    paths = api.json("/openapi.json")["paths"]
    for path in ("/articles", "/articles/{article_id}", "/stocks/{code}/articles", "/runs",
                 "/failures", "/healthz", "/metrics"):  # fmt: skip
        assert path in paths


def test_serve_without_a_reachable_store_is_one_line_and_exit_2() -> None:
    port = free_port()
    done = subprocess.run(
        [sys.executable, "-m", "finews_crawler.cli", "--store",
         f"mongodb://127.0.0.1:{port}/x?serverSelectionTimeoutMS=500", "serve",
         "--port", str(free_port())],
        capture_output=True, text=True, timeout=CALL_TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_store_file_from_before_the_stock_index_is_indexed_when_opened(tmp_path: Path) -> None:
    """SQLite keeps stock codes in `article_stocks`; a file written without it (an older
    version) gets it filled from the stored documents when opened."""
    import sqlite3

    world = World(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        db.execute("DROP TABLE article_stocks")
    stock = world.common_stocks(1)[0]
    with open_store(world.uri) as store:
        assert found(store, stock=stock["code"]) == world.ids(
            lambda t: stock["code"] in {s["code"] for s in t["stocks"]}
        )


@pytest.mark.parametrize("backend", ["sqlite", "mongodb"])
def test_importance_is_a_minimum(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    """Articles whose source marks importance (the emfast wire: 0, 1, 2) or does not (None)."""
    uri = (
        f"sqlite:///{tmp_path / 'importance.sqlite3'}"
        if backend == "sqlite"
        else request.getfixturevalue("mongo_store_uri")
    )
    corpus = MockCorpus(SEED, 8)
    marks = [None, 0, 1, 2, None, 2, 1, 0]
    start = datetime.now(UTC)
    articles = []
    for i, mark in enumerate(marks):
        truth = corpus.article(i).truth()
        articles.append(
            {
                "_id": truth["id"],
                "source": "eastmoney",
                "title": truth["title"],
                "published_at": published(start, i),
                "body_text": truth["body_text"],
                "stocks": truth["stocks"],
                "importance": mark,
            }
        )
    with open_store(uri) as store:
        store.upsert_articles(articles)
        for least in (0, 1, 2):
            expected = [
                a["_id"]
                for a in articles
                if a["importance"] is not None and a["importance"] >= least
            ]
            assert found(store, importance=least) == expected


def test_names_resolve_through_the_security_master(tmp_path: Path) -> None:
    """A name the store's security master knows (storage/securities.py) resolves to its codes,
    before any article names it; an unknown name resolves to nothing."""
    from finews_crawler.exporters.filters import names_of

    with open_store(f"sqlite:///{tmp_path}/master.sqlite3") as store:
        seen = "2026-06-05T00:00:00+00:00"
        store.securities.upsert(
            [
                {
                    "code": "600519",
                    "market": "SH",
                    "kind": "stock",
                    "secid": "1.600519",
                    "name": "贵州茅台",
                    "learned_from": "test",
                    "seen": seen,
                },
                {
                    "code": "00700",
                    "market": "HK",
                    "kind": "stock",
                    "secid": "116.00700",
                    "name": "腾讯控股",
                    "learned_from": "test",
                    "seen": seen,
                },
            ]
        )
        lookup = names_of(store)
        assert lookup("贵州茅台") == {"600519"}
        assert lookup("腾讯控股") == {"00700"}
        assert lookup("茅台") == set()  # exact names only
        assert lookup("不存在") == set()


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("600519", "600519"),
        ("600519.SH", "600519"),
        ("600519.ss", "600519"),
        ("SH600519", "600519"),
        ("sz000001", "000001"),
        ("1.600519", "600519"),
        ("0.000001", "000001"),
        ("00700.HK", "00700"),
        ("0700.HK", "00700"),
        ("HK00700", "00700"),
        ("116.00700", "00700"),
        ("AAPL.US", "AAPL"),
        ("105.AAPL", "AAPL"),
        ("aapl", "AAPL"),
        ("贵州茅台", None),
        ("", None),
    ],
)
def test_stock_notations_resolve_to_the_stored_code(typed: str, code: str | None) -> None:
    """The notations README "Querying the store" lists, each to the `stocks[].code` the
    parsers store (parsing/stocks/markets.py: 6 digits, HK 5 digits, US tickers upper case)."""
    from finews_crawler.parsing.stock_query import stock_code

    assert stock_code(typed) == code
