"""Pure functions turning a MockArticle into the bodies the mock site serves.

Kept apart from the server so they can be unit-tested and reused (e.g. to write fixtures)
without starting aiohttp. Page chrome (header, nav, related list, footer, ads) mimics what an
extractor must learn to ignore.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .corpus import Headline, MockArticle

_NAV = (
    ("/", "首页"),
    ("/a/finance.html", "财经"),
    ("/a/stock.html", "股票"),
    ("/a/fund.html", "基金"),
    ("/a/futures.html", "期货"),
    ("/a/bond.html", "债券"),
    ("/a/forex.html", "外汇"),
    ("/a/data.html", "数据中心"),
)
DISCLAIMER = (
    "郑重声明：东方财富发布此内容旨在传播更多信息，与本站立场无关，不构成投资建议。"
    "据此操作，风险自担。"
)

NEWSSHARE_JS = """\
/* mock share-page loader: fetches the article the way the real page does */
(function () {
  var box = document.getElementById("newsshare");
  if (!box) { return; }
  var code = box.getAttribute("data-infocode");
  fetch("/NewsData/GetNewsText.do?id=" + encodeURIComponent(code))
    .then(function (r) { return r.json(); })
    .then(function (d) {
      box.innerHTML = "<h1></h1><div class='Body'></div>";
      box.querySelector("h1").textContent = d.title || "";
      box.querySelector(".Body").innerHTML = d.content || d.text || "";
    });
})();
"""

ROBOTS_TXT = "User-agent: *\nAllow: /\n"


def esc(text: str) -> str:
    """Escape for element content and attribute values alike."""
    return html.escape(text, quote=True)


def cn_time(dt: datetime, seconds: bool = True) -> str:
    """Format like "2022年04月13日 16:25:27" (seconds dropped on the new article layout)."""
    return dt.strftime("%Y年%m月%d日 %H:%M:%S" if seconds else "%Y年%m月%d日 %H:%M")


def share_shell(info_code: str | None) -> str:
    """The static share page: no article in it, JavaScript loads it from the text API."""
    code = esc(info_code or "")
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>东方财富网</title>'
        '<meta name="viewport" content="width=device-width,initial-scale=1"></head><body>'
        f'<div id="newsshare" data-infocode="{code}"><div class="loading">加载中...</div></div>'
        '<script src="/js/newsshare.js"></script></body></html>'
    )


_NAV_LINKS = "".join(f'<li><a href="{href}">{name}</a></li>' for href, name in _NAV)
# Page chrome, the same on every page (built once).
HEADER = (
    '<div class="topbar"><a href="/" class="logo" title="东方财富网">东方财富网</a>'
    '<span class="slogan">财经门户 · 模拟站点</span></div>'
    f'<div class="nav"><ul>{_NAV_LINKS}</ul></div>'
    '<div class="crumbs"><a href="/">首页</a> &gt; <a href="/a/finance.html">财经频道</a>'
    " &gt; 正文</div>"
)


def _related(related: Sequence[Headline | MockArticle]) -> str:
    items = "".join(
        f'<li><a href="/a/{a.id}.html" title="{esc(a.title)}">{esc(a.title)}</a>'
        f'<span class="time">{a.published.strftime("%m-%d %H:%M")}</span></li>'
        for a in related
    )
    return f'<div class="related"><div class="hd">相关阅读</div><ul>{items}</ul></div>'


FOOTER = (
    '<div class="footer"><p><a href="/about.html">关于我们</a> | '
    '<a href="/contact.html">联系我们</a> | <a href="/disclaimer.html">免责声明</a> | '
    '<a href="/sitemap.html">网站地图</a></p>'
    "<p>Copyright &copy; 2022 东方财富网（本地模拟站点，内容为程序生成） 版权所有</p>"
    "<p>违法和不良信息举报电话：000-00000000（模拟）</p></div>"
)


def _page(title: str, head_extra: str, main: str, related: Sequence[Headline | MockArticle]) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title>{head_extra}"
        '<link rel="stylesheet" href="/css/main.css"></head><body>'
        f'{HEADER}<div class="main"><div class="left">{main}</div>'
        f'<div class="right">{_related(related)}'
        '<div class="hotlist"><div class="hd">热门资讯</div><ul>'
        '<li><a href="/a/hot1.html">沪深两市今日盘面回顾</a></li>'
        '<li><a href="/a/hot2.html">基金净值一览</a></li></ul></div></div></div>'
        f"{FOOTER}</body></html>"
    )


def share_page(article: MockArticle, related: Sequence[Headline | MockArticle]) -> str:
    """Server-rendered share page (the ~20% case) around the ``content`` body."""
    main = (
        f'<div class="newsContent"><h1>{esc(article.title)}</h1>'
        f'<div class="Info"><div class="time">{cn_time(article.published)}</div>'
        f'<div class="source">来源：<span>{esc(article.media)}</span></div></div>'
        f'<div id="ContentBody" class="Body">{article.content_html}</div></div>'
    )
    return _page(f"{article.title}_东方财富网", "", main, related)


def article_page(article: MockArticle, base: str, related: Sequence[Headline | MockArticle]) -> str:
    """The "new layout" article page (/a/ID.html and its /news/COL,ID.html mirror)."""
    head = (
        f'<link rel="canonical" href="{base}/a/{article.id}.html">'
        f'<meta name="description" content="{esc(article.summary)}">'
    )
    ad = (
        '<div class="ad_context3"><a href="/ad/click?pos=context3" target="_blank">'
        '<img src="/img/ad/context3.png" alt="广告" width="640" height="90" /></a>'
        '<img class="em_handle_adv_close" src="/img/ad/close.png" alt="关闭广告" /></div>'
    )
    main = (
        f'<div class="title">{esc(article.title)}</div>'
        f'<div class="infos"><div class="item">{cn_time(article.published, seconds=False)}</div>'
        f'<div class="item">来源：{esc(article.media)}</div></div>'
        '<div class="abstract"><div class="b-review">摘要</div>'
        f'<div class="txt">{esc(article.summary)}</div></div>'
        f'<div class="txtinfos" id="ContentBody" style="margin-top:0;">{article.content_html}'
        f"<p>（责任编辑：{esc(article.editor)}）</p>{ad}</div>"
        f'<div class="sourcebox">文章来源：{esc(article.media)} {DISCLAIMER}</div>'
    )
    return _page(f"{article.title}_东方财富网", head, main, related)


def not_found_page() -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>404 页面不存在</title></head>'
        '<body><div class="err404"><h1>404</h1><p>您访问的页面不存在或已被删除。</p>'
        '<p><a href="/">返回首页</a></p></div></body></html>'
    )


def text_api(article: MockArticle) -> dict[str, Any]:
    """GetNewsText.do payload; ``content`` and/or ``text`` depending on the article."""
    data: dict[str, Any] = {
        "infoCode": article.info_code,
        "title": article.title,
        "showTime": article.showtime,
        "mediaName": article.media,
        "digest": article.digest,
    }
    if article.api_has_content and article.api_has_text:
        data["content"] = article.content_html
        data["text"] = article.text_html
    else:
        # Only one key: it carries the full HTML, so the truth stays recoverable from the API.
        data["content" if article.api_has_content else "text"] = article.content_html
    return data


def feed_102_record(article: MockArticle, base: str) -> dict[str, Any]:
    return {
        "infoCode": article.info_code,
        "id": article.id,
        "title": article.title,
        "showtime": article.showtime,
        "digest": article.digest,
        "url_w": f"{base}/news/1350,{article.id}.html",
    }


def feed_45_node(article: MockArticle) -> dict[str, Any]:
    return {
        "infocode": article.info_code,
        "from": article.media,
        "showtime": article.showtime,
        "title": article.title,
        "simtitle": article.title,
        "simdigest": article.summary,
    }


def market_record(article: MockArticle) -> dict[str, Any]:
    return {
        "infoCode": article.info_code,
        "medianame": article.media,
        "datetime": article.showtime,
        "title": article.title,
    }
