"""The cls (财联社) and ths (同花顺) wires and the combined `wires` crawl, against the mock site.

Truth: the mock generator's truth records (/_wires/truth, rules in mocksite/wires/corpus.py,
in the store's shapes by tests/make_wire_fixtures.truth_as_stored); for the shared real days,
the rules of issue 13 and shared/reference/wires.md written out below, applied to the items'
own fields; for the pager, the rule in finews_crawler/crawl/paging/rule.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from finews_crawler.crawl.paging import TIME_CURSOR, Entry, FeedCoverage, Limits, plan_page
from finews_crawler.items import RawPage
from finews_crawler.sources import Page
from finews_crawler.sources.base import ExtractionError
from finews_crawler.sources.cls import ADAPTER as CLS
from finews_crawler.sources.cls import feed_url as cls_feed_url
from finews_crawler.storage import open_store
from mocksite.wires.sign import sign_ok
from pipelines import ingest_pages
from tests.crawl_helpers import CRAWL_TIMEOUT, crawl_command, finews_command
from tests.make_wire_fixtures import truth_as_stored

BEIJING = timezone(timedelta(hours=8))
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "wires"
WIRE_PATHS = {
    "emfast": "/comm/web/getFastNewsList",
    "cls": "/v1/roll/get_roll_list",
    "ths": "/tapp/news/push/stock/",
}


def base_settings(base: str) -> list[str]:
    return [
        "-s",
        f"FINEWS_EMFAST_BASE={base}",
        "-s",
        f"FINEWS_CLS_BASE={base}",
        "-s",
        f"FINEWS_THS_BASE={base}",
        "-s",
        "FINEWS_STORE_FLUSH_SECONDS=0.5",
    ]


def crawl(
    store: Path, base: str, *extra: str, spider: str = "wires"
) -> subprocess.CompletedProcess:
    command = crawl_command(f"sqlite:///{store}", spider, *base_settings(base), *extra)
    return subprocess.run(
        command, cwd=store.parent, capture_output=True, text=True, timeout=CRAWL_TIMEOUT
    )


def stored(store: Path) -> dict[str, dict[str, Any]]:
    with open_store(f"sqlite:///{store}") as opened:
        return {article["_id"]: article for article in opened.iter_articles()}


def pages_asked(site: Any) -> dict[str, int]:
    """Feed pages the mock has answered, per wire."""
    log = site.get_json("/_log")["requests"]
    return {
        wire: sum(n for key, n in log.items() if key.split("?")[0] == path)
        for wire, path in WIRE_PATHS.items()
    }


def list_mismatch(have: list[dict], want: list[dict]) -> str | None:
    """The source's list first, exactly on the truth's keys (a name it leaves out may come
    from the text; a market number nobody documents is market OTHER, README "Stock tags");
    after it only what the tagger added, never marked as the source's."""
    head = [
        {key: None if key == "name" and not listed["name"] else got.get(key) for key in listed}
        for got, listed in zip(have[: len(want)], want, strict=False)
    ]
    want = [
        {**listed, "market": listed["market"] or "OTHER"} if "market" in listed else listed
        for listed in want
    ]
    if head != want:
        return f"{head} != {want}"
    extra = have[len(want) :]
    if any(entry.get("via") == "source" for entry in extra):
        return f"extra entries marked as the source's {extra}"
    return None


def mismatches(articles: dict[str, dict[str, Any]], expected: list[dict[str, Any]]) -> list:
    wrong = []
    for want in expected:
        got = articles.get(want["_id"])
        if got is None:
            wrong.append((want["_id"], "missing"))
            continue
        for name, value in want.items():
            if name in ("stocks", "boards", "futures"):
                why = list_mismatch(got.get(name) or [], value)
                if why:
                    wrong.append((want["_id"], name, why))
            elif got.get(name) != value:
                wrong.append((want["_id"], name, got.get(name), value))
    return wrong


def truth_of(site: Any, wire: str) -> list[dict[str, Any]]:
    return [truth_as_stored(t) for t in site.get_json(f"/_wires/truth?wire={wire}")]


# ---- the source's stock list and the text tagger ---------------------------------------------


def test_the_items_own_list_comes_first_and_the_text_tagger_adds_what_it_lacks(
    tmp_path: Path,
) -> None:
    """Rule (issue 13 point 3): the listed securities, `via: "source"`, then a security the
    text codes and the list lacks, with the tagger's `via` (`code`); one the list has stays the
    list's (its name and notation)."""
    item = {
        "id": 7001,
        "ctime": 1_709_600_000,
        "modified_time": 1_709_600_000,
        "title": "",
        "brief": "",
        "content": "【两家公司公告】财联社3月5日电，甲公司（600519）与美湖股份（603319）签约。",
        "level": "B",
        "stock_list": [{"StockID": "sh600519", "name": "甲公司"}],
        "subjects": [],
        "shareurl": "https://api3.cls.cn/share/article/7001?os=web",
        "is_ad": 0,
    }
    page = RawPage(
        url="http://wire.example/v1/roll/get_roll_list#7001",
        final_url="http://wire.example/v1/roll/get_roll_list#7001",
        status=200,
        text=json.dumps(item, ensure_ascii=False),
        content_type="application/json",
        context={},
        spider="test",
    )
    with open_store(f"sqlite:///{tmp_path}/tagger.sqlite3") as store:
        [result] = ingest_pages([page], store)
    assert result.status == "new", result.failure
    article = result.article
    assert article["_id"] == "cls:7001" and article["title"] == "两家公司公告"
    assert article["url"] == "https://api3.cls.cn/share/article/7001"
    assert [(s["code"], s["market"], s["via"]) for s in article["stocks"]] == [
        ("600519", "SH", "source"),
        ("603319", "SH", "code"),
    ]
    assert article["stocks"][0]["name"] == "甲公司"
    assert article["stocks"][0]["notation"] == "sh600519"


def test_cls_listed_funds_and_indexes_keep_their_kind() -> None:
    """Rule (issue 15 point 3; parsing/stocks/markets.kind_of): a cls stock_list entry of a
    fund (sz159xxx) or a CNI index (sz98xxxx) is listed with that kind, not as a stock."""
    item = {
        "id": 7002,
        "ctime": 1_709_600_000,
        "title": "",
        "content": "财联社3月5日电，某指数与某ETF走强。",
        "stock_list": [
            {"StockID": "sz159990", "name": "某ETF"},
            {"StockID": "sz980990", "name": "某指数"},
            {"StockID": "sh600519", "name": "甲公司"},
        ],
    }
    page = Page(
        url="http://wire.example/v1/roll/get_roll_list#7002",
        text=json.dumps(item, ensure_ascii=False),
        content_type="application/json",
    )
    stocks = CLS.extract(page).stocks or []
    assert [(s.code, s.kind) for s in stocks] == [
        ("159990", "fund"),
        ("980990", "index"),
        ("600519", "stock"),
    ]


# ---- the pager's time cursor ----------------------------------------------------------------

S = 1_000_000


def test_a_time_cursor_page_of_boundary_repeats_only_is_the_end_of_the_feed() -> None:
    """Rule (paging/rule.py): asked from the oldest second again, a page listing only (part of)
    that second, shorter than the page before, is the end; as long as it, a stuck cursor."""
    first = [Entry("a", 30 * S), Entry("b", 20 * S), Entry("c", 20 * S)]
    limits, cov = Limits(), FeedCoverage()
    page1 = plan_page(
        TIME_CURSOR, 1, first, clean=True, prev=None, known=set(), requested=set(),
        coverage=cov, limits=limits,
    )  # fmt: skip
    again = [Entry("b", 20 * S), Entry("c", 20 * S)]
    page2 = plan_page(
        TIME_CURSOR, 2, again, clean=True, prev=page1.carry, known={"a"},
        requested={"b", "c"}, coverage=cov, limits=limits,
    )  # fmt: skip
    assert page2.stop == "end_of_feed" and page2.follow == []
    stuck_prev = plan_page(
        TIME_CURSOR, 1, again, clean=True, prev=None, known=set(), requested=set(),
        coverage=cov, limits=limits,
    )  # fmt: skip
    stuck = plan_page(
        TIME_CURSOR, 2, again, clean=True, prev=stuck_prev.carry, known=set(),
        requested={"b", "c"}, coverage=cov, limits=limits,
    )  # fmt: skip
    assert stuck.stop == "repeated"


# ---- cls signing --------------------------------------------------------------------------


def test_the_cls_request_is_signed_as_the_reference_says_and_a_wrong_sign_is_refused(
    start_mock_site,
) -> None:
    site = start_mock_site(articles=5, extra_args=("--wire-items", "40"))
    url = cls_feed_url(site.base_url, "", 20)
    assert sign_ok(parse_qsl(urlsplit(url).query, keep_blank_values=True))  # the mock's copy
    assert site.get_json(url[len(site.base_url) :])["errno"] == 0
    wrong = re.sub(r"sign=[0-9a-f]+", "sign=" + "0" * 32, url)
    answer = site.get_text(wrong[len(site.base_url) :])
    with pytest.raises(ExtractionError, match="refused"):
        CLS.read_feed(Page(url=wrong, text=answer, content_type="application/json"))


def test_a_refused_cls_page_is_a_failure_record_the_feed_unfinished_exit_1(
    start_mock_site, tmp_path: Path
) -> None:
    # The host drops last_time (ignore-paging): the sign no longer matches what it got.
    site = start_mock_site(
        articles=5,
        extra_args=("--wire-items", "40", "--fault-rule", "get_roll_list=ignore-paging"),
    )
    store = tmp_path / "refused.sqlite3"
    done = crawl(store, site.base_url, "-a", "count=20", spider="cls")
    assert done.returncode == 1, done.stderr[-3000:]
    with open_store(f"sqlite:///{store}") as opened:
        failures = list(opened.iter_failures())
        assert opened.count_articles() == 0
    assert any("refused" in str(record.get("reason")) for record in failures), failures
    assert "cls: unfinished" in done.stderr


# ---- the combined crawl: backfill, incremental, edits -----------------------------------------


def test_wires_backfill_then_incremental_then_edits(start_mock_site, tmp_path: Path) -> None:
    hold = ("--wire-hold", "cls=100", "--wire-hold", "ths=100", "--wire-hold", "emfast=100")
    site = start_mock_site(articles=5, extra_args=("--wire-items", "150", *hold))
    store = tmp_path / "wires.sqlite3"
    done = crawl(store, site.base_url, "-a", "count=30", "-a", "since=2024-03-01")
    assert done.returncode == 0, done.stderr[-3000:]
    articles = stored(store)
    for wire in ("emfast", "cls", "ths"):
        truth = truth_of(site, wire)
        assert len(truth) >= 97  # cls adverts have no truth
        assert mismatches(articles, truth) == [], wire
    expected_ids = {t["_id"] for wire in ("emfast", "cls", "ths") for t in truth_of(site, wire)}
    assert set(articles) == expected_ids  # every item once, adverts dropped

    # Nothing new: one page per wire, nothing stored, no new revision.
    before = pages_asked(site)
    done = crawl(store, site.base_url, "-a", "count=30")
    assert done.returncode == 0, done.stderr[-3000:]
    after = pages_asked(site)
    assert {wire: after[wire] - before[wire] for wire in after} == {
        "emfast": 1,
        "cls": 1,
        "ths": 1,
    }
    again = stored(store)
    assert set(again) == expected_ids
    assert {a["_id"]: a["revision"] for a in again.values()} == {
        a["_id"]: a["revision"] for a in articles.values()
    }

    # New items on every wire, one cls and one ths item (on the first page) edited.
    site.get("/_wires/advance?n=10", method="POST")
    edited = {}
    for wire in ("cls", "ths"):
        key = site.get_json(f"/_wires/truth?wire={wire}")[-15]["source_id"]  # stored, on page 1
        site.get(f"/_wires/edit?wire={wire}&id={key}", method="POST")
        edited[wire] = f"{wire}:{key}"
    done = crawl(store, site.base_url, "-a", "count=30")
    assert done.returncode == 0, done.stderr[-3000:]
    articles = stored(store)
    for wire in ("emfast", "cls", "ths"):
        truth = truth_of(site, wire)
        assert len(truth) >= 107
        assert mismatches(articles, truth) == [], wire
    with open_store(f"sqlite:///{store}") as opened:
        for wire, article_id in edited.items():
            assert articles[article_id]["revision"] == 2, wire
            [previous] = opened.history(article_id)
            assert previous["revision"] == 1
            assert previous["body_text"] != articles[article_id]["body_text"]
            assert articles[article_id]["modified_at"] > articles[article_id]["published_at"]


def test_backfill_since_stores_exactly_the_items_since(start_mock_site, tmp_path: Path) -> None:
    site = start_mock_site(articles=5, extra_args=("--wire-items", "90"))
    since = site.get_json("/_wires/truth?wire=cls")[45]["published_at"]
    store = tmp_path / "since.sqlite3"
    done = crawl(store, site.base_url, "-a", "count=20", "-a", f"since={since}")
    assert done.returncode == 0, done.stderr[-3000:]
    cut = datetime.fromisoformat(since)
    wanted = {
        t["_id"]
        for wire in ("emfast", "cls", "ths")
        for t in truth_of(site, wire)
        if t["published_at"] >= cut
    }
    assert 0 < len(wanted) < 3 * 90
    assert set(stored(store)) == wanted


# ---- the shared real days, replayed ----------------------------------------------------------

_HEADLINE = re.compile(r"^【([^】]*)】")
_DATELINE = re.compile(r"^财联社\d{1,2}月\d{1,2}日电，")
_OUTLET = re.compile(r"\s*[（(]([^()（）]{2,12})[)）]\s*$")
# shared/reference/wires.md: 10jqka stockMarket -> market; futures apart.
THS_MARKETS = {"17": "SH", "22": "SH", "20": "SH", "33": "SZ", "36": "SZ", "151": "BJ"}
THS_MARKETS |= {"177": "HK", "145": "NEEQ"} | dict.fromkeys(("169", "185", "186", "170"), "US")
THS_FUTURES = ("65", "66", "67", "129")


def title_rule(text: str) -> str:
    """Stored title: whitespace runs as one space, trimmed."""
    return re.sub(r"\s+", " ", text).strip()


def body_rule(text: str) -> str:
    """Stored body text: in each line runs of spaces, tabs, no-break and zero-width spaces
    as one space, the line trimmed (ideographic spaces too); empty lines dropped."""
    lines = (re.sub(r"[ \t\r\f\v\xa0\u200b]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def cls_expected(raw: dict[str, Any]) -> dict[str, Any]:
    """Issue 13 point 3 for one cls item."""
    content = raw["content"].strip()
    headline = _HEADLINE.match(content)
    body = content[headline.end() :] if headline else content
    title = raw["title"].strip() or (headline.group(1).strip() if headline else "")
    if not title:
        title = re.split(r"[。！？]", _DATELINE.sub("", body), maxsplit=1)[0].strip()[:60]
    stocks = []
    for entry in raw["stock_list"]:
        sid = entry["StockID"]
        market = "BJ" if sid.endswith(".BJ") else sid[:2].upper()
        code = sid[:6] if sid.endswith(".BJ") else sid[2:]
        stocks.append({"code": code, "market": market, "name": entry["name"]})
    outlet = _OUTLET.search(body)
    return {
        "_id": f"cls:{raw['id']}",
        "title": title_rule(title),
        "published_at": datetime.fromtimestamp(raw["ctime"], BEIJING),
        "body_text": body_rule(body),
        "media": outlet.group(1).strip() if outlet else "财联社",
        "importance": {"C": 0, "B": 1, "A": 2}[raw["level"]],
        "stocks": stocks,
    }


def ths_expected(raw: dict[str, Any]) -> dict[str, Any]:
    """Issue 13 point 3 for one 10jqka item."""
    stocks, futures = [], []
    for entry in raw["stock"]:
        market, code = entry["stockMarket"], entry["stockCode"]
        if market in THS_FUTURES:
            futures.append({"code": code, "name": entry["name"]})
            continue
        known = THS_MARKETS.get(market)
        if known == "HK":
            code = code.removeprefix("HK").zfill(5)
        stocks.append({"code": code, "market": known, "name": entry["name"]})
    outlet = _OUTLET.search(raw["digest"].strip())
    return {
        "_id": f"ths:{raw['seq']}",
        "title": title_rule(raw["title"]),
        "published_at": datetime.fromtimestamp(int(raw["ctime"]), BEIJING),
        "body_text": body_rule(raw["digest"]),
        "media": outlet.group(1).strip() if outlet else "同花顺",
        "importance": {"0": 0, "1": 1, "3": 2}[raw["import"]],
        "stocks": stocks,
        "futures": futures,
    }


def real_items(folder: str, key: str) -> tuple[list[Path], dict[str, dict[str, Any]]]:
    files = sorted((SHARED / folder).glob("*.jsonl"))
    raws: dict[str, dict[str, Any]] = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)["raw"]
                raws.setdefault(str(raw[key]), raw)
    return files, raws


def source_listed(entries: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{k: e.get(k) for k in keys} for e in entries if e.get("via") == "source"]


@pytest.mark.skipif(not (SHARED / "cls").is_dir(), reason="../shared (real wire items) is absent")
def test_the_shared_real_days_replay_every_item_once_with_exact_fields(
    start_mock_site, tmp_path: Path
) -> None:
    cls_files, cls_raws = real_items("cls", "id")
    ths_files, ths_raws = real_items("10jqka", "seq")
    replay = [a for p in cls_files for a in ("--wire-replay", f"cls={p}")]
    replay += [a for p in ths_files for a in ("--wire-replay", f"ths={p}")]
    site = start_mock_site(articles=5, extra_args=("--wire-items", "20", *replay))
    store = tmp_path / "real.sqlite3"
    done = crawl(store, site.base_url, "-a", "count=100", "-a", "since=2026-01-01")
    assert done.returncode == 0, done.stderr[-3000:]
    articles = stored(store)
    expected = [cls_expected(r) for r in cls_raws.values() if not r.get("is_ad")]
    expected += [ths_expected(r) for r in ths_raws.values()]
    # Every item once (synthetic East Money items are older than since: none stored).
    assert sorted(articles) == sorted(e["_id"] for e in expected)
    wrong = []
    for want in expected:
        got = articles[want["_id"]]
        for name, value in want.items():
            have = got.get(name)
            if name == "stocks":
                have = source_listed(have or [], ("code", "market", "name"))
            elif name == "futures":
                have = source_listed(have or [], ("code", "name"))
            if have != value:
                wrong.append((want["_id"], name, have, value))
    assert wrong == [], wrong[:5]


# ---- the 1-minute schedule ------------------------------------------------------------------


def test_a_one_minute_schedule_of_wires_runs_and_records_its_ticks(
    start_mock_site, tmp_path: Path
) -> None:
    hold = ("--wire-hold", "cls=60", "--wire-hold", "ths=60", "--wire-hold", "emfast=60")
    site = start_mock_site(articles=5, extra_args=("--wire-items", "80", *hold))
    store, record = tmp_path / "sched.sqlite3", tmp_path / "wires.jsonl"
    command = finews_command(
        f"sqlite:///{store}",
        "schedule",
        "--every",
        "1m",
        "--runs",
        "2",
        "--lock",
        str(tmp_path / "wires.lock"),
        "--record",
        str(record),
        "--",
        "wires",
        *base_settings(site.base_url),
        "-a",
        "count=30",
        "-L",
        "WARNING",
    )
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + CRAWL_TIMEOUT
        while not (record.exists() and record.read_text().strip()):
            assert process.poll() is None and time.monotonic() < deadline, "no first tick"
            time.sleep(0.5)
        site.get("/_wires/advance?n=5", method="POST")  # indices 60..64: no cls advert
        process.communicate(timeout=CRAWL_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == 0
    ticks = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(tick["action"], tick["exit_status"]) for tick in ticks] == [("run", 0), ("run", 0)]
    assert ticks[1]["counts"]["new"] == 15
    firsts = {wire: len(site.get_json(f"/_wires/truth?wire={wire}")) for wire in WIRE_PATHS}
    assert len(stored(store)) == sum(firsts.values())


# ---- the wire benchmark's rows -----------------------------------------------------------------


def test_the_wire_bench_stores_every_item_of_every_wire() -> None:
    from bench.wires import run

    rows = {row["path"]: row for row in run(40)["rows"]}
    assert rows["emfast"]["stored"] == rows["ths"]["stored"] == 40
    assert rows["cls"]["stored"] == 40 - 1  # item 17 is an advert (mocksite/wires/corpus.py)
    assert rows["eastmoney article pages (HTML)"]["stored"] == 40


# ---- bad input --------------------------------------------------------------------------------


def test_a_broken_ths_page_is_recorded_and_the_rest_of_the_wire_is_stored(
    start_mock_site, tmp_path: Path
) -> None:
    """A page-number feed goes on past a page it cannot read (paging/rule.py); the page is a
    failure record and the exit status says the wire is unfinished."""
    rule = r"push/stock/\?page=2&=malformed"
    site = start_mock_site(articles=5, extra_args=("--wire-items", "60", "--fault-rule", rule))
    store = tmp_path / "broken.sqlite3"
    done = crawl(store, site.base_url, "-a", "count=20", spider="ths")
    assert done.returncode == 1, done.stderr[-3000:]
    truth = site.get_json("/_wires/truth?wire=ths")  # oldest first; page 2 = the middle 20
    articles = stored(store)
    assert set(articles) == {t["id"] for t in truth[:20] + truth[40:]}
    with open_store(f"sqlite:///{store}") as opened:
        [record] = list(opened.iter_failures())
    assert "page=2&" in record["url"]


def test_a_cls_item_without_text_is_a_failure_record_not_a_crash(tmp_path: Path) -> None:
    item = {"id": 7002, "ctime": 1_709_600_000, "content": 42, "level": "C", "is_ad": 0}
    page = RawPage(
        url="http://wire.example/v1/roll/get_roll_list#7002",
        final_url="http://wire.example/v1/roll/get_roll_list#7002",
        status=200,
        text=json.dumps(item),
        content_type="application/json",
        context={},
        spider="test",
    )
    with open_store(f"sqlite:///{tmp_path}/bad.sqlite3") as store:
        [result] = ingest_pages([page], store)
        assert store.count_articles() == 0
    assert result.status == "failed" and "no content" in str(result.failure)
