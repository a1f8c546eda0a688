"""同花顺 7x24 (10jqka): a real-time wire, one adapter module.

Feed  GET <FINEWS_THS_BASE>/tapp/news/push/stock/?page=<p>&tag=&track=website&pagesize=<n>
      -> {"code": "200", "data": {"list": [...]}}, newest first, page 1 = the newest; past the
      end an empty list (PAGE_NUMBER paging). Any other code is a refusal (failure record).
Item  id, seq (the number in its URLs), ctime / rtime (unix s as strings; rtime moves when the
      item is edited), title, digest (the text), short, source, import (0/1/3), tags [{id,
      name}], stock [{name, stockCode, stockMarket}], field (boards, same shape), url.
stockMarket numbers (shared/reference/wires.md): 17/22/20 Shanghai (20: funds), 33/36 Shenzhen
(36: funds), 151 Beijing, 177 Hong Kong (`HK2476` = 02476), 169/185/186/170 US, 145 NEEQ
(新三板), 65/66/67/129 futures (kept apart); any other number kept as given, no market.
Identity `ths:<seq>`; the item's text is carried in the feed entry (no fetch).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from finews_crawler.parsing.stocks import Board, Security, from_market_code
from finews_crawler.sources.base import (
    PAGE_NUMBER,
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

DEFAULT_BASE = "https://news.10jqka.com.cn"
SETTING = "FINEWS_THS_BASE"
PATH = "/tapp/news/push/stock/"
FEED = "ths"
HOME_MEDIA = "同花顺"
APP_URL = "https://news.10jqka.com.cn/m{seq}/"
IMPORTANCE = {"0": 0, "1": 1, "3": 2}  # the project's scale (README "Real-time wires")
MARKETS = {
    "17": "SH",
    "22": "SH",
    "20": "SH",
    "33": "SZ",
    "36": "SZ",
    "151": "BJ",
    "177": "HK",
    "169": "US",
    "185": "US",
    "186": "US",
    "170": "US",
    "145": "NEEQ",
}
FUTURES = ("65", "66", "67", "129")
_SEQ = re.compile(r"^\d{1,15}$")
_SENTENCE_END = re.compile(r"[。！？]")
DERIVED_TITLE_CHARS = 60


def feed_url(base: str, page: int, count: int) -> str:
    query = {"page": str(page), "tag": "", "track": "website", "pagesize": str(count)}
    return f"{base.rstrip('/')}{PATH}?{urlencode(query)}"


def item_url(feed_page: str, seq: str) -> str:
    """Where an item is filed (its feed's path, the seq as fragment): never fetched."""
    scheme, netloc, *_ = urlsplit(feed_page)
    return urlunsplit((scheme, netloc, PATH, "", seq))


def stock_of(market: str, code: str, name: str | None) -> Security | None:
    """One `stock` entry as a Security (None for futures, kept apart)."""
    if market in FUTURES:
        return None
    notation = f"{market}:{code}"
    known = MARKETS.get(market)
    if known == "HK" and code.upper().startswith("HK"):
        code = code[2:]
    if known in ("SH", "SZ", "BJ", "HK", "US"):
        found = from_market_code(known, code, name)
        if found is not None:
            return found
    if known == "NEEQ" and re.fullmatch(r"\d{6}", code):
        return Security(code=code, market="NEEQ", secid=notation, name=name)
    return Security(code=code, market=None, secid=notation, name=name)


def unix(value: Any) -> int | None:
    """A unix-seconds field given as text or a number; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def read_items(page: Page) -> list[Any]:
    """The answer's data.list, or ExtractionError (a code other than 200 is a refusal)."""
    data = page.json()
    if not isinstance(data, dict):
        raise ExtractionError(f"10jqka answer is {type(data).__name__}, not an object")
    if str(data.get("code")) != "200":
        raise ExtractionError(f"10jqka refused: code {data.get('code')!r}, msg {data.get('msg')!r}")
    inner = data.get("data")
    items = inner.get("list") if isinstance(inner, dict) else None
    if not isinstance(items, list):
        raise ExtractionError("10jqka answer has no data.list list")
    return items


def _pairs(entries: Any) -> list[tuple[str, str, str | None]]:
    """(market, code, name) of a stock/field list, malformed entries skipped."""
    found = []
    for entry in entries or []:
        if not isinstance(entry, dict):
            continue
        market, code = str(entry.get("stockMarket") or ""), str(entry.get("stockCode") or "")
        if market and code.strip():
            found.append((market, code.strip(), entry.get("name") or None))
    return found


class ThsAdapter(SourceAdapter):
    name: ClassVar[str] = FEED
    priority: ClassVar[int] = 5

    def owns(self, url: str) -> bool:
        return urlsplit(url).path.endswith(PATH)

    def identify(self, url: str) -> Identity | None:
        seq = urlsplit(url).fragment
        return self.article_identity(seq, APP_URL.format(seq=seq)) if _SEQ.match(seq) else None

    def settings_defaults(self) -> dict[str, Any]:
        return {SETTING: DEFAULT_BASE}

    # ---- the feed ------------------------------------------------------------------------

    def feeds(self) -> tuple[FeedSpec, ...]:
        def request(settings: Any, count: int, page: int) -> FeedRequest:
            base = (settings.get(SETTING) if settings is not None else None) or DEFAULT_BASE
            return FeedRequest(feed_url(base, page, count), page)

        def after(current: FeedRequest, listing: Any, settings: Any, count: int):
            if listing is not None and not listing.entries and not listing.problems:
                return None  # past the end: an empty list
            return request(settings, count, current.page + 1)

        return (
            FeedSpec(
                name=FEED,
                paging=PAGE_NUMBER,
                first=lambda settings, count: request(settings, count, 1),
                next=after,
                spiders=(FEED, "wires"),
                in_all=False,  # a wire is polled on its own schedule, not with the archive
            ),
        )

    def feed_of_url(self, url: str) -> str | None:
        return FEED if self.owns(url) and not urlsplit(url).fragment else None

    def read_feed(self, page: Page) -> FeedListing:
        """Each item an entry carrying itself; items without a seq or a time are problems."""
        listing = FeedListing()
        for index, item in enumerate(read_items(page)):
            ok = isinstance(item, dict)
            seq = str(item.get("seq") or "") if ok else ""
            ctime = unix(item.get("ctime")) if ok else None
            if not _SEQ.match(seq) or ctime is None:
                bad_item(listing, index, "10jqka", "seq or ctime", item)
                continue
            rtime = unix(item.get("rtime"))
            url = item_url(page.address, seq)
            context = {
                "article_id": f"{FEED}:{seq}",
                "feed_published": ctime,
                "feed_version": rtime if rtime is not None and rtime > ctime else None,
            }
            listing.entries.append(carried_entry(page, url, item, context))
        return listing

    # ---- one item ------------------------------------------------------------------------

    def extract(self, page: Page) -> Extracted:
        item, body = carried_item(page, self.read_feed, "10jqka", "digest")
        title = str(item.get("title") or "").strip()
        derived = not title
        if derived:
            title = _SENTENCE_END.split(body, maxsplit=1)[0].strip()[:DERIVED_TITLE_CHARS]
        stocks: list[Security] = []
        futures: list[Board] = []
        notations: dict[str, str] = {}
        for market, code, name in _pairs(item.get("stock")):
            found = stock_of(market, code, name)
            notation = f"{market}:{code}"
            if found is None:
                if notation not in notations:
                    futures.append(Board(code=code, secid=notation, name=name))
                    notations[notation] = notation
                continue
            if found.secid not in notations:
                stocks.append(found)
                notations[found.secid] = notation
        boards = []
        for market, code, name in _pairs(item.get("field")):
            notation = f"{market}:{code}"
            if notation not in notations:
                boards.append(Board(code=code, secid=notation, name=name))
                notations[notation] = notation
        identity = self.identify(page.address)
        url = str(item.get("url") or "").strip()
        if identity is not None and url.startswith(("http://", "https://")):
            identity = self.article_identity(identity.source_id, url)
        rtime, ctime = unix(item.get("rtime")), unix(item.get("ctime"))
        return Extracted(
            title=title,
            title_derived=derived,
            published=ctime,
            modified=rtime if rtime is not None and ctime is not None and rtime > ctime else None,
            media=outlet_or(body, HOME_MEDIA),
            summary=item.get("short") or None,
            body_html=paragraphs_html(body),
            identity=identity,
            tags=[
                str(t["name"])
                for t in item.get("tags") or []
                if isinstance(t, dict) and t.get("name")
            ],
            extractor="ths:item",
            stocks=stocks,
            boards=boards,
            futures=futures,
            notations=notations,
            importance=IMPORTANCE.get(str(item.get("import"))),
        )


ADAPTER = ThsAdapter()
