"""The contract every source adapter fulfils, and the page/result types they exchange.

An adapter holds everything specific to one source: which URLs it owns, how to get from a
page to the article (navigate), where title/date/body/media sit (extract), what is
boilerplate, and how the source numbers its articles (identify). Spiders and pipelines are
generic and ask the adapter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from finews_crawler.errors import describe_exception
from finews_crawler.parsing.html_text import Boilerplate


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
        text = self.text.strip()
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


@dataclass
class Identity:
    """How a source numbers an article: the same number however the article was reached."""

    article_id: str
    info_code: str | None
    canonical_url: str


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


class SourceAdapter:
    """Base class: subclasses set `name`, `boilerplate` and override the methods they need."""

    name: ClassVar[str] = "base"
    boilerplate: ClassVar[Boilerplate] = Boilerplate()
    # Lower runs first when several adapters claim a URL; the generic fallback is last.
    priority: ClassVar[int] = 100

    def owns(self, url: str) -> bool:
        """Whether this adapter understands pages at this URL."""
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

    def media_from_body(self, body: Any) -> str | None:
        """The media name when the source writes it into the body (the parsed body, before
        boilerplate removal); None otherwise."""
        return None
