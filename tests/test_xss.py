"""Hostile article content: no XSS vector survives into stored body_html or any export.

Each vector of tests/xss_vectors.txt goes into one article's body (between two harmless
paragraphs), its title and its media name, through the real pipelines into a real SQLite
store; then the stored record, its JSON Lines export and its Jekyll post are inspected as a
browser would parse them: no executable element, no event handler or style attribute, no
URL with a scheme other than http(s), no Liquid. Harmless formatting must survive.
"""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import yaml

from finews_crawler.items import RawPage
from finews_crawler.storage import ArticleQuery, open_store
from pipelines import ingest_pages

VECTORS = [
    line
    for line in (Path(__file__).parent / "xss_vectors.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("# ")
]
API = "http://mirror.test/NewsData/GetNewsText.do?id={code}"
# What nothing in a body may contain once sanitised (the allow-list admits none of these).
FORBIDDEN_TAGS = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
    "input", "button", "textarea", "select", "svg", "math", "meta", "link", "base", "body",
    "head", "html", "template", "noscript", "xmp", "video", "audio", "source", "details",
    "marquee", "isindex", "title", "div",
}  # fmt: skip
SAFE_ATTRIBUTES = {"href", "title", "src", "alt", "width", "height", "colspan", "rowspan", "rel"}
URL_ATTRIBUTES = {"href", "src"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_TAG = re.compile(r"<[^>]*>")


def code(n: int) -> str:
    return f"NW2022041323421{n:05d}"


def hostile_page(n: int, vector: str) -> RawPage:
    payload = {
        "title": f"标题{n} {vector}",
        "showTime": "2022-04-13 16:25:27",
        "mediaName": f"媒体{vector}"[:90],
        "content": f"<p>前文第{n}段。</p>{vector}<p>后文第{n}段。</p>",
    }
    url = API.format(code=code(n))
    return RawPage(
        url=url,
        final_url=url,
        status=200,
        text=json.dumps(payload, ensure_ascii=False),
        content_type="application/json",
        context={"entry_url": url},
        spider="xss",
        error=None,
    )


def assert_inert(fragment: str, where: str) -> None:
    """Parse like a browser; fail on anything that could run or restyle the page."""
    root = lxml.html.fragment_fromstring(fragment or "", create_parent="section")
    for element in root.iter():
        if not isinstance(element.tag, str) or element is root:
            continue
        tag = element.tag.lower()
        assert tag not in FORBIDDEN_TAGS, (where, tag, fragment)
        for name, value in element.attrib.items():
            assert name.lower() in SAFE_ATTRIBUTES, (where, tag, name, fragment)
            if name.lower() in URL_ATTRIBUTES:
                cleaned = _INVISIBLE.sub("", html.unescape(value)).lower()
                scheme = _SCHEME.match(cleaned)
                assert scheme is None or scheme.group(1) in ("http", "https"), (where, value)
    for tag in _TAG.findall(fragment):
        lowered = html.unescape(tag).lower()
        assert "javascript:" not in lowered and "vbscript:" not in lowered, (where, tag)
        assert not re.search(r"\son\w+\s*=", lowered), (where, tag)


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> dict[str, Any]:
    """All vectors ingested once; the stored articles by id, and the store URI."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('xss')}/xss.sqlite3"
    pages = [hostile_page(n, vector) for n, vector in enumerate(VECTORS)]
    with open_store(uri) as store:
        results = ingest_pages(pages, store)
        assert [result.status for result in results] == ["new"] * len(VECTORS), [
            (result.url, result.failure) for result in results if result.status != "new"
        ]
        articles = {article["_id"]: article for article in store.iter_articles(ArticleQuery())}
    return {"uri": uri, "articles": articles}


def test_the_corpus_has_at_least_50_vectors() -> None:
    assert len(VECTORS) >= 50
    assert len(set(VECTORS)) == len(VECTORS)


@pytest.mark.parametrize("n", range(len(VECTORS)), ids=[f"v{n:02d}" for n in range(len(VECTORS))])
def test_no_vector_survives_in_stored_body_html(stored, n: int) -> None:
    article = stored["articles"][code(n)[2:]]
    assert_inert(article["body_html"], "stored body_html")
    # The text before the vector stays (an unclosed <style> or <noscript> may swallow the rest,
    # as it would in a browser).
    assert f"前文第{n}段。" in article["body_text"]


def test_no_vector_survives_in_the_jsonl_export(stored) -> None:
    from finews_crawler.exporters.jsonl import export_jsonl

    out = io.StringIO()
    with open_store(stored["uri"]) as store:
        written = export_jsonl(store, ArticleQuery(), out)
    lines = out.getvalue().splitlines()
    assert written == len(lines) == len(VECTORS)
    for line in lines:
        record = json.loads(line)
        assert_inert(record["body_html"], f"jsonl {record['_id']}")
        assert record["title"] == stored["articles"][record["_id"]]["title"]  # plain text kept


def _split_post(post: str) -> tuple[dict[str, Any], str, str]:
    from finews_crawler.exporters.jekyll import BODY_CLOSE, BODY_OPEN

    assert post.startswith("---\n")
    header, rest = post[4:].split("\n---\n", 1)
    before, body_and_after = rest.split(BODY_OPEN, 1)
    body, after = body_and_after.split(BODY_CLOSE, 1)
    assert before.strip() == ""
    return yaml.safe_load(header), body, after


@pytest.mark.parametrize("n", range(len(VECTORS)), ids=[f"v{n:02d}" for n in range(len(VECTORS))])
def test_no_vector_survives_in_the_jekyll_post(stored, n: int) -> None:
    from finews_crawler.exporters.jekyll import SiteOptions, post_filename, render_post

    article = stored["articles"][code(n)[2:]]
    post = render_post(article, SiteOptions())
    front, body, after = _split_post(post)
    # Nothing injected: only the keys the exporter writes (README "Jekyll site").
    assert set(front) <= {"layout", "title", "date", "categories", "tags", "media", "stocks"} | {
        "stock_pages",
        "source_link",
    }
    assert not front.get("source_link") or re.match(r"https?://", front["source_link"])
    assert front["title"] == article["title"]
    assert re.fullmatch(r"[a-z0-9-]+", front["categories"])
    assert_inert(body, "jekyll body")
    # Liquid never sees a tag (front-matter values are data, which layouts print escaped).
    assert "{{" not in body + after and "{%" not in body + after
    # Outside the body: only the autolink and Markdown links; no raw HTML from the article.
    assert all(tag.startswith("<http") for tag in re.findall(r"<[^\s>]*", after)), after
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-\d{18}\.md", post_filename(article))


def test_harmless_formatting_survives(tmp_path) -> None:
    body = (
        "<p>第一段<br>换行之后</p>"
        '<p><strong>加粗</strong>与<a href="http://ok.test/x.html">链接</a></p>'
        '<p><img src="http://ok.test/a.png" alt="图"></p>'
    )
    page = hostile_page(999, "")
    payload = json.loads(page["text"])
    payload.update(title="格式测试", mediaName="测试媒体", content=body)
    page["text"] = json.dumps(payload, ensure_ascii=False)
    with open_store(f"sqlite:///{tmp_path}/ok.sqlite3") as store:
        (result,) = ingest_pages([page], store)
        article = store.get_article(result.article["_id"])
    stored_html = article["body_html"]
    assert "<p>第一段<br>换行之后</p>" in stored_html
    assert "<strong>加粗</strong>" in stored_html
    assert re.search(r'<a href="http://ok\.test/x\.html"[^>]*>链接</a>', stored_html)
    assert re.search(r'<img src="http://ok\.test/a\.png" alt="图"\s*/?>', stored_html)
    assert article["images"] == ["http://ok.test/a.png"]
    assert_inert(stored_html, "formatting")
