"""The bad-input corpus (tests/bad_input/): every case ends as its expected article or failure.

Each case folder holds the bytes a server sent (`input.*`, gzipped when large), `meta.json`
(url, content_type, status, context; `error` for a fetch that failed) and `expected.json`
(`{"article": {field: value}}` or `{"failure": {"stage", "reason" regex, "retriable"}}`).
Bytes become a RawPage the way a crawl makes them: Scrapy's response classes, our
encoding fallback, the spider's raw_page. Then `ingest_pages` runs on a real SQLite store.
A crawl test serves the same bytes from the mock site and expects the same outcomes.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.http import Request
from scrapy.responsetypes import responsetypes

from finews_crawler.crawl.middlewares import EncodingFallbackMiddleware
from finews_crawler.items import RawPage
from finews_crawler.spiders.base import FinewsSpider
from finews_crawler.storage import open_store
from mocksite.corpus import MockCorpus
from pipelines import ingest_pages
from tests.crawl_helpers import crawl

CASES_DIR = Path(__file__).parent / "bad_input"
CRAWL_TIMEOUT = 240
# Expectation keys that are checks rather than stored fields.
CHECKS = ("body_html_excludes", "body_html_contains")


@dataclass
class Case:
    name: str
    meta: dict[str, Any]
    expected: dict[str, Any]
    body: bytes

    @property
    def url(self) -> str:
        return self.meta["url"]


def load_case(folder: Path) -> Case:
    (input_file,) = folder.glob("input.*")
    body = input_file.read_bytes()
    if input_file.suffix == ".gz":
        body = gzip.decompress(body)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return Case(folder.name, meta, expected, body)


CASES = [load_case(folder) for folder in sorted(CASES_DIR.iterdir()) if folder.is_dir()]
BY_NAME = {case.name: case for case in CASES}


class CorpusSpider(FinewsSpider):
    """Only lends its raw_page(): the very conversion a crawl applies to a response."""

    name = "bad-input"


def raw_page(case: Case) -> RawPage:
    """The RawPage a crawl would hand the pipelines for this case."""
    meta = case.meta
    context = {"entry_url": case.url, **meta.get("context", {})}
    if meta.get("error"):
        return RawPage(
            url=case.url,
            final_url=case.url,
            status=0,
            text="",
            content_type="",
            error=meta["error"],
            context=context,
            spider=CorpusSpider.name,
            fetched_at=datetime.now(UTC),
        )
    headers = {"Content-Type": meta["content_type"]} if meta.get("content_type") else {}
    response_class = responsetypes.from_args(headers=headers, url=case.url, body=case.body)
    response = response_class(
        url=case.url,
        status=int(meta.get("status") or 200),
        headers=headers,
        body=case.body,
        request=Request(case.url),
    )
    response = EncodingFallbackMiddleware().process_response(response.request, response)
    return CorpusSpider().raw_page(response, context)


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def check_article(expected: dict[str, Any], article: dict[str, Any], skip=()) -> None:
    for name, value in expected.items():
        if name in skip:
            continue
        if name == "body_html_excludes":
            for fragment in value:
                assert fragment not in article["body_html"].lower(), fragment
        elif name == "body_html_contains":
            for fragment in value:
                assert fragment in article["body_html"], fragment
        elif name == "published_at":
            assert _as_datetime(article[name]) == _as_datetime(value)
        else:
            assert article.get(name) == value, name


def check_failure(expected: dict[str, Any], record: dict[str, Any]) -> None:
    assert record["stage"] == expected["stage"], record
    assert re.search(expected["reason"], record["reason"]), record
    assert record["retriable"] is expected["retriable"], record


def test_the_corpus_is_big_enough_and_complete() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        assert set(case.expected) in ({"article"}, {"failure"}), case.name
        assert {"url", "content_type", "status"} <= set(case.meta), case.name
    outcomes = {next(iter(case.expected)) for case in CASES}
    assert outcomes == {"article", "failure"}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_ends_as_expected(case: Case, tmp_path) -> None:
    with open_store(f"sqlite:///{tmp_path}/bad-input.sqlite3") as store:
        (result,) = ingest_pages([raw_page(case)], store)
        failures = list(store.iter_failures())
        if "article" in case.expected:
            assert result.status == "new", result.failure
            check_article(case.expected["article"], result.article)
            assert store.count_articles() == 1 and failures == []
            stored = store.get_article(result.article["_id"])
            check_article(case.expected["article"], stored)
        else:
            assert result.status == "failed"
            check_failure(case.expected["failure"], result.failure)
            assert store.count_articles() == 0
            (record,) = failures
            check_failure(case.expected["failure"], record)
            assert record["url"] == case.url and record["attempts"] == 1


TWINS = [case for case in CASES if case.meta.get("twin_of")]
TWIN_FIELDS = ("title", "published_at", "media", "summary", "body_text", "body_html", "stocks")


@pytest.mark.parametrize("case", TWINS, ids=[case.name for case in TWINS])
def test_gbk_pages_decode_like_their_utf8_twins(case: Case, tmp_path) -> None:
    twin = BY_NAME[case.meta["twin_of"]]
    assert case.body != twin.body  # really other bytes
    pages = [raw_page(case), raw_page(twin)]
    assert pages[0]["text"].replace(case.url, "") != ""  # decoded to something
    with open_store(f"sqlite:///{tmp_path}/twins.sqlite3") as store:
        ours, theirs = ingest_pages(pages, store)
    assert ours.status == theirs.status == "new"
    for name in TWIN_FIELDS:
        assert ours.article[name] == theirs.article[name], name


def test_crawl_of_the_served_corpus_never_crashes(start_mock_site, tmp_path) -> None:
    site = start_mock_site(articles=10, extra_args=("--serve-cases", str(CASES_DIR)))
    served = [case for case in CASES if case.meta.get("crawl", True) and not case.meta["error"]]
    assert len(served) >= 25

    def local(url: str) -> str:
        parts = urlsplit(url)
        return site.url(parts.path + (f"?{parts.query}" if parts.query else ""))

    urls_file = tmp_path / "urls.txt"
    urls_file.write_text("\n".join(local(case.url) for case in served) + "\n", encoding="utf-8")
    store = tmp_path / "crawl.sqlite3"
    result = crawl(
        f"sqlite:///{store}",
        "newsshare",
        "-a",
        f"urls_file={urls_file}",
        "-s",
        "DOWNLOAD_TIMEOUT=2",
        "-s",
        f"FINEWS_EASTMONEY_MIRRORS={site.base_url}",  # the cases' article paths, served here
        timeout=CRAWL_TIMEOUT,
    )
    assert result.returncode == 1  # the corpus holds failures: the crawl says so
    assert "Traceback" not in result.stderr and "Spider error" not in result.stderr
    with open_store(f"sqlite:///{store}") as opened:
        failures = {record["url"]: record for record in opened.iter_failures()}
        for case in served:
            if "failure" in case.expected:
                check_failure(case.expected["failure"], failures.pop(local(case.url)))
                continue
            expected = case.expected["article"]
            article = opened.get_article(expected["_id"])
            assert article is not None, (case.name, failures.get(local(case.url)))
            check_article(expected, article)
    assert failures == {}  # nothing failed that should not have


# ---- hostile answers served by the mock site (faults.HOSTILE_KINDS) through real crawls -----

HOSTILE_ARTICLES = 12
HOSTILE_SEED = 7
HOSTING_HOSTS = ("FINEWS_FEED_BASE", "FINEWS_MARKET_FEED_BASE", "FINEWS_SHARE_BASE")


@dataclass(frozen=True)
class Hostile:
    """One hostile answer: the article it spoils, where, and the record it must leave."""

    index: int
    url: str  # regex of the spoiled URL, {code} = the article's infoCode
    kind: str
    stage: str
    names: str  # the exception the record's reason names


API, SHARE = r"GetNewsText\.do\?id={code}", r"NewsShare\.html\?infoCode={code}"
HOSTILE = {
    "deepjson": Hostile(1, API, "deepjson", "extract", "RecursionError"),
    "bignumber": Hostile(4, API, "bignumber", "extract", "ValueError"),
    "deephtml-api": Hostile(7, API, "deephtml", "normalize", "HTMLTooDeep"),
    "deephtml-share": Hostile(9, SHARE, "deephtml", "navigate", "HTMLTooDeep"),
}
# The feed spider reaches articles by the text API only, never by their share page.
SPIDER_CASES = {"newsshare": list(HOSTILE), "emnews": [n for n in HOSTILE if "share" not in n]}


@pytest.fixture(scope="module", params=list(SPIDER_CASES))
def hostile_crawl(request, tmp_path_factory):
    """One crawl of every article of a mock site serving each hostile answer for one of them."""
    from tests.conftest import launch_mock_site

    spider = request.param
    corpus = MockCorpus(HOSTILE_SEED, HOSTILE_ARTICLES)
    rules = []
    for name in SPIDER_CASES[spider]:
        case = HOSTILE[name]
        pattern = case.url.format(code=corpus.article(case.index).info_code)
        rules += ["--fault-rule", f"{pattern}={case.kind}"]
    site = launch_mock_site(HOSTILE_ARTICLES, HOSTILE_SEED, *rules)
    try:
        store = tmp_path_factory.mktemp(f"hostile-{spider}") / "crawl.sqlite3"
        hosts = [arg for name in HOSTING_HOSTS for arg in ("-s", f"{name}={site.base_url}")]
        codes = ",".join(corpus.article(i).info_code for i in range(HOSTILE_ARTICLES))
        inputs = ["-a", f"info_codes={codes}"] if spider == "newsshare" else []
        result = crawl(f"sqlite:///{store}", spider, *hosts, *inputs, timeout=CRAWL_TIMEOUT)
        yield spider, corpus, store, result
    finally:
        site.stop()


def test_hostile_answers_leave_failure_records_and_the_crawl_goes_on(hostile_crawl) -> None:
    spider, corpus, store, result = hostile_crawl
    names = SPIDER_CASES[spider]
    assert result.returncode == 1, result.stderr[-3000:]  # failures: the exit status says so
    assert "Traceback" not in result.stderr and "Spider error" not in result.stderr
    spoiled = {corpus.article(HOSTILE[name].index).id: HOSTILE[name] for name in names}
    with open_store(f"sqlite:///{store}") as opened:
        failures = {record["article_id"]: record for record in opened.iter_failures()}
        stored = {article["_id"] for article in opened.iter_articles()}
        (run,) = list(opened.iter_runs())
    assert set(failures) == set(spoiled)
    for article_id, case in spoiled.items():
        record = failures[article_id]
        assert record["stage"] == case.stage, record
        assert case.names in record["reason"], record
        assert len(record["reason"]) <= 500
    everyone = {corpus.article(i).id for i in range(HOSTILE_ARTICLES)}
    assert stored == everyone - set(spoiled)  # the other articles are all stored
    assert run["counts"]["failures"] == len(spoiled) and run["exit_status"] == 1
    summary = re.search(r"\| failures (\d+) \|", result.stderr)
    assert summary and int(summary.group(1)) == len(spoiled), result.stderr[-2000:]
