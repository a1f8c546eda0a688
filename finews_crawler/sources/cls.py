"""财联社 telegraph (cls.cn 电报): a real-time wire, one adapter module.

Feed  GET <FINEWS_CLS_BASE>/v1/roll/get_roll_list?app=CailianpressWeb&category=&last_time=<s>
      &os=web&refresh_type=1&rn=<n>&sv=8.4.6&sign=<sign>   (last_time empty = the newest page)
      -> {"errno": 0, "data": {"roll_data": [...]}}, newest first, items strictly older than
      last_time. Several items share a second, so the next page asks from the oldest `ctime`
      seen + 1 (that second again) and the pager drops the repeats by id (TIME_CURSOR).
      `sign`: the other parameters sorted by upper-cased key, `k=v` joined with `&`, SHA-1 hex,
      then MD5 hex of that (the host refuses a request without it). errno != 0 is a refusal:
      a failure record, the feed unfinished, exit status 1.
Item  id, ctime / modified_time (unix s), title (often empty), brief, content (`财联社M月D日电，`
      dateline, often after a `【headline】`), level A/B/C, stock_list (StockID `sh601633`,
      `sz000962`, `920082.BJ`), subjects, shareurl, is_ad (adverts are dropped).
Identity `cls:<id>`; the item's text is carried in the feed entry (no fetch).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from finews_crawler.parsing.stocks import Security, from_market_code
from finews_crawler.sources.base import (
    TIME_CURSOR,
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

DEFAULT_BASE = "https://www.cls.cn"
SETTING = "FINEWS_CLS_BASE"
PATH = "/v1/roll/get_roll_list"
OLD_PATH = "/nodeapi/telegraphList"  # the unsigned older route: read the same way
FEED = "cls"
HOME_MEDIA = "财联社"
SHARE_BASE = "https://api3.cls.cn/share/article/"
LEVELS = {"C": 0, "B": 1, "A": 2}  # the project's importance scale (README "Real-time wires")
_ID = re.compile(r"^\d{1,15}$")
_HEADLINE = re.compile(r"^【([^】]*)】")
_DATELINE = re.compile(r"^财联社\d{1,2}月\d{1,2}日电，")
_SENTENCE_END = re.compile(r"[。！？]")
_STOCK_ID = re.compile(r"^(?:(?P<mkt>sh|sz|bj)(?P<code>\d{6})|(?P<bjcode>\d{6})\.BJ)$", re.I)
DERIVED_TITLE_CHARS = 60


def sign(params: list[tuple[str, str]]) -> str:
    """The reference's signature: MD5 hex of the SHA-1 hex of the sorted `k=v&...` string."""
    pairs = sorted(((k, v) for k, v in params if k != "sign"), key=lambda kv: kv[0].upper())
    text = "&".join(f"{k}={v}" for k, v in pairs)
    sha1 = hashlib.sha1(text.encode("utf-8")).hexdigest()
    return hashlib.md5(sha1.encode("ascii")).hexdigest()


def feed_url(base: str, last_time: str, count: int) -> str:
    """One signed page: `last_time` empty for the newest page."""
    params = [
        ("app", "CailianpressWeb"),
        ("category", ""),
        ("last_time", last_time),
        ("os", "web"),
        ("refresh_type", "1"),
        ("rn", str(count)),
        ("sv", "8.4.6"),
    ]
    params.append(("sign", sign(params)))
    return f"{base.rstrip('/')}{PATH}?{urlencode(params)}"


def item_url(feed_page: str, item_id: str) -> str:
    """Where an item is filed (its feed's path, the id as fragment): never fetched."""
    scheme, netloc, path, *_ = urlsplit(feed_page)
    return urlunsplit((scheme, netloc, OLD_PATH if path.endswith(OLD_PATH) else PATH, "", item_id))


def stock_of(stock_id: str) -> Security:
    """A stock_list entry: `sh601633` / `sz000962` / `920082.BJ` mapped; any other notation
    kept as given with no market (never guessed)."""
    match = _STOCK_ID.match(stock_id.strip())
    if match:
        market = (match.group("mkt") or "BJ").upper()
        found = from_market_code(market, match.group("code") or match.group("bjcode"))
        if found is not None:
            return found
    return Security(code=stock_id.strip(), market=None, secid=stock_id.strip())


def title_of(title: str, content: str) -> tuple[str, bool]:
    """(title, derived): the item's, else its `【headline】`, else the first sentence of the
    text after the dateline, at most 60 characters (derived)."""
    if title.strip():
        return title.strip(), False
    headline = _HEADLINE.match(content)
    if headline and headline.group(1).strip():
        return headline.group(1).strip(), False
    text = _DATELINE.sub("", _HEADLINE.sub("", content, count=1), count=1)
    return _SENTENCE_END.split(text, maxsplit=1)[0].strip()[:DERIVED_TITLE_CHARS], True


def edited(modified: Any, ctime: int) -> int | None:
    """The edit time when the item was edited after publication (the pager then hands the
    known item on again, so an edit becomes a new revision); None otherwise."""
    try:
        value = int(modified)
    except (TypeError, ValueError):
        return None
    return value if value > ctime else None


def read_items(page: Page) -> list[Any]:
    """The answer's roll_data, or ExtractionError: errno != 0 is the host refusing."""
    data = page.json()
    if not isinstance(data, dict):
        raise ExtractionError(f"cls answer is {type(data).__name__}, not an object")
    errno = data.get("errno")
    if errno not in (0, "0"):
        raise ExtractionError(f"cls refused the request: errno {errno!r}, msg {data.get('msg')!r}")
    inner = data.get("data")
    items = inner.get("roll_data") if isinstance(inner, dict) else None
    if not isinstance(items, list):
        raise ExtractionError("cls answer has no data.roll_data list")
    return items


class ClsAdapter(SourceAdapter):
    name: ClassVar[str] = FEED
    priority: ClassVar[int] = 5

    def owns(self, url: str) -> bool:
        path = urlsplit(url).path
        return path.endswith(PATH) or path.endswith(OLD_PATH)

    def identify(self, url: str) -> Identity | None:
        item_id = urlsplit(url).fragment
        if not _ID.match(item_id):
            return None
        return self.article_identity(item_id, SHARE_BASE + item_id)

    def settings_defaults(self) -> dict[str, Any]:
        return {SETTING: DEFAULT_BASE}

    # ---- the feed ------------------------------------------------------------------------

    def feeds(self) -> tuple[FeedSpec, ...]:
        def request(settings: Any, count: int, page: int, last_time: str) -> FeedRequest:
            base = (settings.get(SETTING) if settings is not None else None) or DEFAULT_BASE
            return FeedRequest(feed_url(base, last_time, count), page, {"last_time": last_time})

        def after(current: FeedRequest, listing: Any, settings: Any, count: int):
            oldest = getattr(listing, "cursor", None)
            if not oldest:
                return None  # an empty page: the end of the wire
            asked = current.context.get("last_time") or ""
            # The oldest second again (the pager drops repeats); strictly below it when the
            # page did not get past that second (it cannot move otherwise).
            again = str(int(oldest) + 1)
            return request(settings, count, current.page + 1, oldest if again == asked else again)

        return (
            FeedSpec(
                name=FEED,
                paging=TIME_CURSOR,
                first=lambda settings, count: request(settings, count, 1, ""),
                next=after,
                spiders=(FEED, "wires"),
                in_all=False,  # a wire is polled on its own schedule, not with the archive
            ),
        )

    def feed_of_url(self, url: str) -> str | None:
        return FEED if self.owns(url) and not urlsplit(url).fragment else None

    def read_feed(self, page: Page) -> FeedListing:
        """Each item an entry carrying itself; adverts dropped; items without an id or a
        time are problems naming their index. `cursor`: the oldest ctime on the page."""
        try:
            items = read_items(page)
        except ExtractionError as exc:
            raise ExtractionError(exc.reason, retriable=False) from None
        listing = FeedListing()
        times = []
        for index, item in enumerate(items):
            ok = isinstance(item, dict)
            item_id = str(item.get("id") or "") if ok else ""
            ctime = item.get("ctime") if ok else None
            if not _ID.match(item_id) or not isinstance(ctime, int) or isinstance(ctime, bool):
                bad_item(listing, index, "cls", "id or ctime", item)
                continue
            times.append(ctime)
            if item.get("is_ad"):
                continue
            url = item_url(page.address, item_id)
            context = {
                "article_id": f"{FEED}:{item_id}",
                "feed_published": ctime,
                "feed_version": edited(item.get("modified_time"), ctime),
            }
            listing.entries.append(carried_entry(page, url, item, context, drop=("last_time",)))
        listing.cursor = str(min(times)) if times else None
        return listing

    # ---- one item ------------------------------------------------------------------------

    def extract(self, page: Page) -> Extracted:
        item, content = carried_item(page, self.read_feed, "cls", "content")
        title, derived = title_of(str(item.get("title") or ""), content)
        body = _HEADLINE.sub("", content, count=1)
        stocks: list[Security] = []
        notations: dict[str, str] = {}
        for entry in item.get("stock_list") or []:
            stock_id = str(entry.get("StockID") or "") if isinstance(entry, dict) else ""
            if not stock_id.strip():
                continue
            found = stock_of(stock_id)
            if found.secid in notations:
                continue
            name = entry.get("name") or None
            stocks.append(Security(found.code, found.market, found.secid, name, found.kind))
            notations[found.secid] = stock_id.strip()
        identity = self.identify(page.address)
        share = str(item.get("shareurl") or "").split("?")[0].split("#")[0]
        if identity is not None and share:
            identity = self.article_identity(identity.source_id, share)
        level = str(item.get("level") or "")
        return Extracted(
            title=title,
            title_derived=derived,
            published=item.get("ctime"),
            modified=item.get("modified_time") or None,
            media=outlet_or(body, HOME_MEDIA),
            summary=item.get("brief") or None,
            body_html=paragraphs_html(body),
            identity=identity,
            tags=[
                str(s["subject_name"])
                for s in item.get("subjects") or []
                if isinstance(s, dict) and s.get("subject_name")
            ],
            extractor="cls:item",
            stocks=stocks,
            boards=[],
            notations=notations,
            importance=LEVELS.get(level),
        )


ADAPTER = ClsAdapter()
