"""The mock site's real-time wires over real HTTP: shapes, paging, the cls sign, replay, controls.

Facts checked here come from shared/reference/wires.md (written down as assertions); the truth
comes from the generator (WireSet with the same seed), never from a crawler.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest

from mocksite import server
from mocksite.wires import WireSet
from tests.conftest import MockSite, launch_mock_site
from tests.shared_data import SHARED, require

SEED, ITEMS = 11, 120
CST = timezone(timedelta(hours=8))
WIRES_DIR = SHARED / "corpus" / "wires"
EMFAST_ITEM_KEYS = {
    "code", "showTime", "title", "summary", "realSort", "titleColor", "stockList", "image",
    "pinglun_Num", "share",
}  # fmt: skip
CLS_NAMED_KEYS = {
    "id", "ctime", "modified_time", "title", "brief", "content", "level", "stock_list",
    "subjects", "plate_list", "shareurl", "reading_num", "images", "is_ad",
}  # fmt: skip
THS_ITEM_KEYS = {
    "id", "seq", "url", "appUrl", "ctime", "rtime", "title", "digest", "short", "source",
    "import", "color", "tags", "tagInfo", "stock", "field",
}  # fmt: skip


@pytest.fixture(scope="module")
def site() -> Iterator[MockSite]:
    """A private site whose wires nobody mutates (seed 11, 120 items per wire)."""
    running = launch_mock_site(5, SEED, "--wire-items", str(ITEMS))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def truth() -> WireSet:
    """The same wires, generated in the test process: the oracle."""
    return WireSet.build(SEED, ITEMS)


# -- the reference's requests, written from wires.md ------------------------------------------
def reference_sign(params: dict[str, str]) -> str:
    """wires.md: sort keys compared upper-cased, k=v joined by &, SHA-1 hex, MD5 of that hex."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params, key=str.upper))
    return hashlib.md5(hashlib.sha1(text.encode()).hexdigest().encode()).hexdigest()


def cls_params(last_time: str = "", rn: int = 20) -> dict[str, str]:
    params = {"app": "CailianpressWeb", "category": "", "last_time": last_time, "os": "web"}
    params |= {"refresh_type": "1", "rn": str(rn), "sv": "8.4.6"}
    return params | {"sign": reference_sign(params)}


def cls_url(last_time: str = "", rn: int = 20) -> str:
    return "/v1/roll/get_roll_list?" + urlencode(cls_params(last_time, rn))


def emfast_url(sort_end: str, size: int) -> str:
    query = {"client": "web", "biz": "web_724", "fastColumn": "102", "sortEnd": sort_end}
    return "/comm/web/getFastNewsList?" + urlencode(query | {"pageSize": size, "req_trace": 1})


def ths_url(page: int, size: int) -> str:
    query = {"page": page, "tag": "", "track": "website", "pagesize": size}
    return "/tapp/news/push/stock/?" + urlencode(query)


# -- pagers as the reference describes paging -------------------------------------------------
def walk_emfast(site: MockSite, size: int) -> list[dict[str, Any]]:
    """sortEnd cursor: the next page asks with the previous answer's sortEnd; an unchanged or
    empty cursor ends paging."""
    out: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(1000):
        data = site.get_json(emfast_url(cursor, size))["data"]
        page = data["fastNewsList"]
        if page:
            assert data["sortEnd"] == page[-1]["realSort"]
        out += page
        if not data["sortEnd"] or data["sortEnd"] == cursor:
            return out
        cursor = data["sortEnd"]
    raise AssertionError("emfast paging did not end")


def walk_cls(site: MockSite, rn: int) -> tuple[list[dict[str, Any]], int]:
    """last_time cursor, items strictly older than it. Several items may share a second, so the
    next page asks with the smallest ctime + 1 and drops repeats (by id); when a page brings
    nothing new it asks with the smallest ctime itself. Returns (items newest first, splits):
    splits counts pages that ended inside a second whose other items came on the next page."""
    seen: dict[int, dict[str, Any]] = {}
    last_time, oldest, splits = "", None, 0
    for _ in range(1000):
        answer = site.get_json(cls_url(last_time, rn))
        assert answer["errno"] == 0, answer
        page = answer["data"]["roll_data"]
        if last_time:
            assert all(x["ctime"] < int(last_time) for x in page)
        assert [x["ctime"] for x in page] == sorted((x["ctime"] for x in page), reverse=True)
        fresh = [x for x in page if x["id"] not in seen]
        if not fresh:
            if page and oldest is not None and last_time == str(oldest + 1):
                last_time = str(oldest)
                continue
            return list(seen.values()), splits
        splits += any(x["ctime"] == oldest for x in fresh)
        seen.update((x["id"], x) for x in fresh)
        oldest = min(x["ctime"] for x in page)
        last_time = str(oldest + 1)
    raise AssertionError("cls paging did not end")


def walk_ths(site: MockSite, size: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in range(1, 1000):
        answer = site.get_json(ths_url(page, size))
        assert answer["code"] == "200"
        if not answer["data"]["list"]:
            return out
        out += answer["data"]["list"]
    raise AssertionError("ths paging did not end")


# -- shapes -----------------------------------------------------------------------------------
def test_emfast_answers_in_the_real_shape(site: MockSite) -> None:
    answer = site.get_json(emfast_url("", 5))
    assert answer["code"] == "1" and set(answer["data"]) == {"fastNewsList", "sortEnd"}
    page = answer["data"]["fastNewsList"]
    assert len(page) == 5
    for item in page:
        assert set(item) == EMFAST_ITEM_KEYS
        assert re.fullmatch(r"\d{18}", item["code"]) and re.fullmatch(r"\d{16}", item["realSort"])
        datetime.strptime(item["showTime"], "%Y-%m-%d %H:%M:%S")
        assert all(re.fullmatch(r"\d+\.[0-9A-Z]+", s) for s in item["stockList"])
    assert [x["realSort"] for x in page] == sorted((x["realSort"] for x in page), reverse=True)
    assert answer["data"]["sortEnd"] == page[-1]["realSort"]


@pytest.mark.parametrize("left_out", ["sortEnd", "req_trace"])
def test_emfast_without_sort_end_or_req_trace_has_null_data(site: MockSite, left_out: str) -> None:
    url = emfast_url("", 5).replace(f"&{left_out}=", "&x_").replace(f"?{left_out}=", "?x_")
    assert site.get_json(url) == {"code": "1", "message": "success", "data": None}


def test_cls_answers_in_the_real_shape(site: MockSite) -> None:
    answer = site.get_json(cls_url("", 10))
    assert answer["errno"] == 0 and list(answer["data"]) == ["roll_data"]
    page = answer["data"]["roll_data"]
    assert len(page) == 10
    for item in page:
        assert len(item) == 53 and set(item) >= CLS_NAMED_KEYS
        assert isinstance(item["id"], int) and item["level"] in ("A", "B", "C")
        assert item["modified_time"] >= item["ctime"]
        assert item["shareurl"].startswith(f"https://api3.cls.cn/share/article/{item['id']}?")
        for stock in item["stock_list"]:
            assert re.fullmatch(r"(sh|sz)\d{6}|\d{6}\.BJ", stock["StockID"]) and stock["name"]
        for subject in item["subjects"]:
            assert {"subject_id", "subject_name"} <= set(subject)
    # the older unsigned route answers the same roll_data
    old = site.get_json("/nodeapi/telegraphList?rn=10")["data"]["roll_data"]
    assert old == page


def test_ths_answers_in_the_real_shape(site: MockSite) -> None:
    answer = site.get_json(ths_url(1, 10))
    assert answer["code"] == "200" and list(answer["data"]) == ["list"]
    for item in answer["data"]["list"]:
        assert set(item) >= THS_ITEM_KEYS
        assert isinstance(item["ctime"], str) and item["ctime"].isdigit()
        day = datetime.fromtimestamp(int(item["ctime"]), CST).strftime("%Y%m%d")
        assert item["url"] == f"https://news.10jqka.com.cn/{day}/c{item['seq']}.shtml"
        assert item["appUrl"] == f"https://news.10jqka.com.cn/m{item['seq']}/"
        for entry in item["stock"] + item["field"]:
            assert set(entry) == {"name", "stockCode", "stockMarket"}


# -- paging walks every item once ---------------------------------------------------------------
def test_emfast_cursor_walks_every_item_once(site: MockSite, truth: WireSet) -> None:
    served = walk_emfast(site, 7)
    codes = [x["code"] for x in served]
    assert len(codes) == len(set(codes)) == ITEMS
    assert set(codes) == {t["id"] for t in truth.truth("emfast")}


def test_cls_time_cursor_walks_every_item_once(site: MockSite, truth: WireSet) -> None:
    served, splits = walk_cls(site, 7)
    assert splits > 0, "no page ended inside a shared second: the walk proves nothing"
    assert len(served) == ITEMS
    kept = {f"cls:{x['id']}" for x in served if not x["is_ad"]}  # wires.md: drop is_ad items
    assert kept == {t["id"] for t in truth.truth("cls")}


def test_ths_pages_walk_every_item_once(site: MockSite, truth: WireSet) -> None:
    served = walk_ths(site, 9)
    assert [f"ths:{x['seq']}" for x in served] == [t["id"] for t in truth.truth("ths")][::-1]


# -- the cls signature -----------------------------------------------------------------------
def test_cls_refuses_a_missing_or_wrong_sign(site: MockSite) -> None:
    good = cls_params("", 5)
    assert site.get_json("/v1/roll/get_roll_list?" + urlencode(good))["errno"] == 0
    missing = {k: v for k, v in good.items() if k != "sign"}
    wrong = good | {"sign": "0" * 32}
    tampered = good | {"rn": "6"}  # the sign no longer matches the parameters
    plain_sort = dict(good)
    for bad in (missing, wrong, tampered):
        answer = site.get_json("/v1/roll/get_roll_list?" + urlencode(bad))
        assert answer["errno"] != 0 and not (answer.get("data") or {}).get("roll_data"), bad
    # keys compared upper-cased: the sign does not depend on the order they are sent in
    reordered = dict(reversed(list(plain_sort.items())))
    assert site.get_json("/v1/roll/get_roll_list?" + urlencode(reordered))["errno"] == 0


# -- the corpus has the quirks, and its truth follows the written rules -------------------------
def test_synthetic_items_carry_the_wires_quirks(truth: WireSet) -> None:
    cls_items = [it.raw for it in truth.feed("cls").items()]
    ctimes = Counter(x["ctime"] for x in cls_items)
    assert any(n > 1 for n in ctimes.values()), "items sharing one second"
    assert any(not x["title"] and x["content"].startswith("【") for x in cls_items)
    assert any(not x["title"] and not x["content"].startswith("【") for x in cls_items)
    assert any(x["modified_time"] > x["ctime"] for x in cls_items)
    assert any(x["is_ad"] for x in cls_items)
    assert {x["level"] for x in cls_items} >= {"B", "C"}
    assert any(re.search(r"[(（][^()（）]+[)）]$", x["content"]) for x in cls_items)
    notations = {s["StockID"][-3:] if "." in s["StockID"] else s["StockID"][:2]
                 for x in cls_items for s in x["stock_list"]}  # fmt: skip
    assert notations == {"sh", "sz", ".BJ"}
    em = [it.raw for it in truth.feed("emfast").items()]
    prefixes = {s.split(".")[0] for x in em for s in x["stockList"]}
    assert {"0", "1", "90", "116"} <= prefixes and prefixes - {"0", "1", "90", "116", "105",
                                                              "106", "107"}  # fmt: skip
    assert {x["titleColor"] for x in em} == {0, 3}
    ths = [it.raw for it in truth.feed("ths").items()]
    assert {x["import"] for x in ths} == {"0", "1", "3"}
    markets = {s["stockMarket"] for x in ths for s in x["stock"]}
    assert {"17", "33", "177"} <= markets and any(x["field"] for x in ths)


def test_truth_follows_the_written_rules(truth: WireSet) -> None:
    market = {"sh": "SH", "sz": "SZ"}
    for it in truth.feed("cls").items():
        raw, rec = it.raw, it.truth()
        if raw["is_ad"]:
            assert rec is None
            continue
        assert rec is not None and rec["id"] == f"cls:{raw['id']}"
        assert rec["published_at"] == datetime.fromtimestamp(raw["ctime"], CST).isoformat()
        head = re.match(r"【([^】]*)】", raw["content"])
        assert rec["body_text"] == (raw["content"][head.end() :] if head else raw["content"])
        if raw["title"]:
            assert rec["title"] == raw["title"] and not rec["title_derived"]
        elif head:
            assert rec["title"] == head.group(1) and not rec["title_derived"]
        else:
            assert rec["title_derived"] and len(rec["title"]) <= 60
            assert rec["body_text"].split("电，", 1)[1].startswith(rec["title"])
        assert rec["importance"] == "CBA".index(raw["level"])
        assert rec["url"] == raw["shareurl"].split("?")[0]
        expected = [
            {"code": s["StockID"][2:], "market": market[s["StockID"][:2]]}
            if "." not in s["StockID"]
            else {"code": s["StockID"][:6], "market": "BJ"}
            for s in raw["stock_list"]
        ]
        assert [{k: s[k] for k in ("code", "market")} for s in rec["stocks"]] == expected
        assert [s["name"] for s in rec["stocks"]] == [s["name"] for s in raw["stock_list"]]
    for it in truth.feed("emfast").items():
        raw, rec = it.raw, it.truth()
        assert rec is not None and rec["id"] == raw["code"]
        assert raw["summary"].endswith(rec["body_text"]) and not rec["body_text"].startswith("【")
        secids = [s["notation"] for s in rec["stocks"] + rec["boards"]]
        assert sorted(secids) == sorted(raw["stockList"])
        assert all(b["notation"].startswith("90.") for b in rec["boards"])
        for s in rec["stocks"]:  # undocumented prefixes: kept as given, never guessed
            if s["notation"].split(".")[0] not in ("0", "1", "116", "105", "106", "107"):
                assert s["market"] is None
    for it in truth.feed("ths").items():
        raw, rec = it.raw, it.truth()
        assert rec is not None and rec["id"] == f"ths:{raw['seq']}" and rec["url"] == raw["url"]
        listed = [f"{s['stockMarket']}:{s['stockCode']}" for s in raw["stock"]]
        kept = [s["notation"] for s in rec["stocks"] + rec["futures"]]
        assert sorted(listed) == sorted(kept)


# -- runtime controls -----------------------------------------------------------------------------
def test_advance_publishes_newer_items_and_edit_makes_a_revision() -> None:
    site = launch_mock_site(5, SEED, "--wire-items", "30", "--wire-hold", "emfast=10")
    try:
        newest = site.get_json(cls_url("", 1))["data"]["roll_data"][0]
        added = site.get_json("/_wires/advance?wire=cls&n=4", method="POST")["added"]["cls"]
        assert len(added) == 4
        page = site.get_json(cls_url("", 4))["data"]["roll_data"]
        assert sorted(str(x["id"]) for x in page) == sorted(added)
        assert all(x["ctime"] >= newest["ctime"] for x in page)
        state = site.get_json("/_wires/advance?n=2", method="POST")["wires"]
        assert [state[w]["published"] for w in ("emfast", "cls", "ths")] == [12, 36, 32]
        assert len(walk_emfast(site, 5)) == 12

        target = next(x for x in page if not x["is_ad"])
        edited = site.get_json(f"/_wires/edit?wire=cls&id={target['id']}", method="POST")
        assert edited["revision"] == 1 and edited["truth"]["revision"] == 1
        again = site.get_json(cls_url(str(target["ctime"] + 1), 50))["data"]["roll_data"]
        (served,) = [x for x in again if x["id"] == target["id"]]
        assert served["modified_time"] > target["modified_time"]
        assert served["content"] != target["content"] and served["ctime"] == target["ctime"]
        truth = site.get_json("/_wires/truth?wire=cls")
        (record,) = [t for t in truth if t["id"] == f"cls:{target['id']}"]
        assert (
            record["revision"] == 1
            and record["modified_at"]
            == datetime.fromtimestamp(served["modified_time"], CST).isoformat()
        )
        before = site.get_json(ths_url(1, 1))["data"]["list"][0]
        site.get_json(f"/_wires/edit?wire=ths&id=ths:{before['seq']}", method="POST")
        after = site.get_json(ths_url(1, 1))["data"]["list"][0]
        assert after["seq"] == before["seq"] and after["digest"] != before["digest"]
        assert int(after["rtime"]) > int(before["rtime"]) and after["ctime"] == before["ctime"]
        status, _, body = site.get("/_wires/edit?wire=cls&id=1", method="POST")
        assert status == 404, body
        status, _, body = site.get("/_wires/truth?wire=nope")
        assert status == 400, body
        assert "/_wires" not in json.dumps(site.get_json("/_log"))
    finally:
        site.stop()


def test_fault_injection_applies_to_the_wire_routes() -> None:
    rules = ("--fault-rule", r"getFastNewsList=http503:1", "--fault-rule", r"push/stock=malformed")
    site = launch_mock_site(5, SEED, "--wire-items", "10", *rules)
    try:
        status, _, _ = site.get(emfast_url("", 5))
        assert status == 503
        assert len(site.get_json(emfast_url("", 5))["data"]["fastNewsList"]) == 5
        status, _, body = site.get(ths_url(1, 5))
        assert status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
    finally:
        site.stop()


def test_bad_wire_options_fail_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert server.main(["--wire-replay", "cls"]) == 2
    assert server.main(["--wire-replay", "nope=x.jsonl"]) == 2
    assert server.main(["--wire-replay", "cls=/nonexistent/x.jsonl"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(e.startswith("mock-site: ") for e in errors)


# -- replay of the shared real days --------------------------------------------------------------
def _raw_lines(path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["raw"] for line in fh if line.strip()]


def test_replay_serves_the_real_days_as_recorded() -> None:
    days = {
        "cls": [
            require(WIRES_DIR / "cls" / "2026-06-05.jsonl"),
            WIRES_DIR / "cls/2026-07-02.jsonl",
        ],
        "ths": [require(WIRES_DIR / "10jqka" / "2026-06-05.jsonl")],
        "emfast": [require(WIRES_DIR / "eastmoney-fastnews" / "2026-06-05.jsonl")],
    }
    args = [f"--wire-replay={w}={p}" for w, paths in days.items() for p in paths]
    site = launch_mock_site(5, SEED, *args)
    try:
        for wire, walk, key in (
            ("cls", lambda: walk_cls(site, 50)[0], "id"),
            ("ths", lambda: walk_ths(site, 100), "seq"),
            ("emfast", lambda: walk_emfast(site, 100), "code"),
        ):
            recorded = {x[key]: x for p in days[wire] for x in _raw_lines(p)}
            served = walk()
            assert len(served) == len({x[key] for x in served}) == len(recorded), wire
            assert all(x == recorded[x[key]] for x in served), wire
        first = _raw_lines(days["cls"][0])[0]["id"]
        status, _, body = site.get(f"/_wires/edit?wire=cls&id={first}", method="POST")
        assert status == 400, body  # replayed items are served as recorded
    finally:
        site.stop()


def test_replay_hold_then_advance_releases_the_next_real_items() -> None:
    path = require(WIRES_DIR / "cls" / "2026-06-05.jsonl")
    recorded = sorted(_raw_lines(path), key=lambda x: (x["ctime"], x["id"]))
    site = launch_mock_site(5, SEED, f"--wire-replay=cls={path}", "--wire-hold=cls=100")
    try:
        assert walk_cls(site, 20)[0][0]["id"] == recorded[99]["id"]
        added = site.get_json("/_wires/advance?wire=cls&n=3", method="POST")["added"]["cls"]
        assert added == [str(x["id"]) for x in recorded[100:103]]
        assert len(walk_cls(site, 20)[0]) == 103
    finally:
        site.stop()
