"""Feed spiders against the mock site: feed fields carried, incremental paging, refresh, failures.

Crawls run as real `finews crawl` subprocesses (bounded by timeouts) into real SQLite files;
what was fetched is read from the mock site's own request log.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finews_crawler.config import project_settings
from finews_crawler.crawl.incremental import parse_since
from finews_crawler.crawl.middlewares import retry_after_seconds
from finews_crawler.sources import ExtractionError, Page, adapter_for, configure_sources
from finews_crawler.storage import open_store
from mocksite import render
from mocksite.corpus import MockCorpus
from tests.crawl_helpers import crawl_command as store_crawl_command
from tests.crawl_helpers import finews_command

CRAWL_TIMEOUT = 180
TEXT_API = "/NewsData/GetNewsText.do?id="


@pytest.fixture(autouse=True)
def feed_host_declared() -> Iterator[None]:
    """The pages built here come from `feed.test`, declared as the feed host like a user's
    FINEWS_FEED_BASE would (feed paths are East Money's only on its configured hosts)."""
    configure_sources({**project_settings().copy_to_dict(), "FINEWS_FEED_BASE": "http://feed.test"})
    yield
    configure_sources(project_settings())


def crawl_command(store: Path, spider: str, base: str, *extra: str) -> list[str]:
    """`finews --store ... crawl SPIDER` against a mock site on every configured host."""
    hosts = ("FINEWS_FEED_BASE", "FINEWS_MARKET_FEED_BASE", "FINEWS_SHARE_BASE")
    settings = [f"{name}={base}" for name in hosts] + ["FINEWS_STORE_FLUSH_SECONDS=0.5"]
    options = [arg for setting in settings for arg in ("-s", setting)]
    return store_crawl_command(f"sqlite:///{store}", spider, *options, *extra)


def run_crawl(
    store: Path, spider: str, base: str, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        crawl_command(store, spider, base, *extra),
        cwd=store.parent,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
    )


def text_api_counts(log: dict[str, Any]) -> Counter[str]:
    """Article id -> how often its text API was requested, from the mock's /_log."""
    counts: Counter[str] = Counter()
    for path, n in log["requests"].items():
        if path.startswith(TEXT_API):
            counts[path[len(TEXT_API) :].removeprefix("NW")] += n
    return counts


def stored_ids(store: Path) -> set[str]:
    with open_store(f"sqlite:///{store}") as opened:
        return {article["_id"] for article in opened.iter_articles()}


# ---- adapter: feed JSON -> follow-ups -------------------------------------------------------


def test_feed_entries_carry_the_feed_fields():
    corpus = MockCorpus(7, 12)
    article = corpus.article(11)
    market = "/information/newmarket/web/webapi?marketType=38"
    feeds = {
        "emnews": (
            {"records": [render.feed_102_record(article, "http://x")]},
            "/web/webapi?type=102",
        ),
        "emmedia": ({"nodeList": [render.feed_45_node(article)]}, "/web/webapi?type=45"),
        "emmarket38": ({"record": [render.market_record(article)]}, market),
    }
    for feed, (payload, path) in feeds.items():
        page = Page(
            url=f"http://feed.test{path}&count=100&page=1",
            text=json.dumps(payload, ensure_ascii=False),
            content_type="application/json",
            context={"feed": feed, "feed_page": 1, "article_base": "http://articles.test"},
        )
        (entry,) = adapter_for(page.url).navigate(page)
        assert entry.url == f"http://articles.test/NewsData/GetNewsText.do?id={article.info_code}"
        context = entry.context
        assert context["article_id"] == article.id
        assert context["feed_title"] == article.title
        assert context["feed_published"] == article.showtime
        assert context["entry_url"].endswith(f"NewsShare.html?infoCode={article.info_code}")
        if feed == "emnews":
            assert context["feed_summary"] == article.summary  # 【title】 prefix dropped
            assert (context["category"], context["tags"]) == ("emnews", ["东财滚动新闻"])
        else:
            assert context["feed_media"] == article.media
            assert context["tags"] == [f"{article.media}新闻"]


def test_a_page_that_is_not_a_feed_is_an_extraction_error():
    page = Page(url="http://feed.test/web/webapi?type=102", text='{"error": "busy"}')
    adapter = adapter_for(page.url)
    with pytest.raises(ExtractionError, match="no records/nodeList/record list"):
        adapter.navigate(page)
    with pytest.raises(ExtractionError, match="no records/nodeList/record list"):
        adapter.extract(page)


def test_feed_entries_that_cannot_be_followed_are_named_with_their_index():
    corpus = MockCorpus(7, 3)
    good = render.feed_102_record(corpus.article(2), "http://x")
    no_code = {**render.feed_102_record(corpus.article(1), "http://x"), "infoCode": "NW12"}
    page = Page(
        url="http://feed.test/web/webapi?type=102&count=100&page=1",
        text=json.dumps({"records": [good, None, no_code, "x"]}),
        context={"feed": "emnews", "feed_page": 1, "feed_carry": {"ids": []}},
    )
    listing = adapter_for(page.url).read_feed(page)
    assert [entry.context["article_id"] for entry in listing.entries] == [corpus.article_id(2)]
    assert "feed_page" not in listing.entries[0].context  # paging state stays on the page
    assert [index for index, _ in listing.problems] == [1, 2, 3]
    assert "is NoneType, not an object" in listing.problems[0][1]
    assert "no valid infoCode" in listing.problems[1][1] and "'NW12'" in listing.problems[1][1]
    cut = Page(url=page.url, text='{"records": [{"infoC', context=page.context)
    with pytest.raises(ExtractionError) as cut_short:
        adapter_for(page.url).read_feed(cut)
    assert cut_short.value.retriable  # JSON cut short is fetched again before a record


def test_since_and_retry_after_parsing():
    from datetime import UTC, datetime, timedelta

    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_since("6h", now) == now - timedelta(hours=6)
    assert parse_since("2d", now) == now - timedelta(days=2)
    assert parse_since("2024-05-01 08:00") == datetime(2024, 5, 1, 0, 0, tzinfo=UTC)  # +08:00
    with pytest.raises(ValueError, match="since="):
        parse_since("yesterday-ish")
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("Wed, 01 May 2024 12:00:30 GMT", now=now.timestamp()) == 30.0
    assert retry_after_seconds(b"soon") is None and retry_after_seconds(None) is None


# ---- crawls ---------------------------------------------------------------------------------


def test_all_feeds_in_one_crawl_fetch_each_article_once(start_mock_site, tmp_path):
    site = start_mock_site(articles=90)
    store = tmp_path / "feeds.sqlite3"
    result = run_crawl(store, "feeds", site.base_url, "-a", "count=20")
    assert result.returncode == 0, result.stderr[-2000:]
    truth = {site.corpus.article(i).id: site.corpus.article(i) for i in range(90)}
    assert stored_ids(store) == set(truth)
    counts = text_api_counts(site.get_json("/_log"))
    assert set(counts) == set(truth) and set(counts.values()) == {1}  # met in 2-3 feeds each
    with open_store(f"sqlite:///{store}") as opened:
        for article_id, mock in list(truth.items())[:10]:
            stored = opened.get_article(article_id)
            assert stored["title"] == mock.title
            assert stored["media"] == mock.media
            assert stored["category"] and stored["tags"]


def test_incremental_max_pages_since_and_refresh(start_mock_site, tmp_path):
    site = start_mock_site(articles=100)
    corpus = site.corpus
    store = tmp_path / "inc.sqlite3"

    first = run_crawl(store, "emnews", site.base_url, "-a", "count=10", "-a", "max_pages=2")
    assert first.returncode == 0, first.stderr[-2000:]
    assert stored_ids(store) == {corpus.article(i).id for i in range(80, 100)}  # newest 20

    since = corpus.article(60).showtime  # Beijing time, as the feeds show it
    second = run_crawl(store, "emnews", site.base_url, "-a", "count=10", "-a", f"since={since}")
    assert second.returncode == 0, second.stderr[-2000:]
    assert stored_ids(store) == {corpus.article(i).id for i in range(60, 100)}

    site.get_json("/_admin/edit?i=99")
    before = text_api_counts(site.get_json("/_log"))
    third = run_crawl(
        store, "emnews", site.base_url, "-a", "count=10", "-a", "max_pages=1", "-a", "refresh=1"
    )
    assert third.returncode == 0, third.stderr[-2000:]
    fetched = text_api_counts(site.get_json("/_log")) - before
    assert set(fetched) == {corpus.article(i).id for i in range(90, 100)}  # page 1 again
    assert "10 new" not in third.stderr and "1 updated, 9 unchanged" in third.stderr
    with open_store(f"sqlite:///{store}") as opened:
        edited = opened.get_article(corpus.article(99).id)
    assert edited["title"] == site.get_json(f"/_truth/{corpus.article(99).id}.json")["title"]
    assert edited["revision"] == 2


def test_a_failing_feed_page_is_recorded_and_fails_the_crawl(start_mock_site, tmp_path):
    """A page-number feed goes on after a failed page, up to FINEWS_FEED_MAX_FAILED_PAGES (3)
    failures in a row; each failed page has its record; the feed is unfinished."""
    site = start_mock_site(articles=10)
    store = tmp_path / "bad.sqlite3"
    result = run_crawl(store, "emnews", site.base_url + "/gone", "-s", "RETRY_TIMES=0")
    assert result.returncode == 1
    assert "unfinished feeds 1" in result.stderr
    with open_store(f"sqlite:///{store}") as opened:
        failures = list(opened.iter_failures())
    assert [failure["reason"] for failure in failures] == ["HTTP 404"] * 3
    assert sorted(failure["url"].rsplit("page=", 1)[1] for failure in failures) == ["1", "2", "3"]
    assert all("/gone/web/webapi?type=102" in failure["url"] for failure in failures)


def test_a_feed_page_fetched_again_keeps_paging(start_mock_site, tmp_path):
    """An unusable answer for a feed page is fetched again as a feed page: its entries go
    through the pager and paging goes on to the next pages (no article silently missed)."""
    rule = r"webapi\?type=102&count=20&newsid=1&page=1$=empty:1"
    site = start_mock_site(articles=60, extra_args=("--fault-rule", rule))
    store = tmp_path / "refetched.sqlite3"
    result = run_crawl(store, "emnews", site.base_url, "-a", "count=20")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "retries 1" in result.stderr
    assert stored_ids(store) == {site.corpus.article_id(i) for i in range(60)}


# ---- the pager's guarantees: nothing lost, paging bounded -----------------------------------


def feed_page_ids(corpus: MockCorpus, page: int, count: int) -> set[str]:
    """The ids the rolling feed (type=102) lists on `page` (the mock's own paging rule)."""
    top = corpus.count - 1 - (page - 1) * count
    return {corpus.article_id(i) for i in range(top, max(top - count, -1), -1)}


def failure_records(store: Path) -> list[dict[str, Any]]:
    with open_store(f"sqlite:///{store}") as opened:
        return list(opened.iter_failures())


def test_a_feed_page_failing_every_attempt_is_caught_up_once_healed(start_mock_site, tmp_path):
    """Issue 11, row 1 (smaller): page 5 answers 500 on every attempt. The run records it,
    pages on past it and exits non-zero; once the host is healed the next plain run pages
    through the gap, stores every article exactly once and clears the record."""
    articles, count = 600, 50
    rule = ("--fault-rule", r"type=102.*page=5$=http500")
    site = start_mock_site(articles=articles, extra_args=rule)
    store = tmp_path / "healed.sqlite3"
    first = run_crawl(store, "emnews", site.base_url, "-a", f"count={count}")
    assert first.returncode == 1, first.stderr[-2000:]
    assert "unfinished feeds 1" in first.stderr
    truth = {site.corpus.article_id(i) for i in range(articles)}
    page_5 = feed_page_ids(site.corpus, 5, count)
    assert stored_ids(store) == truth - page_5  # every other page was read
    (record,) = failure_records(store)
    assert record["reason"] == "HTTP 500" and record["url"].endswith("&page=5")
    site.stop()

    healed = start_mock_site(articles=articles)
    for _ in range(2):  # at most two more plain runs
        again = run_crawl(store, "emnews", healed.base_url, "-a", f"count={count}")
        if again.returncode == 0:
            break
    assert again.returncode == 0, again.stderr[-2000:]
    assert "unfinished" not in again.stderr
    with open_store(f"sqlite:///{store}") as opened:
        assert opened.count_articles() == articles
    assert stored_ids(store) == truth and failure_records(store) == []
    fetched = text_api_counts(healed.get_json("/_log"))
    assert set(fetched) == page_5 and set(fetched.values()) == {1}  # only the gap, once each


def test_a_host_ignoring_the_paging_parameter_stops_with_a_record(start_mock_site, tmp_path):
    """Issue 11, row 6: every page answers page 1. A backfill (since) and a refresh run each
    stop at page 2 with a WARNING and a failure record, instead of paging for ever."""
    site = start_mock_site(articles=120, extra_args=("--fault-rule", "type=102=ignore-paging"))
    for name, extra in (("since", "since=2000-01-01"), ("refresh", "refresh=1")):
        store = tmp_path / f"{name}.sqlite3"
        before = site.get_json("/_log")["requests"]
        result = run_crawl(store, "emnews", site.base_url, "-a", "count=50", "-a", extra)
        assert result.returncode == 1, result.stderr[-2000:]
        assert "repeats the previous page's entries" in result.stderr  # the WARNING line
        (record,) = failure_records(store)
        assert record["url"].endswith("&page=2") and "repeats" in record["reason"]
        after = site.get_json("/_log")["requests"]
        pages = sorted(
            path.rsplit("page=", 1)[1]
            for path, n in after.items()
            if "type=102" in path and n > before.get(path, 0)
        )
        assert pages == ["1", "2"]
        assert stored_ids(store) == feed_page_ids(site.corpus, 1, 50)


def test_feed_entries_that_are_not_objects_are_recorded(start_mock_site, tmp_path):
    """A string, a null and a list among page 1's entries: one failure record each (feed URL
    and index), the other entries stored, the feed unfinished until the page is clean."""
    corpus = MockCorpus(7, 30)
    query = "type=102&count=10&newsid=1&page=1"
    records = [render.feed_102_record(corpus.article(i), "http://x") for i in range(29, 19, -1)]
    records[3:3] = ["not an entry", None, [1, 2]]
    case = tmp_path / "cases" / "feed-bad-entries"
    case.mkdir(parents=True)
    (case / "meta.json").write_text(
        json.dumps({"url": f"http://x/web/webapi?{query}", "content_type": "application/json"})
    )
    (case / "input.json").write_text(json.dumps({"records": records}), encoding="utf-8")
    site = start_mock_site(articles=30, extra_args=("--serve-cases", str(case.parent)))
    store = tmp_path / "entries.sqlite3"
    result = run_crawl(store, "emnews", site.base_url, "-a", "count=10")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "unfinished feeds 1" in result.stderr
    found = {record["url"].rsplit("#", 1)[1]: record for record in failure_records(store)}
    assert set(found) == {"entry-3", "entry-4", "entry-5"}
    assert "is str, not an object" in found["entry-3"]["reason"]
    assert "is NoneType, not an object" in found["entry-4"]["reason"]
    assert "is list, not an object" in found["entry-5"]["reason"]
    assert all(query in record["url"] for record in found.values())
    assert stored_ids(store) == {corpus.article_id(i) for i in range(30)}
    site.stop()

    clean = start_mock_site(articles=30)
    result = run_crawl(store, "emnews", clean.base_url, "-a", "count=10")
    assert result.returncode == 0, result.stderr[-2000:]
    assert failure_records(store) == []  # the feed is complete: its records are resolved


def test_retry_failures_crawls_the_feed_of_a_feed_page_record(start_mock_site, tmp_path):
    """`finews retry-failures` on a feed page's record crawls that feed again: it pages to
    the gap, stores what the page listed, and the record is cleared (the feed is complete)."""
    articles, count = 200, 20
    rule = ("--fault-rule", r"type=102.*page=3$=http503")
    site = start_mock_site(articles=articles, extra_args=rule)
    store = tmp_path / "retry.sqlite3"
    first = run_crawl(store, "emnews", site.base_url, "-a", f"count={count}", "-s", "RETRY_TIMES=0")
    assert first.returncode == 1, first.stderr[-2000:]
    assert [record["url"][-7:] for record in failure_records(store)] == ["&page=3"]
    site.stop()

    healed = start_mock_site(articles=articles)
    hosts = ("FINEWS_FEED_BASE", "FINEWS_MARKET_FEED_BASE", "FINEWS_SHARE_BASE")
    settings = [arg for name in hosts for arg in ("-s", f"{name}={healed.base_url}")]
    command = finews_command(f"sqlite:///{store}", "retry-failures", *settings)
    dry = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0 and dry.stdout.split() == ["emnews", "feeds=emnews"]
    again = subprocess.run(command, capture_output=True, text=True, timeout=CRAWL_TIMEOUT)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "0 failure record(s) left" in again.stderr
    assert stored_ids(store) == {site.corpus.article_id(i) for i in range(articles)}
    fetched = text_api_counts(healed.get_json("/_log"))
    assert set(fetched) == feed_page_ids(site.corpus, 3, count)  # the gap only
