"""East Money (东方财富): share pages, the text API, article pages, on any mirror host.

Routes to one article, all carrying the same 18-digit number:
  /html_News/NewsShare.html?infoCode=NW<id>  share page: a JavaScript shell, or (on some
                                             mirrors) the article rendered server-side
  /NewsData/GetNewsText.do?id=NW<id>         text API: JSON whose `content` (inline stock
                                             links kept) or `text` key holds the body HTML
  /a/<id>.html, /news/<column>,<id>.html     article pages (new and old layouts)
  /web/webapi?type=102|45, /information/newmarket/web/webapi?marketType=37|38|39
                                             news feeds (JSON lists, newest first): navigate()
                                             turns each entry into a text-API request
Which URLs are East Money's: any path on an eastmoney.com host; the share page and text API
paths (East Money's own software) on any host, so unknown mirrors work; the generic-looking
article and feed paths only on East Money hosts, the configured hosts (FINEWS_SHARE_BASE,
FINEWS_FEED_BASE, FINEWS_MARKET_FEED_BASE) and declared mirrors (FINEWS_EASTMONEY_MIRRORS).
Everything East Money-specific lives in this package: URL rules, feeds and how they page,
extraction per page type, title clean-up, stock notations (stocks.py), identity (the 18-digit
number is the article's `_id`; `info_code` is kept as East Money's own field), default hosts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from finews_crawler.parsing.html_text import Boilerplate, first_text, inner_html, parse_fragment
from finews_crawler.parsing.slugs import media_slug
from finews_crawler.sources.base import (
    FEED_ONLY_CONTEXT,
    PAGE_NUMBER,
    Extracted,
    ExtractionError,
    FeedListing,
    FeedRequest,
    FeedSpec,
    FollowUp,
    Identity,
    NotJSON,
    Page,
    SourceAdapter,
)
from finews_crawler.sources.eastmoney import stocks

# The real source: East Money's text API and share pages have been seen on this host.
DEFAULT_SHARE_BASE = "https://app.jg.eastmoney.com"
DEFAULT_FEED_BASE = "http://183.136.162.242"  # the archive's feed hosts
DEFAULT_MARKET_FEED_BASE = "http://43.240.125.15:1818"
# Comma-separated base URLs (or host[:port]s) of mirrors whose article and feed paths are
# East Money's too; the share page and text API are recognised on any host without it.
MIRRORS_SETTING = "FINEWS_EASTMONEY_MIRRORS"
_SITE_SUFFIX = re.compile(r"\s*[_|-]\s*(?:东方财富网|天天基金网|东方财富)\s*$")
CANONICAL_ARTICLE_URL = "https://finance.eastmoney.com/a/{id}.html"
SHARE_PATH = "/html_News/NewsShare.html"
TEXT_API_PATH = "/NewsData/GetNewsText.do"
FEED_PATH = "/web/webapi"
MARKET_FEED_PATH = "/information/newmarket/web/webapi"
FEED_PATHS = (MARKET_FEED_PATH, FEED_PATH)
FEED_PAGE_PARAM = "page"  # what the mock serves; the real hosts' paging is unverified
FEED_LIST_KEYS = ("records", "nodeList", "record")

_INFO_CODE = re.compile(r"^NW(\d{18})$", re.I)
_GIVEN_CODE = re.compile(r"^(?:NW)?(\d{18})$", re.I)
_ARTICLE_PATH = re.compile(r"/a/(\d{18})\.html$")
_NEWS_PATH = re.compile(r"/news/\d+,(\d{18})\.html$")
_EMWAP_PATH = re.compile(r"/news/info/detail/(\d{18})$")
_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
_DATE_IN_TEXT = re.compile(
    r"\d{4}\s*[年/-]\s*\d{1,2}\s*[月/-]\s*\d{1,2}\s*日?\s*\d{1,2}:\d{2}(?::\d{2})?"
)
_MEDIA_LINE = re.compile(r"(?:文章)?来源\s*[：:]\s*(.+?)\s*[)）]?\s*$")
# The new layout's abstract box starts with its label: <div class="b-review">摘要</div>.
_SUMMARY_LABEL = re.compile(r"^\s*摘要\s*[：:]?\s*")

# Body JSON keys, best first: `content` keeps inline stock links, `text` has them unwrapped.
BODY_KEYS = ("content", "text", "Content", "Text", "body")
TITLE_KEYS = ("title", "Title", "art_title", "simtitle")
TIME_KEYS = ("showTime", "showtime", "ShowTime", "datetime", "publishTime", "updateTime")
MEDIA_KEYS = ("mediaName", "medianame", "MediaName", "source", "from")
SUMMARY_KEYS = ("digest", "summary", "simdigest")


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = data.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def strip_title_brackets(digest: str | None) -> str | None:
    """Rolling-feed digests start with 【title】; the summary is what follows."""
    if not digest:
        return None
    return digest.split("】", 1)[-1].strip() if digest.startswith("【") else digest.strip()


def as_info_code(value: str) -> str | None:
    """`NW` + 18 digits from an infoCode or a bare 18-digit article number; None otherwise."""
    match = _GIVEN_CODE.match(value.strip())
    return f"NW{match.group(1)}" if match else None


def info_code_of(url: str) -> str | None:
    """The infoCode a share or text-API URL names, upper-cased; None when absent/malformed."""
    query = urlsplit(url).query
    if "%" in query or "+" in query:
        fields = parse_qs(query)
    else:  # nothing to decode: parse_qs's answer is the plain split (blank values left out)
        fields = {}
        for pair in query.split("&"):
            name, equals, value = pair.partition("=")
            if equals and value:
                fields.setdefault(name, []).append(value)
    for key in ("infoCode", "infocode", "id"):
        for value in fields.get(key, ()):
            if _INFO_CODE.match(value.strip()):
                return value.strip().upper()
    return None


def host_key(parts: Any) -> str:
    """`host[:port]` of a split URL, lower-case, the port only when one is given."""
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def hosts_of(values: dict[str, Any]) -> frozenset[str]:
    """The hosts named by setting values: base URLs, or comma-separated lists of them."""
    hosts = set()
    for value in values.values():
        items = value if isinstance(value, list | tuple) else str(value or "").split(",")
        for item in items:
            item = str(item).strip()
            if item:
                hosts.add(host_key(urlsplit(item if "//" in item else f"//{item}")))
    return frozenset(hosts)


def share_url(base: str, info_code: str) -> str:
    """A share-page URL on the given host for an infoCode."""
    return f"{base.rstrip('/')}{SHARE_PATH}?infoCode={info_code}"


def text_api_url(page_url: str, info_code: str) -> str:
    """The text-API URL on the same host as a page (a mirror serves both)."""
    scheme, netloc, *_ = urlsplit(page_url)
    return urlunsplit((scheme, netloc, TEXT_API_PATH, f"id={info_code}", ""))


@dataclass(frozen=True)
class Feed:
    """One list API: where it lives and how the archive filed its articles."""

    name: str
    path: str
    params: tuple[tuple[str, str], ...]
    market_host: bool  # served by the market-feed host (FINEWS_MARKET_FEED_BASE)
    category: str | None  # None: the pinyin of the entry's media name
    tag: str | None  # None: "<media>新闻"
    paging: str = (
        PAGE_NUMBER  # how the feed pages (sources/base.py: PAGE_NUMBER, CURSOR, TIME_CURSOR)
    )


FEEDS: dict[str, Feed] = {
    "emnews": Feed("emnews", FEED_PATH, (("type", "102"),), False, "emnews", "东财滚动新闻"),
    "emmedia": Feed("emmedia", FEED_PATH, (("type", "45"),), False, None, None),
    **{
        f"emmarket{market}": Feed(
            f"emmarket{market}", MARKET_FEED_PATH, (("marketType", market),), True, "emmarket", None
        )
        for market in ("37", "38", "39")
    },
}


def feed_url(base: str, feed: Feed, page: int, count: int = 100) -> str:
    """Page `page` (1 = newest) of a feed on a host."""
    query = [*feed.params, ("count", str(count))]
    if feed.path == FEED_PATH:
        query.append(("newsid", "1"))
    query.append((FEED_PAGE_PARAM, str(page)))
    return f"{base.rstrip('/')}{feed.path}?{urlencode(query)}"


def feed_of_url(url: str) -> str | None:
    """The name of the feed a feed-page URL belongs to, on any host; None otherwise."""
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    for feed in FEEDS.values():
        if parts.path.endswith(feed.path) and all(query.get(k) == v for k, v in feed.params):
            return feed.name
    return None


def _feed_spec(feed: Feed, spider: str) -> FeedSpec:
    """A feed as the generic feed spider serves it: page numbers, 1 = newest; the end is an
    empty page (the pager sees it), so `next` always asks for the page after."""
    setting = "FINEWS_MARKET_FEED_BASE" if feed.market_host else "FINEWS_FEED_BASE"
    default = DEFAULT_MARKET_FEED_BASE if feed.market_host else DEFAULT_FEED_BASE

    def request(settings: Any, count: int, page: int) -> FeedRequest:
        base = settings.get(setting) or default
        article_base = settings.get("FINEWS_SHARE_BASE") or DEFAULT_SHARE_BASE
        return FeedRequest(feed_url(base, feed, page, count), page, {"article_base": article_base})

    return FeedSpec(
        name=feed.name,
        paging=feed.paging,
        first=lambda settings, count: request(settings, count, 1),
        next=lambda current, listing, settings, count: request(settings, count, current.page + 1),
        spiders=(spider,),
    )


FEED_SPECS: tuple[FeedSpec, ...] = tuple(
    _feed_spec(feed, "emmarket" if name.startswith("emmarket") else name)
    for name, feed in FEEDS.items()
)


def read_feed(page: Page) -> FeedListing:
    """A feed page as the pager reads it: each usable entry as a text-API request carrying
    the feed's fields, and each entry that cannot be followed (not an object, no infoCode)
    as a problem naming its index. ExtractionError when the page is not a feed. Articles are
    fetched from `context['article_base']`, else the feed's own host."""
    try:
        data = page.json()
    except ExtractionError as exc:  # JSON cut short is worth fetching again
        raise ExtractionError(exc.reason, retriable=page.text.lstrip()[:1] in ("{", "[")) from None
    if isinstance(data, dict):
        for wrapper in ("data", "Data"):
            if isinstance(data.get(wrapper), dict):
                data = data[wrapper]
    key = next((k for k in FEED_LIST_KEYS if isinstance(data, dict) and k in data), None)
    if key is None or not isinstance(data[key] or [], list):
        raise ExtractionError(f"feed JSON has no {'/'.join(FEED_LIST_KEYS)} list")
    feed = FEEDS.get(str(page.context.get("feed") or ""))
    base = page.context.get("article_base") or page.address
    listing = FeedListing()
    for index, entry in enumerate(data[key] or []):
        if not isinstance(entry, dict):
            shown = json.dumps(entry, ensure_ascii=False)[:60]
            listing.problems.append(
                (index, f"feed entry {index} is {type(entry).__name__}, not an object: {shown}")
            )
            continue
        code = str(_first(entry, ("infoCode", "infocode", "InfoCode")) or "").strip().upper()
        if not _INFO_CODE.match(code):
            listing.problems.append(
                (index, f"feed entry {index} has no valid infoCode (NW + 18 digits): {code!r}")
            )
            continue
        media = _first(entry, MEDIA_KEYS)
        tag = feed.tag if feed and feed.tag else (f"{media}新闻" if media else None)
        category = (
            feed.category if feed and feed.category else (media_slug(media) if media else None)
        )
        link = share_url(base, code)
        context = {
            **page.context,
            "feed_title": _first(entry, TITLE_KEYS),
            "feed_published": _first(entry, TIME_KEYS),
            "feed_media": media,
            "feed_summary": strip_title_brackets(_first(entry, SUMMARY_KEYS)),
            "category": category,
            "tags": [tag] if tag else [],
            "info_code": code,
            "article_id": code[2:],
            "entry_url": link,
            "source_url": link,
        }
        for carried in FEED_ONLY_CONTEXT:
            context.pop(carried, None)
        listing.entries.append(FollowUp(url=text_api_url(base, code), context=context))
    return listing


def feed_entries(page: Page) -> list[FollowUp]:
    """The usable entries of a feed page (see read_feed)."""
    return read_feed(page).entries


class EastMoneyAdapter(SourceAdapter):
    name: ClassVar[str] = "eastmoney"
    priority: ClassVar[int] = 10
    boilerplate: ClassVar[Boilerplate] = Boilerplate(
        comment_ranges=(("EM_StockImg_Start", "EM_StockImg_End"),),
        xpaths=(f"//a[{_CLASS.format('EmImageRemark')}]/ancestor::p[1]",),
        classes=(
            ("p", "em_media"),
            ("*", "ad_context3"),
            ("*", "ad_context"),
            ("img", "em_handle_adv_close"),
            ("div", "sourcebox"),
            ("div", "sublab"),
            ("div", "zwothers"),
            ("*", "res-edit"),
            ("div", "b-review"),
        ),
        line_prefixes=(
            "（责任编辑：",
            "(责任编辑：",
            "责任编辑：",
            "（文章来源：",
            "文章来源：",
            "郑重声明：",
            "东方财富发布此内容旨在传播更多信息",
            "风险提示及免责条款",
            "在东方财富看资讯",
            "免责声明：本文基于AI生产",
            "打开微信，",
            "点击底部的“发现”",
        ),
    )

    # ---- which URLs, which article -------------------------------------------------------

    def __init__(self) -> None:
        self.hosts = hosts_of(self.settings_defaults())

    def configure(self, settings: Any) -> None:
        self.hosts = hosts_of({name: settings.get(name) for name in self.settings_defaults()})

    def owns(self, url: str) -> bool:
        parts = urlsplit(url)
        path, host = parts.path, (parts.hostname or "").lower()
        if host == "eastmoney.com" or host.endswith(".eastmoney.com"):
            return True
        if path.endswith((SHARE_PATH, TEXT_API_PATH)):
            return True  # East Money's own share software, on whatever mirror serves it
        generic = path.endswith(FEED_PATHS) or _ARTICLE_PATH.search(path) or _NEWS_PATH.search(path)
        return bool(generic) and host_key(parts) in self.hosts

    own_ids: ClassVar[bool] = True  # the 18-digit numbers were the `_id`s from the start

    def clean_title(self, title: str) -> str:
        """Titles of pages end in `_东方财富网` (or 天天基金网): the site, not the title."""
        return _SITE_SUFFIX.sub("", title)

    def stock_mention(self, element: Any) -> Any:
        return stocks.stock_mention(element)

    stock_markup: ClassVar[str | None] = stocks.MARKUP

    def settings_defaults(self) -> dict[str, Any]:
        return {
            "FINEWS_SHARE_BASE": DEFAULT_SHARE_BASE,
            "FINEWS_FEED_BASE": DEFAULT_FEED_BASE,
            "FINEWS_MARKET_FEED_BASE": DEFAULT_MARKET_FEED_BASE,
            MIRRORS_SETTING: "",
        }

    def share_url(self, article: Any, settings: Any = None) -> str | None:
        """The share page on FINEWS_SHARE_BASE (the real host by default) for the article."""
        code = as_info_code(str(article.get("info_code") or article.get("source_id") or ""))
        if code is None:
            return article.get("url")
        base = settings.get("FINEWS_SHARE_BASE") if settings is not None else None
        return share_url(base or DEFAULT_SHARE_BASE, code)

    def request_for(self, target: str, settings: Any = None) -> str | None:
        """An infoCode or a bare 18-digit number: its share page on FINEWS_SHARE_BASE."""
        code = as_info_code(target)
        if code is None:
            return None
        base = settings.get("FINEWS_SHARE_BASE") if settings is not None else None
        return share_url(base or DEFAULT_SHARE_BASE, code)

    def feeds(self) -> tuple[FeedSpec, ...]:
        return FEED_SPECS

    def feed_of_url(self, url: str) -> str | None:
        return feed_of_url(url)

    def identify(self, url: str) -> Identity | None:
        path = urlsplit(url).path
        number = None
        code = info_code_of(url)
        if code:
            number = code[2:]
        else:
            for pattern in (_ARTICLE_PATH, _NEWS_PATH, _EMWAP_PATH):
                match = pattern.search(path)
                if match:
                    number = match.group(1)
                    break
        if number is None:
            return None
        return self.article_identity(
            number, CANONICAL_ARTICLE_URL.format(id=number), {"info_code": f"NW{number}"}
        )

    # ---- navigation ----------------------------------------------------------------------

    def navigate(self, page: Page) -> list[FollowUp] | None:
        """A feed leads to its entries, a share-page shell to the text API; the rest is final."""
        if urlsplit(page.address).path.endswith(FEED_PATHS):
            return feed_entries(page)
        if not urlsplit(page.address).path.endswith(SHARE_PATH):
            return None
        if self._rendered_body(page) is not None:
            return None
        code = info_code_of(page.address) or info_code_of(page.url)
        if code is None:
            return None  # extract() reports the missing infoCode
        context = {**page.context, "source_url": page.context.get("source_url") or page.url}
        context.setdefault("info_code", code)
        return [FollowUp(url=text_api_url(page.address, code), context=context, dont_filter=True)]

    def read_feed(self, page: Page) -> FeedListing:
        """A feed page's entries and problems, for the feed pager (spiders/feeds.py)."""
        return read_feed(page)

    # ---- extraction ----------------------------------------------------------------------

    def extract(self, page: Page) -> Extracted:
        path = urlsplit(page.address).path
        if path.endswith(TEXT_API_PATH):
            return self._from_text_api(page)
        if path.endswith(FEED_PATHS):
            read_feed(page)  # raises the reason a feed page could not be read
            raise ExtractionError("a feed page lists articles, it is not one")
        rendered = self._rendered_body(page)  # parsed once, read by _from_html_page
        if path.endswith(SHARE_PATH):
            if rendered is None:
                if info_code_of(page.address) is None:
                    raise ExtractionError("share URL has no valid infoCode (NW + 18 digits)")
                raise ExtractionError("share page is an empty shell (text API not reached)")
            return self._from_html_page(page, rendered, "eastmoney:share-page")
        return self._from_html_page(page, rendered, "eastmoney:article-page")

    def _from_text_api(self, page: Page) -> Extracted:
        try:
            data = page.json()
        except NotJSON as exc:  # JSON cut short is worth fetching again; too deep is not
            cut_short = exc.syntax_error and page.text.lstrip()[:1] in ("{", "[")
            raise ExtractionError(exc.reason, retriable=cut_short) from None
        if isinstance(data, dict):
            for wrapper in ("data", "Data", "result"):
                if isinstance(data.get(wrapper), dict):
                    data = data[wrapper]
                    break
        if not isinstance(data, dict):
            raise ExtractionError(f"text API returned {type(data).__name__}, not an object")
        body = _first(data, BODY_KEYS)
        if not body:
            code = info_code_of(page.address) or "?"
            raise ExtractionError(f"text API has no article for {code} (empty or unknown id)")
        if not isinstance(body, str):
            raise ExtractionError("text API body is not a string")
        return Extracted(
            title=_first(data, TITLE_KEYS),
            published=_first(data, TIME_KEYS),
            media=_first(data, MEDIA_KEYS),
            summary=strip_title_brackets(_first(data, SUMMARY_KEYS)),
            body_html=body,
            identity=self._identity_for(page),
            extractor="eastmoney:text-api",
        )

    def _rendered_body(self, page: Page):
        if "html" not in page.content_type and not page.text.lstrip().startswith("<"):
            return None
        root = parse_fragment(page.text) if page.text.strip() else None
        if root is None:
            return None
        for xpath in (
            "//*[@id='ContentBody']",
            f"//div[{_CLASS.format('txtinfos')}]",
            f"//div[{_CLASS.format('newsContent')}]//div[{_CLASS.format('Body')}]",
            "//*[@id='zw_body']",
            "//article[@id='zwtext']",
        ):
            found = root.xpath(xpath)
            if found and found[0].text_content().strip():
                return root, found[0]
        return None

    def _from_html_page(self, page: Page, rendered, extractor: str) -> Extracted:
        if rendered is None:
            raise ExtractionError("no article body on the page (#ContentBody not found)")
        root, body = rendered

        title = first_text(
            root,
            (
                f"//div[{_CLASS.format('newsContent')}]//h1",
                f"//div[{_CLASS.format('title')}]",
                "//h1",
                f"//div[{_CLASS.format('atitle')}]",
                "//meta[@property='og:title']/@content",
                "//title",
            ),
        )
        info_texts = [
            " ".join(element.text_content().split())
            for element in root.xpath(
                f"//div[{_CLASS.format('infos')}]//*[{_CLASS.format('item')}]"
                f" | //div[{_CLASS.format('time')}]"
                f" | //div[{_CLASS.format('Info')}]//*"
            )
        ]
        published = next((m.group(0) for t in info_texts if (m := _DATE_IN_TEXT.search(t))), None)
        media = first_text(
            root,
            (
                f"//div[{_CLASS.format('source')}]//span",
                f"//div[{_CLASS.format('source')}]",
            ),
        )
        if media is None:
            media = next((m.group(1) for t in info_texts if (m := _MEDIA_LINE.search(t))), None)
        if media:
            media = _MEDIA_LINE.sub(r"\1", media).strip() or None
        return Extracted(
            title=title,
            published=published,
            media=media,
            summary=page_summary(root),
            body_html=inner_html(body),
            identity=self._identity_for(page),
            extractor=extractor,
        )

    def _identity_for(self, page: Page) -> Identity | None:
        for url in (page.address, page.url, page.context.get("source_url") or ""):
            identity = self.identify(url) if url else None
            if identity:
                return identity
        return None

    def media_from_body(self, body) -> str | None:
        """The （文章来源：X） line East Money appends to each body."""
        line = first_text(body, (f"//p[{_CLASS.format('em_media')}]",))
        if not line:
            return None
        match = _MEDIA_LINE.search(line.strip("（）() "))
        return match.group(1).strip() if match else None


def page_summary(root) -> str | None:
    """The article page's abstract: `div.abstract div.txt` (new layout) or `div.b-review`
    (old layout), never the box's `摘要` label; None when there is no abstract text."""
    text = first_text(
        root,
        (
            f"//div[{_CLASS.format('abstract')}]//div[{_CLASS.format('txt')}]",
            f"//div[{_CLASS.format('b-review')}]",
        ),
    )
    return (_SUMMARY_LABEL.sub("", text).strip() or None) if text else None


ADAPTER = EastMoneyAdapter()
