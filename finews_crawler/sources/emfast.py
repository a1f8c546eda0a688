"""East Money 7x24 fast news (东方财富 快讯): a real-time wire, one adapter module.

Feed  GET <FINEWS_EMFAST_BASE>/comm/web/getFastNewsList?client=web&biz=web_724&fastColumn=102
      &sortEnd=<cursor>&pageSize=<n>&req_trace=<ms>   (sortEnd empty = the newest page)
      -> {"code": "1", "data": {"fastNewsList": [...], "sortEnd": "<realSort of the last item>"}}
      newest first; the next page is asked with the answer's sortEnd (an opaque cursor); an
      empty page (sortEnd "") ends the feed. Without sortEnd or req_trace the host answers
      `data: null`, read here as a refusal.
Item  code (18 digits, the number space of East Money articles: the item IS that article, so it
      is stored under the same `_id` with source `eastmoney`, whichever route finds it first),
      showTime (Beijing time), title, summary (often `【title】` + text), titleColor (3 =
      highlighted), stockList (secids "<market>.<code>").
The items carry the whole article: the feed's entries are read where they are, no fetch.
Spider `emfast` is the generic feed spider driven by `feeds()` below.
"""

from __future__ import annotations

import re
import time
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from finews_crawler.parsing.stocks import Board, Security, from_market_code
from finews_crawler.sources.base import (
    CURSOR,
    Extracted,
    ExtractionError,
    FeedListing,
    FeedRequest,
    FeedSpec,
    Identity,
    Page,
    SourceAdapter,
)
from finews_crawler.sources.carried import (
    bad_item,
    carried_entry,
    carried_item,
    outlet_or,
    paragraphs_html,
)
from finews_crawler.sources.eastmoney import ADAPTER as EASTMONEY

DEFAULT_BASE = "https://np-listapi.eastmoney.com"
SETTING = "FINEWS_EMFAST_BASE"
PATH = "/comm/web/getFastNewsList"
FEED = "emfast"
HOME_MEDIA = "东方财富"
_CODE = re.compile(r"^\d{18}$")
_HEADLINE = re.compile(r"^【[^】]*】\s*")
# East Money market numbers whose meaning is documented; any other is kept as given.
_US = ("105", "106", "107")
_BOARD = "90"


def feed_url(base: str, cursor: str, count: int) -> str:
    """One page of the wire: `cursor` empty for the newest page."""
    query = {
        "client": "web",
        "biz": "web_724",
        "fastColumn": "102",
        "sortEnd": cursor,
        "pageSize": str(count),
        "req_trace": str(int(time.time() * 1000)),
    }
    return f"{base.rstrip('/')}{PATH}?{urlencode(query)}"


def item_url(feed_page: str, code: str) -> str:
    """Where an item is filed (its feed's path, the code as fragment): never fetched."""
    scheme, netloc, *_ = urlsplit(feed_page)
    return urlunsplit((scheme, netloc, PATH, "", code))


def stock_of(secid: str) -> Security | Board | None:
    """One stockList entry: boards (90.) apart, documented markets mapped, any other market
    number (150., 153., 999., 1007., ...) and ambiguous codes kept as given with no market."""
    number, dot, code = str(secid).strip().partition(".")
    if not dot or not number or not code:
        return None
    if number == _BOARD:
        return Board(code=code, secid=secid)
    market = None
    if number == "1":
        market = "SH"
    elif number == "0":  # Shenzhen; 92xxxx Beijing; 4/8xxxxx Beijing or NEEQ: not guessed
        market = "BJ" if code.startswith("92") else (None if code[:1] in "48" else "SZ")
    elif number == "116":
        market = "HK"
    elif number in _US:
        market = "US"
    known = from_market_code(market, code) if market else None
    if known is not None and known.market == market:
        return Security(code=known.code, market=market, secid=secid)
    return Security(code=code, market=None, secid=secid)


def read_items(page: Page) -> list[Any]:
    """The answer's item list, or ExtractionError saying why there is none."""
    data = page.json()
    inner = data.get("data") if isinstance(data, dict) else None
    if not isinstance(inner, dict):
        message = data.get("message") if isinstance(data, dict) else None
        raise ExtractionError(f"fast news answer holds no data (message {message!r})")
    items = inner.get("fastNewsList")
    if not isinstance(items, list):
        raise ExtractionError("fast news answer has no fastNewsList list")
    return items


class EmFastAdapter(SourceAdapter):
    name: ClassVar[str] = FEED
    priority: ClassVar[int] = 5  # ahead of the East Money pages adapter on the same hosts
    stored_as: ClassVar[str | None] = EASTMONEY.name  # its items are East Money's articles

    def owns(self, url: str) -> bool:
        return urlsplit(url).path.endswith(PATH)

    def identify(self, url: str) -> Identity | None:
        code = urlsplit(url).fragment
        return self.identity_of(code) if _CODE.match(code) else None

    @staticmethod
    def identity_of(code: str) -> Identity | None:
        """The East Money article with this number (one record, whichever route finds it)."""
        return EASTMONEY.identify(f"https://finance.eastmoney.com/a/{code}.html")

    def settings_defaults(self) -> dict[str, Any]:
        return {SETTING: DEFAULT_BASE}

    # ---- the feed ------------------------------------------------------------------------

    def feeds(self) -> tuple[FeedSpec, ...]:
        def request(settings: Any, count: int, page: int, cursor: str) -> FeedRequest:
            base = (settings.get(SETTING) if settings is not None else None) or DEFAULT_BASE
            return FeedRequest(feed_url(base, cursor, count), page, {"cursor": cursor})

        def after(current: FeedRequest, listing: Any, settings: Any, count: int):
            cursor = getattr(listing, "cursor", None)
            if not cursor or cursor == current.context.get("cursor"):
                return None  # an empty or unchanged cursor ends the feed
            return request(settings, count, current.page + 1, cursor)

        return (
            FeedSpec(
                name=FEED,
                paging=CURSOR,
                first=lambda settings, count: request(settings, count, 1, ""),
                next=after,
                spiders=(FEED, "wires"),  # also in the combined `wires` crawl
                in_all=False,  # a wire is polled on its own schedule, not with the archive
            ),
        )

    def feed_of_url(self, url: str) -> str | None:
        parts = urlsplit(url)
        return FEED if parts.path.endswith(PATH) and not parts.fragment else None

    def read_feed(self, page: Page) -> FeedListing:
        """Each item becomes an entry carrying itself (no fetch); items without an 18-digit
        code are problems naming their index."""
        try:
            items = read_items(page)
        except ExtractionError as exc:
            raise ExtractionError(exc.reason, retriable=page.text.lstrip()[:1] == "{") from None
        data = page.json()["data"]
        listing = FeedListing(cursor=str(data.get("sortEnd") or "") or None)
        for index, item in enumerate(items):
            code = str(item.get("code") or "") if isinstance(item, dict) else ""
            if not _CODE.match(code):
                bad_item(listing, index, "fast news", "code", item)
                continue
            url = item_url(page.address, code)
            context = {"article_id": code, "feed_published": item.get("showTime")}
            listing.entries.append(carried_entry(page, url, item, context, drop=("cursor",)))
        return listing

    # ---- one item ------------------------------------------------------------------------

    def extract(self, page: Page) -> Extracted:
        item, summary = carried_item(page, self.read_feed, "fast news", "summary")
        body = _HEADLINE.sub("", summary, count=1)
        stocks: list[Security] = []
        boards: list[Board] = []
        for secid in item.get("stockList") or []:
            found = stock_of(str(secid))
            target: list[Any] = boards if isinstance(found, Board) else stocks
            if found is not None and found.secid not in {s.secid for s in target}:
                target.append(found)
        color = item.get("titleColor")
        return Extracted(
            title=item.get("title"),
            published=item.get("showTime"),
            media=outlet_or(body, HOME_MEDIA),
            body_html=paragraphs_html(body),
            identity=self.identify(page.address),
            extractor="emfast:item",
            stocks=stocks,
            boards=boards,
            importance=1 if str(color) == "3" else 0,
        )


ADAPTER = EmFastAdapter()
