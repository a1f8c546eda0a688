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
from finews_crawler.parsing.stocks import Tagger, from_html
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


def normalize(page: ExtractedPage, tagger: Tagger | None = None) -> Article:
    """Build the article record from what the adapter found and what the feed said; the
    tagger (the run's shared one) adds the securities the title and text name or code."""
    raw, extracted, adapter = page.raw, page.extracted, page.adapter
    context = raw.get("context") or {}
    body_html = extracted.body_html or ""
    tree = html_text.parse_fragment(body_html)
    # Read what boilerplate removal drops (quote blocks, the source line) before cleaning.
    securities, boards = from_html(tree, adapter.stock_mention, adapter.stock_markup)
    listed_by_source = extracted.stocks is not None or extracted.boards is not None
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
    # The text's codes and names join the markup's; a source's own list comes first.
    securities = (tagger if tagger is not None else Tagger()).tag(text, listed=securities)
    stocks = [security.as_dict() for security in securities]
    board_list = [board.as_dict() for board in boards]
    if listed_by_source:
        stocks = with_source_list(extracted.stocks, stocks, extracted.notations)
        board_list = with_source_list(extracted.boards, board_list, extracted.notations)
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
        stocks=stocks,
        boards=board_list,
        images=body.images,
        category=extracted.category or context.get("category"),
        tags=extracted.tags or list(context.get("tags") or []),
        importance=extracted.importance,
        **wire_fields(extracted),
        fetched_at=raw.get("fetched_at") or datetime.now(UTC),
        spider=raw.get("spider"),
        extractor=extracted.extractor or adapter.name,
    )


def with_source_list(
    listed: list[Any] | None, found: list[dict[str, Any]], notations: dict[str, str]
) -> list[dict[str, Any]]:
    """The source's own list (`via: "source"`, with the source's notation when it has one),
    then what the tagger found that the list lacks (with the tagger's own `via`: code, name,
    quote, link); by secid, the source's entry wins (the tagger may only add a name the
    source left out)."""
    merged: dict[str, dict[str, Any]] = {}
    for entry in listed or []:
        record = {**entry.as_dict(), "via": "source"}
        if "kind" in record:  # a security (boards carry no confidence)
            record["confidence"] = 1.0
        if entry.secid in notations:
            record["notation"] = notations[entry.secid]
        merged.setdefault(record["secid"], record)
    for record in found:
        known = merged.get(record["secid"])
        if known is None:
            merged[record["secid"]] = {"via": "text", **record}
        elif not known.get("name") and record.get("name"):
            known["name"] = record["name"]
    return list(merged.values())


def wire_fields(extracted: Any) -> dict[str, Any]:
    """Fields only some sources give (a derived title mark, an edit time, futures): set only
    when given, so other sources' records keep their shape."""
    fields: dict[str, Any] = {}
    if extracted.title_derived is not None:  # kept either way: an edit may add a title
        fields["title_derived"] = bool(extracted.title_derived)
    if extracted.modified not in (None, "", 0):
        try:
            fields["modified_at"] = parse_datetime(extracted.modified)
        except DateParseError as exc:
            raise StageFailure("normalize", f"modified time: {exc}") from None
    if extracted.futures is not None:
        fields["futures"] = with_source_list(extracted.futures, [], extracted.notations)
    return fields


class NormalizePipeline(Stage):
    accepts: ClassVar[tuple[type, ...]] = (ExtractedPage,)

    def process(self, item: ExtractedPage) -> Article:
        return normalize(item, tagger_of(self.run))
