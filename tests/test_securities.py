"""The security master on both stores (SQLite file, MongoDB wire protocol via SecantusDB),
what the pipeline teaches it, and the commands `finews tag` and `finews securities`.

Truths: the mock site's own list (/_truth/clist) for refresh; the facts fed in for merging;
the article's markup (a named quote link) for learning during ingestion."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from finews_crawler.items import RawPage
from finews_crawler.storage import Store, open_store
from mocksite.process import free_port
from pipelines import ingest_pages

TIMEOUT = 120


@pytest.fixture(params=["sqlite", "mongodb"])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'master.sqlite3'}"
    return request.getfixturevalue("mongo_store_uri")


@pytest.fixture
def store(store_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.delenv("FINEWS_SPOOL", raising=False)
    with open_store(store_uri) as opened:
        yield opened


def finews(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "finews_crawler.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env=env,
    )


def fact(code: str, market: str, name: str, seen: str, **more) -> dict:
    secid = {"SH": "1", "SZ": "0", "HK": "116"}[market] + "." + code
    base = {"code": code, "market": market, "secid": secid, "kind": "stock", "name": name}
    return {**base, "seen": seen, "learned_from": "test", **more}


def test_master_merges_names_sources_dates_and_counts(store: Store) -> None:
    master = store.securities
    master.upsert(
        [
            fact("600570", "SH", "恒远电子", "2026-06-05T01:00:00", listed=1),
            fact("600570", "SH", "恒远", "2026-06-04T01:00:00", learned_from="clist"),
            fact("600570", "SH", "恒远电子", "2026-06-06T01:00:00", listed=1),
        ]
    )
    master.upsert([fact("00700", "HK", "腾远控股", "2026-06-05T01:00:00")])
    [record] = master.find("600570")
    assert record["_id"] == "SH:600570" and record["secid"] == "1.600570"
    assert record["names"] == ["恒远电子", "恒远"]
    assert record["learned_from"] == ["test", "clist"]
    assert (record["first_seen"], record["last_seen"]) == (
        "2026-06-04T01:00:00",
        "2026-06-06T01:00:00",
    )
    assert record["listed"] == 2
    assert master.find("SH:600570") == [record]
    assert [r["_id"] for r in master.iter()] == ["HK:00700", "SH:600570"]


def test_an_undocumented_market_is_kept_as_given(store: Store) -> None:
    store.securities.upsert(
        [{"code": "159813", "market": None, "secid": "150.159813", "name": "某基金", "seen": "x"}]
    )
    [record] = store.securities.find("159813")
    assert record["_id"] == "OTHER:150.159813" and record["market"] is None


def _page(url: str, html: str) -> RawPage:
    return RawPage(
        url=url,
        final_url=url,
        status=200,
        text=json.dumps({"title": "公告", "showTime": "2026-06-01 09:30:00", "text": html}),
        content_type="application/json",
        context={},
        spider="test",
    )


def test_the_pipeline_teaches_the_master_and_tags_names_next_time(store: Store) -> None:
    link = (
        '<p><span id="stock_1.600123"><a href="http://quote.eastmoney.com/unify/r/1.600123"'
        ' class="keytip" data-code="1,600123">宏拓电子</a></span>发布公告。</p>'
    )
    first = "http://mirror.example/NewsData/GetNewsText.do?id=NW202606010000000201"
    second = "http://mirror.example/NewsData/GetNewsText.do?id=NW202606010000000202"
    [done] = ingest_pages([_page(first, link)], store)
    assert done.status == "new", done.failure
    [record] = store.securities.find("600123")
    assert record["names"] == ["宏拓电子"] and record["learned_from"] == ["link:eastmoney"]
    # a new run loads the master once: the plain name is now a tag
    [later] = ingest_pages([_page(second, "<p>宏拓电子今日股价上涨。</p>")], store)
    assert later.article is not None
    [tag] = later.article["stocks"]
    assert (tag["code"], tag["market"], tag["name"], tag["via"]) == (
        "600123",
        "SH",
        "宏拓电子",
        "name",
    )


def test_finews_tag_reads_lines_and_jsonl(store_uri: str) -> None:
    imported = finews(
        "--store",
        store_uri,
        "securities",
        "import",
        "-",
        stdin='{"code": "LLY", "market": "US", "secid": "106.LLY", "name": "礼来"}\n',
    )
    assert imported.returncode == 0, imported.stderr
    lines = finews("--store", store_uri, "tag", stdin="礼来涨超5%\n腾远控股(00700.HK)回购\n")
    assert lines.returncode == 0, lines.stderr
    out = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [doc["id"] for doc in out] == [1, 2]
    assert [(t["code"], t["via"]) for t in out[0]["tags"]] == [("LLY", "name")]
    assert [(t["code"], t["market"], t["via"]) for t in out[1]["tags"]] == [("00700", "HK", "code")]
    jsonl = finews(
        "--store",
        store_uri,
        "tag",
        "--jsonl",
        stdin="\n".join(
            [
                '{"id": "a", "text": "礼来盘前上涨"}',
                "not json",
                '{"id": "b"}',
                '{"id": "c", "text": ""}',
            ]
        )
        + "\n",
    )
    assert jsonl.returncode == 1  # two bad lines, said so; the rest tagged
    docs = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [doc.get("id") for doc in docs] == ["a", None, None, "c"]
    assert [doc.get("line") for doc in docs] == [None, 2, 3, None]
    assert docs[0]["tags"][0]["code"] == "LLY" and docs[3]["tags"] == []
    assert "line 2" in jsonl.stderr and "line 3" in jsonl.stderr


def test_securities_refresh_learns_the_list_api(mock_site, store_uri: str, tmp_path) -> None:
    done = finews(
        "--store",
        store_uri,
        "securities",
        "refresh",
        "--base",
        mock_site.base_url,
        "--page-size",
        "7",
    )
    assert done.returncode == 0, done.stderr
    exported = finews("--store", store_uri, "securities", "export")
    records = {json.loads(line)["_id"]: json.loads(line) for line in exported.stdout.splitlines()}
    truth = mock_site.get_json("/_truth/clist")
    for entry in truth:
        if entry["market"] == "BK":
            key = f"OTHER:90.{entry['code']}"
        else:
            key = f"{entry['market']}:{entry['code']}"
        assert records[key]["names"] == [entry["name"]], key
        assert records[key]["learned_from"] == ["clist"]
    assert len(records) == len(truth)
    shown = finews("--store", store_uri, "securities", "show", truth[0]["code"])
    assert shown.returncode == 0 and truth[0]["name"] in shown.stdout
    missing = finews("--store", store_uri, "securities", "show", "NOPE")
    assert missing.returncode == 1 and "no security" in missing.stderr
    # export -> import into another store gives the same records
    other = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    dump = tmp_path / "master.jsonl"
    dump.write_text(exported.stdout, encoding="utf-8")
    assert finews("--store", other, "securities", "import", str(dump)).returncode == 0
    copied = finews("--store", other, "securities", "export").stdout.splitlines()
    assert [json.loads(line)["names"] for line in copied] == [
        records[json.loads(line)["_id"]]["names"] for line in copied
    ]
    assert len(copied) == len(records)


def test_securities_refresh_unreachable_is_a_failure_record(tmp_path) -> None:
    store_uri = f"sqlite:///{tmp_path / 'down.sqlite3'}"
    down = f"http://127.0.0.1:{free_port()}"
    done = finews("--store", store_uri, "securities", "refresh", "--base", down)
    assert done.returncode == 1
    assert "security list" in done.stderr
    with open_store(store_uri) as store:
        failures = list(store.iter_failures())
    assert failures and all(f["stage"] == "securities" for f in failures)


def test_securities_import_refuses_bad_lines(tmp_path) -> None:
    store_uri = f"sqlite:///{tmp_path / 'bad.sqlite3'}"
    done = finews(
        "--store",
        store_uri,
        "securities",
        "import",
        "-",
        stdin="\n".join(
            [
                '{"code": "600570", "market": "SH", "name": "某名"}',
                "[1]",
                '{"code": "X", "kind": "odd"}',
            ]
        )
        + "\n",
    )
    assert done.returncode == 1
    assert "line 2" in done.stderr and "line 3" in done.stderr
    with open_store(store_uri) as store:
        assert [r["_id"] for r in store.securities.iter()] == ["SH:600570"]
