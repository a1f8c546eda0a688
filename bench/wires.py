"""Wire items per second, from the wire's JSON page to the store, beside East Money articles.

For each wire (emfast, cls, ths) the mock's synthetic items are put in the wire's page envelope
(the shapes the mock serves), read by the wire's adapter (read_feed: one entry per item, the
item carried) and run through the whole chain into SQLite (pipelines.ingest_pages). The East
Money row runs the mock's article pages (HTML) through the same chain. CPU seconds of this
process, feed reading included, page building excluded (that is the host's work).
"""

from __future__ import annotations

import json
from typing import Any

from bench.measure import cpu_time, scratch_dir
from finews_crawler.crawl.store_component import StoreComponent
from finews_crawler.items import RawPage
from finews_crawler.sources import Page, adapter_for, configure_sources
from finews_crawler.storage.sqlite import SQLiteStore
from mocksite import MockCorpus, render
from mocksite.wires import WireSet
from pipelines.chain import ingest_pages

BASE = "http://bench.example"
# The mock's article paths on this host are East Money's only once it is a declared mirror
# (sources/eastmoney: generic-looking paths need a known host), as a crawl of a mirror says.
MIRROR_SETTINGS = {"FINEWS_EASTMONEY_MIRRORS": BASE}
PAGE_SIZE = 100
FEED_PAGES = {  # wire -> (feed page path, envelope around the item list)
    "emfast": (
        "/comm/web/getFastNewsList?sortEnd=",
        lambda items: {"code": "1", "data": {"fastNewsList": items, "sortEnd": ""}},
    ),
    "cls": (
        "/v1/roll/get_roll_list?last_time=",
        lambda items: {"errno": 0, "msg": "", "data": {"roll_data": items}},
    ),
    "ths": (
        "/tapp/news/push/stock/?page=1",
        lambda items: {"code": "200", "msg": "ok", "data": {"list": items}},
    ),
}


def paged(wire: str, items: list[Any], host: str) -> list[Page]:
    """Items (newest first) in the wire's feed page envelope, PAGE_SIZE a page, on `host`."""
    path, envelope = FEED_PAGES[wire]
    return [
        Page(
            url=host + path,
            text=json.dumps(envelope(items[i : i + PAGE_SIZE]), ensure_ascii=False),
            content_type="application/json",
        )
        for i in range(0, len(items), PAGE_SIZE)
    ]


def feed_pages(wire: str, count: int, seed: int) -> list[Page]:
    """The wire's items as the host serves them, PAGE_SIZE a page, newest first."""
    items = [item.raw for item in WireSet.build(seed=seed, items=count).feed(wire).items()]
    items.reverse()
    return paged(wire, items, BASE)


def wire_row(wire: str, count: int, seed: int) -> dict[str, Any]:
    pages = feed_pages(wire, count, seed)
    adapter = adapter_for(pages[0].url)
    assert adapter is not None and hasattr(adapter, "read_feed")
    with scratch_dir("bench-wires-") as work:
        store = SQLiteStore(work / "wires.sqlite3")
        started = cpu_time()
        raws = [
            RawPage(
                url=entry.url,
                final_url=entry.url,
                status=200,
                text=entry.text,
                content_type=entry.content_type,
                context=entry.context,
                spider="bench",
            )
            for page in pages
            for entry in adapter.read_feed(page).entries
        ]
        results = ingest_pages(raws, run=StoreComponent(store, "bench"))
        seconds = max(cpu_time() - started, 1e-9)
        store.close()
    return _row(wire, results, seconds)


def article_row(count: int, seed: int) -> dict[str, Any]:
    corpus = MockCorpus(seed=seed, count=count)
    raws = []
    for i in range(count):
        article = corpus.article(i)
        url = f"{BASE}/a/{article.id}.html"
        raws.append(
            RawPage(
                url=url,
                final_url=url,
                status=200,
                text=render.article_page(article, BASE, []),
                content_type="text/html; charset=utf-8",
                context={},
                spider="bench",
            )
        )
    configure_sources(MIRROR_SETTINGS)
    with scratch_dir("bench-articles-") as work:
        store = SQLiteStore(work / "articles.sqlite3")
        started = cpu_time()
        results = ingest_pages(raws, run=StoreComponent(store, "bench"))
        seconds = max(cpu_time() - started, 1e-9)
        store.close()
    return _row("eastmoney article pages (HTML)", results, seconds)


def _row(name: str, results: list[Any], seconds: float) -> dict[str, Any]:
    stored = sum(1 for result in results if result.status == "new")
    return {
        "path": name,
        "items": len(results),
        "stored": stored,
        "cpu_seconds": round(seconds, 3),
        "items_per_s": round(stored / seconds, 1),
    }


def run(count: int, seed: int = 23) -> dict[str, Any]:
    """`count` items per wire and `count` East Money article pages."""
    rows = [wire_row(wire, count, seed) for wire in FEED_PAGES]
    rows.append(article_row(count, seed))
    return {"count": count, "rows": rows}
