"""End to end: the real `finews crawl newsshare` against the mock site, into a SQLite file."""

from __future__ import annotations

import pytest

from finews_crawler.parsing.dates import parse_datetime
from finews_crawler.storage import open_store
from tests.conftest import launch_mock_site
from tests.crawl_helpers import crawl, write_urls
from tests.stock_truth import named_in_text, shown
from tests.stub_server import stub_server

ARTICLES = 240
CHECKED_FIELDS = ("title", "media", "body_text", "stocks", "boards", "images")


@pytest.fixture(scope="module")
def site():
    site = launch_mock_site(ARTICLES, 23)
    yield site
    site.stop()


def test_crawl_stores_every_article_exactly_as_the_truth(site, tmp_path) -> None:
    store_uri = f"sqlite:///{tmp_path}/e2e.sqlite3"
    urls = write_urls(tmp_path / "urls.txt", (site.share_url(i) for i in range(ARTICLES)))

    first = crawl(store_uri, "newsshare", "-a", f"urls_file={urls}")
    assert first.returncode == 0, first.stderr[-2000:]
    assert f"{ARTICLES} new" in first.stderr

    with open_store(store_uri) as store:
        assert store.count_articles() == ARTICLES
        mismatches = []
        for article in store.iter_articles():
            truth = site.corpus.by_id(article["_id"]).truth()
            for name in CHECKED_FIELDS:
                got = shown(article[name]) if name == "stocks" else article[name]
                if got != truth[name]:
                    mismatches.append((article["_id"], name, got, truth[name]))
            if named_in_text(article):
                mismatches.append((article["_id"], "name tags", named_in_text(article)))
            if article["published_at"] != parse_datetime(truth["published_at"]):
                mismatches.append((article["_id"], "published_at", article["published_at"]))
            assert article["url"] == f"https://finance.eastmoney.com/a/{article['_id']}.html"
            assert article["source_url"].startswith(site.base_url)
        assert mismatches == []
        assert list(store.iter_failures()) == []
        # the store stage taught the security master every name the pages showed
        names = {(r["market"], r["code"]): r["names"] for r in store.securities.iter()}
        for i in range(ARTICLES):
            for stock in site.corpus.truth(i)["stocks"]:
                if stock["name"]:
                    assert stock["name"] in names[(stock["market"], stock["code"])]

    second = crawl(store_uri, "newsshare", "-a", f"urls_file={urls}")
    assert second.returncode == 0, second.stderr[-2000:]
    with open_store(store_uri) as store:
        latest = next(store.iter_runs(limit=1))
        assert latest["counts"]["new"] == 0
        assert latest["counts"]["unchanged"] == ARTICLES
        assert store.count_articles() == ARTICLES


def test_mirrors_and_routes_lead_to_one_record(site, tmp_path) -> None:
    """The same article via 127.0.0.1 and localhost, share page and article page: one record
    (the article-page paths are East Money's on declared mirrors only)."""
    store_uri = f"sqlite:///{tmp_path}/mirrors.sqlite3"
    article = site.corpus.article(5)
    mirror = site.base_url.replace("127.0.0.1", "localhost")
    urls = [
        site.share_url(5),
        f"{mirror}/html_News/NewsShare.html?infoCode={article.info_code}",
        f"{site.base_url}/a/{article.id}.html",
        f"{mirror}/news/1350,{article.id}.html",
    ]
    mirrors = f"FINEWS_EASTMONEY_MIRRORS={site.base_url},{mirror}"
    result = crawl(store_uri, "newsshare", "-a", "url=" + ",".join(urls), "-s", mirrors)
    assert result.returncode == 0, result.stderr[-2000:]
    with open_store(store_uri) as store:
        assert store.count_articles() == 1
        stored = store.get_article(article.id)
        assert stored["title"] == article.truth()["title"]
        # Share route and API carry the seconds; the article page only minutes: one instant wins.
        assert stored["published_at"].second in (0, parse_datetime(article.showtime).second)


def test_article_paths_on_an_undeclared_host_are_not_east_moneys(site, tmp_path) -> None:
    """`/a/<18 digits>.html` on a host nobody declared is any news page (the generic reader),
    not an East Money article; the share page is East Money's own software on any host."""
    store_uri = f"sqlite:///{tmp_path}/undeclared.sqlite3"
    article = site.corpus.article(6)
    mirror = site.base_url.replace("127.0.0.1", "localhost")
    urls = [
        f"{mirror}/a/{article.id}.html",
        f"{mirror}/html_News/NewsShare.html?infoCode={article.info_code}",
    ]
    result = crawl(store_uri, "newsshare", "-a", "url=" + ",".join(urls))
    assert result.returncode == 0, result.stderr[-2000:]
    with open_store(store_uri) as store:
        sources = sorted(doc["source"] for doc in store.iter_articles())
    assert sources == ["eastmoney", "generic"]


@pytest.fixture
def broken_mirror():
    """A mirror whose text API answers with an HTML error page instead of JSON."""
    page = b"<html><body>maintenance</body></html>"
    with stub_server(lambda path: (200, "application/json", page)) as base_url:
        yield base_url


def test_bad_input_is_recorded_and_the_crawl_goes_on(site, broken_mirror, tmp_path) -> None:
    store_uri = f"sqlite:///{tmp_path}/bad.sqlite3"
    no_code = f"{site.base_url}/html_News/NewsShare.html"
    unknown = f"{site.base_url}/html_News/NewsShare.html?infoCode=NW202201032399999999"
    not_json = f"{broken_mirror}/NewsData/GetNewsText.do?id={site.corpus.article(100).info_code}"
    good = [site.share_url(i) for i in range(3)]
    result = crawl(
        store_uri, "newsshare", "-a", "url=" + ",".join([no_code, unknown, not_json, *good])
    )

    assert result.returncode == 1  # a one-off crawl with failures exits non-zero
    assert "failures 3" in result.stderr
    with open_store(store_uri) as store:
        assert store.count_articles() == 3
        failures = {failure["url"]: failure for failure in store.iter_failures()}
    assert set(failures) == {no_code, unknown, not_json}
    assert "no valid infoCode" in failures[no_code]["reason"]
    assert "no article for NW202201032399999999" in failures[unknown]["reason"]
    assert "not JSON" in failures[not_json]["reason"]
    assert all(failure["stage"] == "extract" for failure in failures.values())
    for url in (no_code, unknown, not_json):
        assert sum(f"] {url}: " in line for line in result.stderr.splitlines()) == 1
