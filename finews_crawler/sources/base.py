"""The contract every source adapter fulfils, and the page/result types they exchange.

An adapter holds everything specific to one source: which URLs it owns, how to get from a
page to the article (navigate), where title/date/body/media sit (extract), what is
boilerplate, and how the source numbers its articles (identify). Spiders and pipelines are
generic and ask the adapter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from finews_crawler.errors import describe_exception
from finews_crawler.items import fields_of
from finews_crawler.parsing.html_text import Boilerplate

# How a feed pages (the pager, finews_crawler/crawl/paging, keeps coverage in time for all).
PAGE_NUMBER = "page"  # page=1,2,3... (East Money feeds, 10jqka)
CURSOR = "cursor"  # an opaque cursor from the previous answer (East Money 7x24 sortEnd)
TIME_CURSOR = "time"  # the oldest time seen (cls last_time); several items share a second
PAGING_KINDS = (PAGE_NUMBER, CURSOR, TIME_CURSOR)

# Paging state in a feed page's request context, not handed on to its entries' requests.
FEED_ONLY_CONTEXT = ("feed_page", "feed_carry", "requeues")


class ExtractionError(Exception):
    """The page cannot yield an article; the message is the failure record's reason."""

    def __init__(self, reason: str, *, retriable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retriable = retriable


class NotJSON(ExtractionError):
    """The body cannot be read as JSON. `syntax_error`: broken JSON (perhaps cut short, worth
    fetching again), as opposed to JSON refused for its shape (nested too deep, a number too
    long to convert), which the same bytes will always be."""

    def __init__(self, reason: str, *, syntax_error: bool) -> None:
        super().__init__(reason)
        self.syntax_error = syntax_error


@dataclass
class Page:
    """One fetched response as adapters see it; built from a RawPage item or by hand."""

    url: str
    text: str
    status: int = 200
    content_type: str = "text/html"
    final_url: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Page:
        """The page view of a RawPage item (or any mapping with its fields)."""
        raw = fields_of(raw)
        return cls(
            url=raw["url"],
            final_url=raw.get("final_url"),
            status=int(raw.get("status") or 0),
            text=raw.get("text") or "",
            content_type=raw.get("content_type") or "",
            context=raw.get("context") or {},
        )

    @property
    def address(self) -> str:
        """The URL the content actually came from."""
        return self.final_url or self.url

    def json(self) -> Any:
        """Parse the body as JSON (JSONP callback wrappers tolerated), or raise ExtractionError."""
        text = self.text
        if text[:1] not in ("{", "[") or text[-1:] not in ("}", "]"):
            text = text.strip()  # (an object or array edge to edge has nothing to strip)
        if text[:1] not in "{[" and "(" in text and text.endswith((")", ");")):
            text = text[text.index("(") + 1 : text.rindex(")")]
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            snippet = self.text[:60].replace("\n", " ")
            raise NotJSON(f"body is not JSON ({exc.msg}): {snippet!r}", syntax_error=True) from None
        except (ValueError, RecursionError) as exc:  # too deep; a number over int's digit limit
            reason = f"JSON body refused ({describe_exception(exc)})"
            raise NotJSON(reason, syntax_error=False) from None


@dataclass
class FollowUp:
    """A request an adapter wants made next, with the context to carry along."""

    url: str
    context: dict[str, Any] = field(default_factory=dict)
    # True when the page that leads here was itself de-duplicated and leads nowhere else
    # (a share page's one text-API call): skipping the duplicate filter then loses nothing
    # and keeps the filter's memory to one entry per article.
    dont_filter: bool = False
    # A feed entry that is the whole article (a real-time wire's item): its text, read by
    # the adapter's extract() at `url` without another fetch. None: fetch `url`.
    text: str | None = None
    content_type: str = "application/json"


@dataclass
class Identity:
    """How a source numbers an article: the same number however the article was reached.

    `article_id` is the stored `_id` (namespaced by the adapter: `<source>:<source_id>` unless
    the source's own numbers are the ids); `fields` are the source's own identity fields kept
    in the article document as they are; `numbered` is False when the id is only a hash of
    the URL (no number of the source's own).
    """

    article_id: str
    source: str
    source_id: str
    canonical_url: str
    fields: dict[str, Any] = field(default_factory=dict)
    numbered: bool = True


@dataclass
class Extracted:
    """Raw fields found on a page, before normalisation (dates unparsed, body uncleaned)."""

    title: str | None = None
    published: str | datetime | int | None = None
    media: str | None = None
    summary: str | None = None
    body_html: str | None = None
    identity: Identity | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    extractor: str = ""
    # Securities and boards the source lists itself (parsing.stocks Security/Board);
    # None: read from the body (generic notations plus the adapter's stock_mention).
    stocks: list[Any] | None = None
    boards: list[Any] | None = None
    importance: int | None = None  # 0 ordinary, 1 important, 2 top, when the source says
    # Wires: whether the title was made from the text (None: not a question for this source);
    # the source's own time of its last edit; how the source wrote each listed security,
    # board or futures contract (secid -> notation: "sh601633", "17:601669"); futures
    # contracts (Boards), kept apart from boards.
    title_derived: bool | None = None
    modified: str | datetime | int | None = None
    notations: dict[str, str] = field(default_factory=dict)
    futures: list[Any] | None = None


@dataclass
class FeedListing:
    """One feed page as its adapter reads it (adapter-neutral: every feed source returns it)."""

    entries: list[Any] = field(default_factory=list)  # FollowUps: context has article_id,
    # feed_published (the entry's own time: a string, an aware datetime or epoch seconds)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (index, reason)
    cursor: str | None = None  # the next page's cursor (cursor feeds)


@dataclass(frozen=True)
class FeedRequest:
    """One feed page to fetch: its URL and what the next page's request needs (page number,
    cursor) -- carried in the request context, so paging needs no shared memory."""

    url: str
    page: int
    context: dict[str, Any] = field(default_factory=dict)  # handed to the page's reader


@dataclass(frozen=True)
class FeedSpec:
    """A feed a source offers: its name, how it pages (finews_crawler/crawl/paging/rule.py: page
    number, opaque cursor, time cursor) and how to build its requests. The generic feed
    spider (spiders/feeds.py) serves every adapter's feeds from these alone.

    first(settings, count) -> the first (newest) page's request;
    next(current, listing, settings, count) -> the request after `current` given what that
      page listed, or None when the page shows the end of the feed.
    """

    name: str
    paging: str
    first: Callable[[Any, int], FeedRequest]
    next: Callable[[FeedRequest, Any, Any, int], FeedRequest | None]
    spiders: tuple[str, ...] = ()  # spider names (besides `feeds`) that page this feed
    # Paged by the all-feeds spider `feeds` too (False: only by its own spiders, e.g. a
    # real-time wire polled on its own schedule).
    in_all: bool = True


class SourceAdapter:
    """Base class: subclasses set `name`, `boilerplate` and override the methods they need."""

    name: ClassVar[str] = "base"
    boilerplate: ClassVar[Boilerplate] = Boilerplate()
    # Lower runs first when several adapters claim a URL; the generic fallback is last.
    priority: ClassVar[int] = 100

    def owns(self, url: str) -> bool:
        """Whether this adapter understands pages at this URL: decided by the URL's scheme,
        host (with port) and path alone, never its query or fragment (`adapter_for` keeps
        the answer for every URL that differs only there), and by the settings
        `configure` took (configure_sources forgets the kept answers)."""
        raise NotImplementedError

    def navigate(self, page: Page) -> list[FollowUp] | None:
        """Requests to make instead of extracting this page; None when the page is final."""
        return None

    def extract(self, page: Page) -> Extracted:
        """Fields of the article on this page; raise ExtractionError when there is none."""
        raise NotImplementedError

    def identify(self, url: str) -> Identity | None:
        """The article behind a URL when the URL alone tells (any route, any mirror)."""
        return None

    def article_identity(
        self, source_id: str, canonical_url: str, fields: dict[str, Any] | None = None
    ) -> Identity:
        """The identity of an article this source numbers `source_id`: `_id` is
        `<source>:<source_id>` unless `own_ids` says the source's numbers are the ids."""
        article_id = source_id if self.own_ids else f"{self.name}:{source_id}"
        return Identity(article_id, self.name, source_id, canonical_url, dict(fields or {}))

    # The source its articles are stored under, when not its own name (a route to another
    # source's articles: one record per article, whichever route finds it).
    stored_as: ClassVar[str | None] = None

    # True when the source's own numbers are the stored `_id`s (kept for East Money, whose
    # 18-digit numbers were the ids before sources were namespaced).
    own_ids: ClassVar[bool] = False

    def clean_title(self, title: str) -> str:
        """The title without the source's decoration (a site-name suffix and the like)."""
        return title

    def stock_mention(self, element: Any) -> Any:
        """A Security or Board this source's markup names in one HTML element (quote links,
        data attributes); None when the element names none. Text mentions are generic."""
        return None

    # An XPath of the only elements stock_mention can name anything in (None: it is asked
    # about every element); an article's other elements are then not asked, which is cheaper.
    stock_markup: ClassVar[str | None] = None

    def feeds(self) -> tuple[FeedSpec, ...]:
        """The feeds this source offers (empty: the source has none)."""
        return ()

    def feed_of_url(self, url: str) -> str | None:
        """The name of the feed a feed-page URL belongs to; None when it is no feed page."""
        return None

    def settings_defaults(self) -> dict[str, Any]:
        """Scrapy setting defaults this source brings (its hosts), read by settings.py."""
        return {}

    def configure(self, settings: Any) -> None:
        """Take this source's settings (hosts, declared mirrors) for the rest of the process;
        called once per crawl before any URL is asked about. Until then: the defaults."""

    def share_url(self, article: Mapping[str, Any], settings: Any = None) -> str | None:
        """A public link to the article for readers (exports), None when the source has none."""
        return article.get("url")

    def request_for(self, target: str, settings: Any = None) -> str | None:
        """The URL to fetch for a target given in this source's own notation (an article
        number), None when the target is not one."""
        return None

    def media_from_body(self, body: Any) -> str | None:
        """The media name when the source writes it into the body (the parsed body, before
        boilerplate removal); None otherwise."""
        return None
