"""Crawls against a failing mock site: transient faults are survived, permanent ones recorded.

The mock site (mocksite/faults.py) picks its faulty URLs by a hash of
(seed, URL); the tests rebuild the same FaultPlan to know which article met which fault.
Every crawl is a real `finews crawl` subprocess into a real SQLite file, bounded in time.
"""

from __future__ import annotations

import http.client
import json
import re
import sqlite3
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from finews_crawler.sources.eastmoney import SHARE_PATH, TEXT_API_PATH
from finews_crawler.storage import open_store
from mocksite.corpus import MockCorpus
from mocksite.faults import (
    ALL_KINDS,
    FAILURE_KINDS,
    HUGE_BYTES,
    Fault,
    FaultPlan,
    parse_faults,
)
from tests.crawl_helpers import CrawlResult, finews_command, write_urls
from tests.crawl_helpers import crawl as run_crawl

CRAWL_TIMEOUT = 300
ARTICLES = 1000
# Faults that end the fetch itself, whatever the page would have held.
FETCH_KILLERS = {"http500", "http502", "http503", "throttle", "reset", "timeout", "truncated"}
FETCH_KILLERS |= {"redirect-loop"}
# (stage, reason pattern) of the failure record each permanent fault must leave.
EXPECTED_REASON = {
    "http500": ("fetch", r"^HTTP 500$"),
    "http502": ("fetch", r"^HTTP 502$"),
    "http503": ("fetch", r"^HTTP 503$"),
    "throttle": ("fetch", r"^HTTP 429$"),
    "reset": ("fetch", r"Connection(Lost|Done|Reset)|ResponseNeverReceived"),
    "timeout": ("fetch", r"^DownloadTimeoutError: .*took longer than 2\.0 seconds"),
    "truncated": ("fetch", r"^ResponseDataLossError: .*truncated"),
    "redirect-loop": ("fetch", r"redirect loop after \d+ hop"),
    "empty": ("fetch", r"^empty body \(HTTP 200\)$"),
    "malformed": ("extract", r"^body is not JSON"),
}
_SUMMARY = re.compile(
    r"pages fetched (\d+) \(retries (\d+)\) \| articles: (\d+) new, (\d+) updated,"
    r" (\d+) unchanged \((\d+) duplicates skipped\) \| failures (\d+)"
)


def share_path(code: str) -> str:
    return f"{SHARE_PATH}?infoCode={code}"


def api_path(code: str) -> str:
    return f"{TEXT_API_PATH}?id={code}"


def crawl(store: Path, urls: list[str], *settings: str) -> CrawlResult:
    urls_file = write_urls(store.with_suffix(".urls"), urls)
    extra = [arg for setting in ("DOWNLOAD_TIMEOUT=2", *settings) for arg in ("-s", setting)]
    return run_crawl(
        f"sqlite:///{store}",
        "newsshare",
        "-a",
        f"urls_file={urls_file}",
        *extra,
        timeout=CRAWL_TIMEOUT,
    )


def summary_of(stderr: str) -> dict[str, int]:
    match = _SUMMARY.search(stderr)
    assert match, stderr[-2000:]
    keys = ("pages", "retries", "new", "updated", "unchanged", "duplicates", "failures")
    return dict(zip(keys, map(int, match.groups()), strict=True))


def load(store: Path) -> tuple[dict[str, dict], list[dict]]:
    with sqlite3.connect(store) as db:
        articles = {
            row[0]: json.loads(row[1]) for row in db.execute("SELECT _id, doc FROM articles")
        }
        failures = [json.loads(row[0]) for row in db.execute("SELECT doc FROM failures")]
    return articles, failures


def assert_matches_truth(corpus: MockCorpus, index: int, stored: dict[str, Any]) -> None:
    truth = corpus.truth(index)
    assert stored["title"] == truth["title"], index
    assert stored["body_text"] == truth["body_text"], index
    assert stored["media"] == truth["media"], index
    published = datetime.fromisoformat(stored["published_at"])
    assert published == datetime.fromisoformat(truth["published_at"]), index


def fatal_fault(plan: FaultPlan, corpus: MockCorpus, index: int) -> str | None:
    """The fault kind that must stop article `index` under a permanent plan, or None."""
    article = corpus.article(index)
    share = plan.fault_for(share_path(article.info_code))
    if share and share.kind in FETCH_KILLERS:
        return share.kind
    # The share page arrived: rendered ones hold the article unless emptied; shells (and an
    # emptied page) lead to the text API.
    if article.share_rendered and not (share and share.kind == "empty"):
        return None
    api = plan.fault_for(api_path(article.info_code))
    if api and api.kind in FETCH_KILLERS | {"empty", "malformed"}:
        return api.kind
    return None


# ---- the plan itself ----------------------------------------------------------------------


def test_plan_is_deterministic_and_follows_its_rates() -> None:
    plan = parse_faults("transient=0.1,permanent=0.05,attempts=2", seed=3)
    again = parse_faults("transient=0.1,permanent=0.05,attempts=2", seed=3)
    keys = [api_path(f"NW2022010323{n:08d}") for n in range(20_000)]
    faults = [plan.fault_for(key) for key in keys]
    assert faults == [again.fault_for(key) for key in keys]
    permanent = sum(1 for f in faults if f and f.attempts is None)
    transient = sum(1 for f in faults if f and f.attempts == 2)
    assert 0.04 < permanent / len(keys) < 0.06
    assert 0.09 < transient / len(keys) < 0.11
    assert set(Counter(f.kind for f in faults if f)) == set(ALL_KINDS)
    assert parse_faults("transient=0.1", seed=4).fault_for(keys[0]) != plan.fault_for(keys[0]) or (
        parse_faults("transient=0.1", seed=4).fault_for(keys[1]) != plan.fault_for(keys[1])
    )
    assert plan.fault_for("/robots.txt") is None and plan.fault_for("/_truth") is None
    ruled = parse_faults(None, rules=[r"id=NW1=empty:3", "robots=http503"])
    assert ruled.fault_for(api_path("NW1")) == Fault("empty", 3)
    assert ruled.fault_for("/robots.txt") == Fault("http503", None)
    assert ruled.fault_for(api_path("NW2")) is None
    for bad in ("transient=2", "bogus=1", "kinds=nosuchkind"):
        with pytest.raises(ValueError):
            parse_faults(bad)


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes] | str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    finally:
        connection.close()


def test_every_kind_over_http(start_mock_site) -> None:
    corpus = MockCorpus(7, 40)
    codes = {kind: corpus.article(n).info_code for n, kind in enumerate(ALL_KINDS)}
    rules = [arg for kind, code in codes.items() for arg in ("--fault-rule", f"{code}$={kind}")]
    recovering = corpus.article(30).info_code
    rules += ["--fault-rule", f"{recovering}$=http503:2"]
    site = start_mock_site(articles=40, extra_args=(*rules, "--faults", "hold=2.5,slow=0.3"))
    healthy = _get(site.port, api_path(codes["gbk"]))
    got = {kind: _get(site.port, api_path(code)) for kind, code in codes.items()}

    for kind in ("http500", "http502", "http503"):
        assert got[kind][0] == int(kind[4:])
    assert got["throttle"][0] == 429 and got["throttle"][1]["Retry-After"] == "1"
    assert got["reset"] in ("ConnectionResetError", "RemoteDisconnected")
    assert got["timeout"] in ("ConnectionResetError", "RemoteDisconnected", "TimeoutError")
    assert got["truncated"] == "IncompleteRead"
    status, headers, _ = got["redirect-loop"]
    assert status == 302 and headers["Location"].endswith("_hop=1")
    hop = _get(site.port, headers["Location"])
    assert hop[0] == 302 and hop[1]["Location"].endswith("_hop=2")
    assert got["empty"][0] == 200 and got["empty"][2] == b""
    with pytest.raises(ValueError):
        json.loads(got["malformed"][2])
    assert got["wrong-type"][1]["Content-Type"] == "image/png"
    assert json.loads(got["slow"][2])["infoCode"] == codes["slow"]
    text = json.loads(healthy[2].decode("gb18030"))
    assert got["gbk"][1]["Content-Type"].endswith("charset=GBK")
    assert "charset" not in got["gbk-meta"][1]["Content-Type"]
    assert "charset" not in got["gbk-bare"][1]["Content-Type"]
    assert json.loads(got["gbk-bare"][2].decode("gb18030"))["infoCode"] == codes["gbk-bare"]
    assert text["infoCode"] == codes["gbk"]
    assert len(got["huge"][2]) >= HUGE_BYTES
    assert got["mislabelled"][1]["Content-Type"].startswith("text/html")
    # A transient rule spoils the first K attempts, then the URL behaves.
    attempts = [_get(site.port, api_path(recovering)) for _ in range(3)]
    assert [attempt[0] for attempt in attempts] == [503, 503, 200]


# ---- crawls -------------------------------------------------------------------------------


def test_transient_faults_of_every_kind_are_survived(start_mock_site, tmp_path) -> None:
    spec = "transient=0.1,attempts=2,hold=3,slow=0.5"
    site = start_mock_site(articles=ARTICLES, extra_args=("--faults", spec, "--fault-seed", "1"))
    corpus = MockCorpus(7, ARTICLES)
    plan = parse_faults(spec, seed=1)
    paths = [share_path(corpus.article(i).info_code) for i in range(ARTICLES)]
    paths += [api_path(corpus.article(i).info_code) for i in range(ARTICLES)]
    kinds = Counter(fault.kind for fault in map(plan.fault_for, paths) if fault)
    assert set(kinds) == set(ALL_KINDS), kinds  # every kind is met at least once

    store = tmp_path / "transient.sqlite3"
    result = crawl(store, [site.share_url(i) for i in range(ARTICLES)])

    assert result.returncode == 0, result.stderr[-3000:]
    summary = summary_of(result.stderr)
    articles, failures = load(store)
    assert failures == []
    assert len(articles) == ARTICLES
    assert (summary["new"], summary["updated"], summary["unchanged"]) == (ARTICLES, 0, 0)
    assert summary["duplicates"] == 0 and summary["failures"] == 0
    assert summary["retries"] >= sum(kinds[k] for k in FAILURE_KINDS if k != "malformed")
    for index in range(ARTICLES):
        assert_matches_truth(corpus, index, articles[corpus.article(index).id])
    with open_store(f"sqlite:///{store}") as opened:
        (run,) = list(opened.iter_runs())
    assert run["counts"]["retries"] == summary["retries"] and run["exit_status"] == 0


def test_permanent_faults_leave_one_failure_record_each(start_mock_site, tmp_path) -> None:
    spec = "permanent=0.05,hold=3,slow=0.5"
    site = start_mock_site(articles=ARTICLES, extra_args=("--faults", spec, "--fault-seed", "2"))
    corpus = MockCorpus(7, ARTICLES)
    plan = parse_faults(spec, seed=2)
    expected = {i: fatal_fault(plan, corpus, i) for i in range(ARTICLES)}
    doomed = {i: kind for i, kind in expected.items() if kind}
    assert set(doomed.values()) == set(EXPECTED_REASON), Counter(doomed.values())

    store = tmp_path / "permanent.sqlite3"
    result = crawl(store, [site.share_url(i) for i in range(ARTICLES)])

    assert result.returncode == 1  # failures make the crawl exit non-zero
    articles, failures = load(store)
    by_article = Counter(failure["article_id"] for failure in failures)
    assert all(count == 1 for count in by_article.values())
    records = {failure["article_id"]: failure for failure in failures}
    for index in range(ARTICLES):
        article_id = corpus.article(index).id
        kind = doomed.get(index)
        if kind is None:
            assert article_id in articles, index
            assert article_id not in records, (index, records.get(article_id))
            assert_matches_truth(corpus, index, articles[article_id])
            continue
        assert article_id not in articles, (index, kind)
        record = records[article_id]
        stage, reason = EXPECTED_REASON[kind]
        assert record["stage"] == stage and re.search(reason, record["reason"]), (kind, record)
        assert record["attempts"] == 1
        assert record["url"] == site.share_url(index)
        assert record["retriable"] is True
    assert len(failures) == len(doomed)
    summary = summary_of(result.stderr)
    assert summary["failures"] == len(doomed)
    assert summary["new"] == ARTICLES - len(doomed)


def test_retry_failures_requeues_only_retriable_records(start_mock_site, tmp_path) -> None:
    corpus = MockCorpus(7, 20)
    flaky, bad = corpus.article(3), "NW2022xyz"
    # Four failing attempts: all of Scrapy's (1 + RETRY_TIMES=3); the next crawl succeeds.
    rules = ("--fault-rule", f"id={flaky.info_code}$=http500:4")
    site = start_mock_site(articles=20, extra_args=rules)
    store = tmp_path / "retry.sqlite3"
    bad_url = site.url(share_path(bad))
    first = crawl(store, [site.share_url(3), site.share_url(4), bad_url])
    assert first.returncode == 1
    articles, failures = load(store)
    assert set(articles) == {corpus.article(4).id}
    records = {failure["url"]: failure for failure in failures}
    assert records[site.share_url(3)]["retriable"] is True
    assert records[site.share_url(3)]["reason"] == "HTTP 500"
    assert records[bad_url]["retriable"] is False

    command = finews_command(f"sqlite:///{store}", "retry-failures")
    dry = subprocess.run(
        [*command, "--dry-run"], capture_output=True, text=True, timeout=60, check=False
    )
    assert dry.returncode == 0 and dry.stdout.split() == ["newsshare", site.share_url(3)]
    again = subprocess.run(
        [*command, "-s", "DOWNLOAD_TIMEOUT=2"],
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
        check=False,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    articles, failures = load(store)
    assert flaky.id in articles
    assert_matches_truth(corpus, 3, articles[flaky.id])
    assert [failure["url"] for failure in failures] == [bad_url]
    assert failures[0]["attempts"] == 1  # the permanent record was left alone
