"""The mock site's index page (`GET /`): what it serves, with a working link for each route
and the settings that point a crawl at it, so a person who opens it in a browser knows where
to go next."""

from __future__ import annotations

from html import escape

from .corpus import MockCorpus
from .wires.routes import CLS_PATH, EMFAST_PATH, THS_PATH


def index_page(corpus: MockCorpus, base: str) -> str:
    """An HTML page listing the routes (links use the newest article) and a crawl command."""
    newest = corpus.article_id(corpus.count - 1) if corpus.count else "202201030000000000"
    routes = [
        (f"/html_News/NewsShare.html?infoCode=NW{newest}", "share page (spider newsshare)"),
        (f"/NewsData/GetNewsText.do?id=NW{newest}", "text API behind a share page"),
        (f"/a/{newest}.html", "article page (new layout)"),
        ("/web/webapi?type=102&count=20&page=1", "rolling news feed (spider emnews)"),
        ("/web/webapi?type=45&count=20&page=1", "media news feed (spider emmedia)"),
        (
            "/information/newmarket/web/webapi?marketType=37&count=20&page=1",
            "market news feed (spider emmarket)",
        ),
        (
            f"{EMFAST_PATH}?pageSize=20&sortEnd=&req_trace=index",
            "East Money 7x24 wire (spider emfast)",
        ),
        (CLS_PATH, "cls wire"),
        (THS_PATH, "10jqka wire"),
        ("/_truth?limit=10", "ground truth of the corpus (JSON, for tests)"),
        (f"/_truth/{newest}.json", "ground truth of one article"),
        ("/robots.txt", "robots.txt"),
    ]
    items = "\n".join(
        f'<li><a href="{escape(path)}">{escape(path)}</a> {escape(what)}</li>'
        for path, what in routes
    )
    settings = " ".join(
        f"-s {name}={base}"
        for name in ("FINEWS_FEED_BASE", "FINEWS_MARKET_FEED_BASE", "FINEWS_SHARE_BASE")
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>finews mock site</title></head><body>"
        "<h1>finews mock site</h1>"
        f"<p>A local East-Money-like site: {corpus.count} synthetic articles, seed"
        f" {corpus.seed}. Nothing here is real news.</p>"
        f"<h2>Routes</h2><ul>\n{items}\n</ul>"
        f"<h2>Crawl it</h2><pre>finews crawl feeds {escape(settings)}</pre>"
        "</body></html>"
    )
