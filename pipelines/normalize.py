"""Stage 2, normalize: raw fields -> an Article (UTC dates, clean body, stock codes, identity)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from finews_crawler.crawl.store_component import StageFailure
from finews_crawler.items import Article
from finews_crawler.parsing import html_text
from finews_crawler.parsing.dates import DateParseError, parse_datetime
from finews_crawler.parsing.html_text import CONTROL_CHARS
from finews_crawler.parsing.sanitize import sanitize_html
from finews_crawler.parsing.stocks import Security, Tagger, from_html
from finews_crawler.sources import SourceAdapter, identify
from pipelines.extract import ExtractedPage
from pipelines.stage import Stage
from pipelines.tagging import tagger_of

_SPACES = re.compile(r"\s+")
SUMMARY_FALLBACK_CHARS = 140


def clean_text(value: Any, field: str = "text") -> str | None:
    """A one-line text field: entities decoded, control characters (NUL, BEL, BOM ...)
    dropped, whitespace collapsed. A value that is not a string (a list, an object, a number
    where the source promised text) is a failure, never its Python repr."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise StageFailure("normalize", f"{field} is {type(value).__name__}, not text")
    return _SPACES.sub(" ", CONTROL_CHARS.sub("", html.unescape(value))).strip() or None


def clean_title(value: Any, adapter: SourceAdapter | None = None) -> str | None:
    """A one-line title without the source's decoration (its adapter's clean_title)."""
    title = clean_text(value, "title")
    if title and adapter is not None:
        title = adapter.clean_title(title).strip()
    return title or None


def clean_media(value: Any) -> str | None:
    media = clean_text(value, "media")
    return (media.strip("（）() ") or None) if media else None


def _as_listed(found: list[Any]) -> list[Any]:
    """A source's own list: each security marked as found by the source."""
    return [
        Security(**{**entry.__dict__, "via": "source", "confidence": 1.0})
        if isinstance(entry, Security)
        else entry
        for entry in found
    ]


def normalize(page: ExtractedPage, tagger: Tagger | None = None) -> Article:
    """Build the article record from what the adapter found and what the feed said; the
    tagger (the run's shared one) adds the securities the title and text name or code."""
    raw, extracted, adapter = page.raw, page.extracted, page.adapter
    context = raw.get("context") or {}
    body_html = extracted.body_html or ""
    tree = html_text.parse_fragment(body_html)
    # Read what boilerplate removal drops (quote blocks, the source line) before cleaning.
    securities, boards = from_html(tree, adapter.stock_mention)
    listed_by_source = extracted.stocks is not None or extracted.boards is not None
    if listed_by_source:  # the source's own list
        securities, boards = _as_listed(extracted.stocks or []), list(extracted.boards or [])
    media = clean_media(extracted.media) or clean_media(adapter.media_from_body(tree))
    body = html_text.clean(tree, adapter.boilerplate)

    published_value = extracted.published or context.get("feed_published")
    try:
        published_at = parse_datetime(published_value) if published_value else None
    except DateParseError as exc:
        fallback = context.get("feed_published")
        if not fallback or fallback == published_value:
            raise StageFailure("normalize", str(exc)) from None
        published_at = parse_datetime(fallback)

    address = raw.get("final_url") or raw["url"]
    identity = extracted.identity or identify(address)
    if identity is None:
        raise StageFailure("normalize", f"cannot identify the article behind {address!r}")
    title = clean_title(extracted.title, adapter) or clean_title(context.get("feed_title"), adapter)
    text = "\n".join(filter(None, (title, body.text)))
    if not listed_by_source:  # the text's codes and names join the markup's
        securities = (tagger or Tagger()).tag(text, listed=securities)
    summary = clean_text(extracted.summary or context.get("feed_summary"), "summary")
    if not summary and body.lines:
        summary = body.lines[0][:SUMMARY_FALLBACK_CHARS]
    return Article(
        _id=identity.article_id,
        source=identity.source,
        source_id=identity.source_id,
        **identity.fields,
        url=identity.canonical_url,
        source_url=context.get("source_url") or raw["url"],
        title=title,
        published_at=published_at,
        media=media or clean_media(context.get("feed_media")),
        summary=summary,
        body_html=sanitize_html(body.html),
        body_text=body.text,
        stocks=[security.as_dict() for security in securities],
        boards=[board.as_dict() for board in boards],
        images=body.images,
        category=extracted.category or context.get("category"),
        tags=extracted.tags or list(context.get("tags") or []),
        importance=extracted.importance,
        fetched_at=raw.get("fetched_at") or datetime.now(UTC),
        spider=raw.get("spider"),
        extractor=extracted.extractor or adapter.name,
    )


class NormalizePipeline(Stage):
    accepts: ClassVar[tuple[type, ...]] = (ExtractedPage,)

    def process(self, item: ExtractedPage) -> Article:
        return normalize(item, tagger_of(self.run))
