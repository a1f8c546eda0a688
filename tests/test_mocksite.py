"""Tests for the deterministic mock site (mocksite) over real HTTP."""

from __future__ import annotations

import http.client
import json
import re
from datetime import datetime
from typing import Any

import lxml.html
import pytest

from mocksite import MockCorpus, derive_seed

BANNER_RE = re.compile(
    r"mock-site listening on http://127\.0\.0\.1:(\d+) \((\d+) articles, seed (\d+)\)"
)
MENTION_RE = re.compile(r"([\u4e00-\u9fa5]{2,10})\((\d{6}|\d{5}\.HK)\)")


# -- a tiny reference extractor: proves the truth is recoverable from the HTML -----------------
def _market_of(code: str) -> tuple[str, str]:
    if code.endswith(".HK"):
        return "HK", "116." + code[:-3]
    if code[0] == "6":
        return "SH", "1." + code
    return ("SZ" if code[0] in "03" else "BJ"), "0." + code


def _market_from_num(num: str, code: str) -> str:
    if num == "1":
        return "SH"
    if num == "116":
        return "HK"
    if num in ("105", "106", "107"):
        return "US"
    return "BJ" if code[0] in "489" else "SZ"


def _gather(node: Any, chunks: list[list[str]]) -> None:
    """Visible text of a paragraph, a new chunk at each <br>."""
    if node.tag == "br":
        chunks.append([])
        return
    chunks[-1].append(node.text or "")
    for child in node:
        _gather(child, chunks)
        chunks[-1].append(child.tail or "")


def reference_extract(content_html: str) -> dict[str, Any]:
    root = lxml.html.fragment_fromstring(content_html, create_parent="div")
    stocks: dict[str, dict[str, Any]] = {}
    boards: dict[str, dict[str, Any]] = {}

    def see(code: str, num: str, name: str | None) -> None:
        secid = f"{num}.{code}"
        if num == "90":
            table, entry = boards, {"code": code, "secid": secid, "name": name}
        else:
            market = _market_from_num(num, code)
            table, entry = stocks, {"code": code, "market": market, "secid": secid, "name": name}
        if secid not in table:
            table[secid] = entry
        elif table[secid]["name"] is None:
            table[secid]["name"] = name

    def scan_text(text: str | None) -> None:
        for name, code in MENTION_RE.findall(text or ""):
            num, _, bare = _market_of(code)[1].partition(".")
            see(bare, num, name)

    def walk(el: Any) -> None:
        if not isinstance(el.tag, str):  # comments
            return
        cls = el.get("class", "")
        if el.tag == "a" and "EmImageRemark" in cls:
            code, num, _ = el.get("data-code").split("|")
            see(code, num, None)
        elif "keytip" in cls or "em_stock_key_common" in cls:
            num, code = el.get("data-code").split(",")
            see(code, num, el.text_content())
        scan_text(el.text)
        for child in el:
            walk(child)
            scan_text(child.tail)

    walk(root)
    lines: list[str] = []
    images: list[str] = []
    for el in root:
        if not isinstance(el.tag, str):
            continue
        style, cls = el.get("style", ""), el.get("class", "")
        if el.tag == "center":
            images += [img.get("src") for img in el.iter("img")]
            continue
        if el.tag != "p" or "display:none" in style or cls == "em_media":
            continue
        if el.find(".//a[@class='EmImageRemark']") is not None:
            continue
        chunks: list[list[str]] = [[]]
        _gather(el, chunks)
        lines += ["".join(c).strip() for c in chunks if "".join(c).strip()]
    return {
        "body_text": "\n".join(lines),
        "stocks": list(stocks.values()),
        "boards": list(boards.values()),
        "images": images,
    }


def _tag_text(fragment: str) -> str:
    return lxml.html.fragment_fromstring(fragment, create_parent="div").text_content()


# -- corpus (in-process) ----------------------------------------------------------------------
def test_derive_seed_is_stable() -> None:
    assert derive_seed(7, 0, "meta") == 10854963943369627896


def test_identity_and_time_axis() -> None:
    corpus = MockCorpus(7, 3000)
    a0 = corpus.article(0)
    assert a0.id == "202201032300000000" and a0.info_code == "NW" + a0.id
    assert a0.published_at == "2022-01-03T09:00:00+08:00"
    prev = None
    for i in range(3000):
        pub = corpus.published(i)
        aid = corpus.article_id(i)
        assert len(aid) == 18 and aid[:8] == pub.strftime("%Y%m%d")
        assert int(aid[8:]) == 2300000000 + i
        assert corpus.index_of(aid) == i and corpus.index_of("NW" + aid) == i
        if prev is not None:
            assert 30 <= (pub - prev).total_seconds() <= 13 * 60
        prev = pub
    bad_date = "20200101" + corpus.article_id(5)[8:]
    assert corpus.index_of(bad_date) is None
    assert corpus.index_of("202201032300999999") is None
    assert corpus.by_id("nonsense") is None
    with pytest.raises(IndexError):
        corpus.article(3000)


def test_truth_matches_reference_extraction() -> None:
    corpus = MockCorpus(11, 600)
    for i in range(600):
        art = corpus.article(i)
        truth = art.truth()
        assert reference_extract(art.content_html) == {
            k: truth[k] for k in ("body_text", "stocks", "boards", "images")
        }, i
        # text variant: same visible text, links unwrapped, quote block kept
        assert _tag_text(art.text_html) == _tag_text(art.content_html)
        assert "keytip" not in art.text_html and "infokey" not in art.text_html
        assert ("EmImageRemark" in art.text_html) == ("EmImageRemark" in art.content_html)
        assert truth["summary"] and art.digest == f"【{art.title}】{art.summary}"


def test_generated_variety() -> None:
    corpus = MockCorpus(7, 2000)
    arts = [corpus.article(i) for i in range(2000)]
    titles = [a.title for a in arts]
    assert all("\n" not in t and "【" not in t for t in titles)
    assert any('"' in t for t in titles) and any("“" in t for t in titles)
    assert any("：" in t for t in titles) and any(":" in t for t in titles)
    assert any("---" in t for t in titles) and any("{{" in t for t in titles)
    markets = {s["market"] for a in arts for s in a.stocks}
    assert markets == {"SH", "SZ", "BJ", "HK", "US"}
    assert any(s["name"] is None for a in arts for s in a.stocks)  # quote block only
    assert any(b["name"] is None for a in arts for b in a.boards)
    assert any("&lt;" in a.content_html for a in arts)
    assert any("　　" in a.content_html for a in arts)
    assert any("display:none" in a.content_html for a in arts)
    assert any('data-code="90,BK0473">证券</a></span><span id="bkquote_90.BK0473"></span>报）'
               in a.content_html for a in arts)  # fmt: skip
    assert 0.1 < sum(a.share_rendered for a in arts) / 2000 < 0.3
    assert 0.08 < sum(not a.api_has_content for a in arts) / 2000 < 0.22
    assert 0.08 < sum(not a.api_has_text for a in arts) / 2000 < 0.22
    lengths = [len(line) for a in arts for line in a.body_lines if not line.startswith("图片来源")]
    assert sum(30 <= n <= 130 for n in lengths) / len(lengths) > 0.9


def test_edit_and_add_in_process() -> None:
    corpus = MockCorpus(7, 50)
    before = corpus.truth(10)
    after = corpus.edit(10).truth()
    assert after["revision"] == 1
    assert after["title"] != before["title"] and after["body_text"] != before["body_text"]
    for key in ("id", "info_code", "published_at", "media"):
        assert after[key] == before[key]
    assert MockCorpus(7, 50).edit(10).truth() == after  # deterministic
    for j in (0, 9, 10, 11, 49):
        art = corpus.article(j)
        assert corpus.headline(j).title == art.title and corpus.headline(j).id == art.id
    assert corpus.add(5) == 55 and corpus.count == 55
    assert corpus.published(54) > corpus.published(49)
    assert corpus.truth(3) == MockCorpus(7, 55).truth(3)


# -- the server ----------------------------------------------------------------------------
def test_banner(mock_site: Any) -> None:
    m = BANNER_RE.fullmatch(mock_site.banner)
    assert m, mock_site.banner
    assert (int(m[1]), int(m[2]), int(m[3])) == (mock_site.port, 300, 7)


def test_determinism_across_processes(mock_site: Any, start_mock_site: Any) -> None:
    other = start_mock_site(articles=300, seed=7)
    different = start_mock_site(articles=300, seed=8)
    paths = ["/web/webapi?type=45&count=50&page=1", "/_truth?offset=0&limit=300"]
    for i in (0, 1, 150, 299):
        aid = mock_site.corpus.article_id(i)
        paths += [
            f"/NewsData/GetNewsText.do?id=NW{aid}",
            f"/html_News/NewsShare.html?infoCode=NW{aid}",
        ]
    for path in paths:
        assert mock_site.get(path)[2] == other.get(path)[2], path
    page = mock_site.get_text(f"/a/{mock_site.corpus.article_id(7)}.html")
    page2 = other.get_text(f"/a/{mock_site.corpus.article_id(7)}.html")
    assert page.replace(mock_site.base_url, "") == page2.replace(other.base_url, "")
    assert mock_site.get(paths[1])[2] != different.get(paths[1])[2]


def test_truth_routes(mock_site: Any) -> None:
    corpus = mock_site.corpus
    assert mock_site.get_json("/_truth?offset=0&limit=300") == [corpus.truth(i) for i in range(300)]
    assert mock_site.get_json("/_truth?offset=290&limit=50") == [
        corpus.truth(i) for i in range(290, 300)
    ]
    aid = corpus.article_id(42)
    assert mock_site.get_json(f"/_truth/{aid}.json") == corpus.truth(42)
    assert mock_site.get(f"/_truth/{corpus.article_id(0)[:8]}2300000300.json")[0] == 404


def test_share_page(mock_site: Any) -> None:
    corpus = mock_site.corpus
    rendered = 0
    for i in range(0, 300, 3):
        art = corpus.article(i)
        html = mock_site.get_text(f"/html_News/NewsShare.html?infoCode={art.info_code}")
        if art.share_rendered:
            rendered += 1
            assert '<div class="newsContent"><h1>' in html
            assert f'<div id="ContentBody" class="Body">{art.content_html}</div>' in html
            time_str = art.published.strftime("%Y年%m月%d日 %H:%M:%S")
            assert f'<div class="time">{time_str}</div>' in html
            assert f"来源：<span>{art.media}</span>" in html and "相关阅读" in html
        else:
            assert f'data-infocode="{art.info_code}"' in html
            assert art.title not in html and "ContentBody" not in html
    assert 0 < rendered < 50
    for path in ("/html_News/NewsShare.html?infoCode=NW123", "/html_News/NewsShare.html"):
        status, _, body = mock_site.get(path)
        assert status == 200 and b'id="newsshare"' in body


def test_text_api(mock_site: Any) -> None:
    corpus = mock_site.corpus
    seen = {"both": 0, "text": 0, "content": 0}
    for i in range(300):
        art = corpus.article(i)
        status, headers, body = mock_site.get(
            f"/NewsData/GetNewsText.do?id={art.info_code}&cid=Admin"
        )
        assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
        data = json.loads(body)
        assert data["infoCode"] == art.info_code and data["title"] == art.title
        assert data["showTime"] == art.published.strftime("%Y-%m-%d %H:%M:%S")
        assert data["mediaName"] == art.media and data["digest"] == art.digest
        truth = art.truth()
        if "content" in data:
            html = data["content"]
            for stock in truth["stocks"]:
                assert stock["code"] in html and (stock["name"] or "") in html
            assert reference_extract(html)["stocks"] == truth["stocks"]
        if "content" in data and "text" in data:
            seen["both"] += 1
        else:
            seen["text" if "text" in data else "content"] += 1
        assert ("text" in data) == art.api_has_text
    assert all(seen.values()), seen
    unknown = f"NW{corpus.article_id(0)[:8]}2300099999"
    assert mock_site.get_json(f"/NewsData/GetNewsText.do?id={unknown}") == {}
    for bad in ("NW123", "202201032300000000", "", "NW20220103230000000x"):
        status, headers, body = mock_site.get(f"/NewsData/GetNewsText.do?id={bad}")
        assert status == 404 and "error" in json.loads(body)
    assert mock_site.get("/NewsData/GetNewsText.do")[0] == 404


def test_article_pages(mock_site: Any) -> None:
    corpus = mock_site.corpus
    for i in (0, 1, 123, 299):
        art = corpus.article(i)
        html = mock_site.get_text(f"/a/{art.id}.html")
        assert f'<link rel="canonical" href="{mock_site.base_url}/a/{art.id}.html">' in html
        title = art.title.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#x27;")
        assert f'<div class="title">{title}</div>' in html
        assert f'<div class="item">{art.published.strftime("%Y年%m月%d日 %H:%M")}</div>' in html
        assert f'<div class="item">来源：{art.media}</div>' in html
        body = f'<div class="txtinfos" id="ContentBody" style="margin-top:0;">{art.content_html}'
        assert body + f"<p>（责任编辑：{art.editor}）</p>" in html
        assert 'class="em_handle_adv_close"' in html
        assert f'<div class="sourcebox">文章来源：{art.media} 郑重声明' in html
        related = re.findall(r'<li><a href="/a/(\d{18})\.html" title="([^"]*)">', html)
        assert len(related) == 6 and art.id not in dict(related)
        for rid, rtitle in related:
            assert corpus.by_id(rid) is not None and rtitle
        assert mock_site.get_text(f"/news/1350,{art.id}.html") == html
        assert mock_site.get_text(f"/news/7,{art.id}.html") == html
    missing = corpus.article_id(0)[:8] + "2300000300"
    status, _, body = mock_site.get(f"/a/{missing}.html")
    assert status == 404 and b"404" in body
    wrong_date = "20210101" + corpus.article_id(3)[8:]
    assert mock_site.get(f"/a/{wrong_date}.html")[0] == 404
    assert mock_site.get(f"/news/1350,{wrong_date}.html")[0] == 404


def test_feed_102(mock_site: Any) -> None:
    corpus = mock_site.corpus
    ids: list[str] = []
    for page in (1, 2, 3):
        data = mock_site.get_json(f"/web/webapi?type=102&count=100&newsid=1&page={page}")
        assert data["total"] == 300 and len(data["records"]) == 100
        ids += [r["id"] for r in data["records"]]
        rec = data["records"][0]
        art = corpus.by_id(rec["id"])
        assert rec == {
            "infoCode": art.info_code,
            "id": art.id,
            "title": art.title,
            "showtime": art.showtime,
            "digest": f"【{art.title}】{art.truth()['summary']}",
            "url_w": f"{mock_site.base_url}/news/1350,{art.id}.html",
        }
    assert ids == [corpus.article_id(i) for i in range(299, -1, -1)]
    assert mock_site.get_json("/web/webapi?type=102&count=100&page=4")["records"] == []
    assert len(mock_site.get_json("/web/webapi?type=102&count=500&page=1")["records"]) == 200
    assert len(mock_site.get_json("/web/webapi?type=102&page=1")["records"]) == 100
    assert mock_site.get("/web/webapi?type=999")[0] == 404


def test_feed_45_and_market(mock_site: Any) -> None:
    corpus = mock_site.corpus
    data = mock_site.get_json("/web/webapi?type=45&count=200&newsid=1&page=1")
    assert data["total"] == 150
    codes = [n["infocode"] for n in data["nodeList"]]
    assert codes == ["NW" + corpus.article_id(i) for i in range(298, -1, -2)][:200]
    node = data["nodeList"][0]
    art = corpus.article(298)
    assert node == {
        "infocode": art.info_code, "from": art.media, "showtime": art.showtime,
        "title": art.title, "simtitle": art.title, "simdigest": art.summary,
    }  # fmt: skip
    seen: set[str] = set()
    for market in (37, 38, 39):
        got: list[str] = []
        page = 1
        while True:
            path = f"/information/newmarket/web/webapi?marketType={market}&count=30&page={page}"
            data = mock_site.get_json(path)
            assert data["total"] == 100
            if not data["record"]:
                break
            got += [r["infoCode"] for r in data["record"]]
            page += 1
        want = [i for i in range(299, -1, -1) if i % 3 == market - 37]
        assert got == ["NW" + corpus.article_id(i) for i in want]
        seen.update(got)
    assert len(seen) == 300
    rec = mock_site.get_json("/information/newmarket/web/webapi?marketType=37&count=1")["record"][0]
    art = corpus.article(297)
    assert rec == {"infoCode": art.info_code, "medianame": art.media,
                   "datetime": art.showtime, "title": art.title}  # fmt: skip
    assert mock_site.get("/information/newmarket/web/webapi?marketType=40")[0] == 404


def test_misc_routes(mock_site: Any) -> None:
    status, _, body = mock_site.get("/robots.txt")
    assert status == 200 and b"Allow: /" in body
    assert mock_site.get("/js/newsshare.js")[0] == 200
    assert mock_site.get("/")[0] == 200  # the index page (tests/test_frictions.py)
    for path in ("/nope", "/a/123.html", "/a/abc.html", "/news/x,202201032300000000.html"):
        assert mock_site.get(path)[0] == 404, path


def test_request_log(start_mock_site: Any) -> None:
    site = start_mock_site(articles=20, seed=3)
    aid = site.corpus.article_id(4)
    site.get(f"/a/{aid}.html")
    site.get(f"/a/{aid}.html")
    site.get(f"/NewsData/GetNewsText.do?id=NW{aid}&cid=Admin")
    site.get("/no/such/page")
    site.get(f"/_truth/{aid}.json")
    site.get("/_admin/add?n=0")
    log = site.get_json("/_log")
    assert log["requests"] == {
        f"/a/{aid}.html": 2,
        f"/NewsData/GetNewsText.do?id=NW{aid}&cid=Admin": 1,
        "/no/such/page": 1,
    }
    assert site.get_json("/_log")["total"] == sum(site.get_json("/_log")["requests"].values())


def test_admin_edit_and_add(start_mock_site: Any) -> None:
    site = start_mock_site(articles=40, seed=5)
    corpus = site.corpus
    aid = corpus.article_id(12)
    before = site.get_json(f"/_truth/{aid}.json")
    state = site.get_json("/_admin/edit?i=12", method="POST")
    assert state["revision"] == 1 and state["count"] == 40 and state["id"] == aid
    corpus.edit(12)
    after = site.get_json(f"/_truth/{aid}.json")
    assert after == corpus.truth(12) == state["truth"]
    assert after["title"] != before["title"] and after["published_at"] == before["published_at"]
    api = site.get_json(f"/NewsData/GetNewsText.do?id=NW{aid}")
    assert api["title"] == after["title"]
    assert site.get("/_admin/edit?i=99")[0] == 404
    assert site.get("/_admin/edit?i=x")[0] == 400

    state = site.get_json("/_admin/add?n=10")
    assert state["count"] == 50 and state["added"] == 10
    corpus.add(10)
    feed = site.get_json("/web/webapi?type=102&count=5&page=1")
    assert feed["total"] == 50 and feed["records"][0]["id"] == corpus.article_id(49)
    newest = datetime.fromisoformat(corpus.truth(49)["published_at"])
    assert newest > datetime.fromisoformat(corpus.truth(39)["published_at"])
    assert site.get_json(f"/_truth/{corpus.article_id(45)}.json") == corpus.truth(45)
    assert site.get("/_admin/add?n=-1")[0] == 400


def test_keep_alive(mock_site: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", mock_site.port, timeout=10)
    try:
        for i in range(50):
            conn.request("GET", f"/NewsData/GetNewsText.do?id=NW{mock_site.corpus.article_id(i)}")
            resp = conn.getresponse()
            assert resp.status == 200 and json.loads(resp.read())
            assert resp.getheader("Connection", "keep-alive").lower() != "close"
    finally:
        conn.close()
