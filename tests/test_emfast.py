"""East Money 7x24 (`emfast`): the generic feed spider driven by the adapter's feed description,
against the mock site's wire (the same paths, parameters and JSON as the real host).

Truth: the mock generator's truth records (/_wires/truth) for its synthetic items; for the
shared real items (replayed byte for byte), the rules of issue 12 written out below, applied
to the items' own fields.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from finews_crawler.storage import open_store
from tests.crawl_helpers import CRAWL_TIMEOUT, crawl_command

BEIJING = timezone(timedelta(hours=8))
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "wires"
REAL_ITEMS = SHARED / "eastmoney-fastnews"


def crawl_emfast(store: Path, base: str, *extra: str) -> subprocess.CompletedProcess:
    command = crawl_command(
        f"sqlite:///{store}",
        "emfast",
        "-s",
        f"FINEWS_EMFAST_BASE={base}",
        "-s",
        "FINEWS_STORE_FLUSH_SECONDS=0.5",
        *extra,
    )
    return subprocess.run(
        command, cwd=store.parent, capture_output=True, text=True, timeout=CRAWL_TIMEOUT
    )


def stored(store: Path) -> dict[str, dict[str, Any]]:
    with open_store(f"sqlite:///{store}") as opened:
        return {article["_id"]: article for article in opened.iter_articles()}


def wire_pages(site: Any) -> int:
    """Wire pages the mock has answered (each request URL is unique: req_trace)."""
    log = site.get_json("/_log")
    return sum(n for path, n in log["requests"].items() if "getFastNewsList" in path)


def as_stored(truth: dict[str, Any]) -> dict[str, Any]:
    """A truth record in the store's field shapes (secid is the wire's notation)."""
    return {
        "_id": truth["id"],
        "source": "eastmoney",
        "source_id": truth["source_id"],
        "title": truth["title"],
        "published_at": datetime.fromisoformat(truth["published_at"]),
        "body_text": truth["body_text"],
        "media": truth["media"],
        "importance": truth["importance"],
        "stocks": [
            {
                "code": s["code"],
                "market": s["market"] or "OTHER",  # undocumented number: secid as given
                "secid": s["notation"],
                "name": s["name"],
                "via": "source",
            }
            for s in truth["stocks"]
        ],
        "boards": [
            {"code": b["code"], "secid": b["notation"], "name": b["name"], "via": "source"}
            for b in truth["boards"]
        ],
    }


def mismatches(articles: dict[str, dict[str, Any]], expected: list[dict[str, Any]]) -> list:
    wrong = []
    for want in expected:
        got = articles.get(want["_id"])
        if got is None:
            wrong.append((want["_id"], "missing"))
            continue
        for name, value in want.items():
            have = got.get(name)
            if name in ("stocks", "boards"):  # the source's list first; then the tagger's
                extra = (have or [])[len(value) :]
                # The truth's keys; a name the list leaves out may come from the text.
                have = [
                    {
                        key: None if key == "name" and not listed["name"] else entry.get(key)
                        for key in listed
                    }
                    for entry, listed in zip((have or [])[: len(value)], value, strict=False)
                ]
                if any(entry.get("via") == "source" for entry in extra):
                    wrong.append((want["_id"], name, "extra entries marked as the source's", extra))
            if have != value:
                wrong.append((want["_id"], name, have, value))
    return wrong


def test_emfast_crawl_stores_every_wire_item_as_the_generator_says(
    start_mock_site, tmp_path: Path
) -> None:
    site = start_mock_site(
        articles=20, extra_args=("--wire-items", "130", "--wire-hold", "emfast=100")
    )
    store = tmp_path / "emfast.sqlite3"
    done = crawl_emfast(store, site.base_url, "-a", "count=30")
    assert done.returncode == 0, done.stderr[-3000:]
    truth = [as_stored(t) for t in site.get_json("/_wires/truth?wire=emfast")]
    assert len(truth) == 100
    articles = stored(store)
    assert set(articles) == {t["_id"] for t in truth}
    assert mismatches(articles, truth) == []

    first_pages = wire_pages(site)
    assert first_pages >= 4  # 100 items, 30 a page, down to the end of the wire

    # Incremental: 30 new items; the next run pages only until it meets what it has.
    site.get("/_wires/advance?wire=emfast&n=30", method="POST")
    done = crawl_emfast(store, site.base_url, "-a", "count=30")
    assert done.returncode == 0, done.stderr[-3000:]
    truth = [as_stored(t) for t in site.get_json("/_wires/truth?wire=emfast")]
    articles = stored(store)
    assert len(truth) == 130 and set(articles) == {t["_id"] for t in truth}
    assert mismatches(articles, truth) == []
    assert wire_pages(site) - first_pages < first_pages  # not the whole wire again


# ---- the shared real items, replayed -------------------------------------------------------

_HEADLINE = re.compile(r"^【[^】]*】\s*")
_OUTLET = re.compile(r"\s*[（(]([^()（）]{2,12})[)）]\s*$")


def market_of(number: str, code: str) -> str | None:
    """Issue 12 / shared/reference/wires.md: 1 SH; 0 SZ, 92xxxx BJ, 4/8xxxxx not guessed;
    116 HK; 105/106/107 US; any other number kept as given, no market."""
    if number == "1":
        return "SH"
    if number == "0":
        return "BJ" if code.startswith("92") else (None if code[:1] in "48" else "SZ")
    return {"116": "HK", "105": "US", "106": "US", "107": "US"}.get(number)


def expected_from_raw(raw: dict[str, Any]) -> dict[str, Any]:
    stocks, boards = [], []
    for secid in raw["stockList"]:
        number, _, code = secid.partition(".")
        if number == "90":
            if secid not in [b["secid"] for b in boards]:
                boards.append({"code": code, "secid": secid, "name": None, "via": "source"})
        elif secid not in [s["secid"] for s in stocks]:
            market = market_of(number, code) or "OTHER"  # undocumented: secid as given
            stocks.append({"code": code, "market": market, "secid": secid})
            stocks[-1].update(name=None, via="source")
    body = _HEADLINE.sub("", raw["summary"].strip(), count=1)
    outlet = _OUTLET.search(body)
    shown = datetime.strptime(raw["showTime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    return {
        "_id": raw["code"],
        "source": "eastmoney",
        "source_id": raw["code"],
        "title": raw["title"].strip(),
        "published_at": shown,
        "body_text": body,
        "media": outlet.group(1) if outlet else "东方财富",
        "importance": 1 if str(raw["titleColor"]) == "3" else 0,
        "stocks": stocks,
        "boards": boards,
    }


@pytest.mark.skipif(not REAL_ITEMS.is_dir(), reason="../shared (real wire items) is absent")
def test_emfast_replays_the_shared_real_items_each_stored_once(
    start_mock_site, tmp_path: Path
) -> None:
    files = sorted(REAL_ITEMS.glob("*.jsonl"))
    replay = [arg for path in files for arg in ("--wire-replay", f"emfast={path}")]
    site = start_mock_site(articles=10, extra_args=tuple(replay))
    raws: dict[str, dict[str, Any]] = {}
    for path in files:  # two days' files list some items twice: the first one counts
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)["raw"]
                raws.setdefault(raw["code"], raw)
    store = tmp_path / "real.sqlite3"
    done = crawl_emfast(store, site.base_url, "-a", "count=200", "-a", "since=2026-01-01")
    assert done.returncode == 0, done.stderr[-3000:]
    articles = stored(store)
    assert set(articles) == set(raws)  # every item once: one record per code
    assert mismatches(articles, [expected_from_raw(raw) for raw in raws.values()]) == []
