"""Any other news page: trafilatura's general-purpose extraction as the fallback adapter.

trafilatura is the best-kept generic extractor for Chinese pages among the peers we measured;
site adapters override it wherever a source is known.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from finews_crawler.parsing.html_text import HTMLTooDeep, escape_text, parse_document
from finews_crawler.sources.base import Extracted, ExtractionError, Identity, Page, SourceAdapter

_TRACKING_PARAMS = ("utm_", "spm", "from=", "share_")
# Machine-readable publish times, most trustworthy first; trafilatura gives only the day.
_TIME_XPATHS = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//meta[@name='pubdate' or @name='publishdate' or @name='PubDate']/@content",
    "//meta[@name='date']/@content",
    "//time[@datetime]/@datetime",
)


def readable_document(page: str):
    """The parsed page, None when lxml cannot read it (trafilatura may still), HTMLTooDeep
    when it nests so deep that parsers (trafilatura's too) would drop content silently."""
    try:
        return parse_document(page)
    except HTMLTooDeep:
        raise
    except (etree.ParserError, SyntaxError, ValueError):  # empty; an encoding declaration
        return None


def published_time(root) -> str | None:
    """The first full timestamp a page (parsed) declares in its metadata, if any."""
    if root is None:
        return None
    for xpath in _TIME_XPATHS:
        values = [value.strip() for value in root.xpath(xpath) if value.strip()]
        if values:
            return values[0]
    return None


def canonical_url(url: str) -> str:
    """Scheme/host lower-cased, fragment and tracking parameters dropped."""
    parts = urlsplit(url.strip())
    query = "&".join(
        param
        for param in parts.query.split("&")
        if param and not param.startswith(_TRACKING_PARAMS)
    )
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def url_hash_id(url: str) -> str:
    """A stable id for pages whose source gives them no number."""
    return "u" + hashlib.sha1(canonical_url(url).encode()).hexdigest()[:24]


class GenericAdapter(SourceAdapter):
    name: ClassVar[str] = "generic"
    priority: ClassVar[int] = 1000

    def owns(self, url: str) -> bool:
        return urlsplit(url).scheme in ("http", "https")

    def identify(self, url: str) -> Identity | None:
        canonical = canonical_url(url)
        number = url_hash_id(canonical)  # "u" + hash: its own namespace, kept as the `_id`
        return Identity(number, self.name, number, canonical, numbered=False)

    def extract(self, page: Page) -> Extracted:
        if "html" not in page.content_type.lower() and not page.text.lstrip().startswith("<"):
            raise ExtractionError(f"not an HTML page (content type {page.content_type!r})")
        root = readable_document(page.text)
        import trafilatura  # imported lazily: only pages no site adapter owns need it

        document = trafilatura.bare_extraction(
            page.text,
            url=page.address,
            output_format="python",
            include_comments=False,
            include_tables=True,
            include_images=True,
            with_metadata=True,
            favor_precision=True,
        )
        if document is None:
            raise ExtractionError("generic extractor found no article text on the page")
        data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
        text = data.get("text") or ""
        if not text.strip():
            raise ExtractionError("generic extractor found no article text on the page")
        paragraphs = "".join(
            f"<p>{escape_text(line)}</p>" for line in text.splitlines() if line.strip()
        )
        return Extracted(
            title=data.get("title"),
            published=published_time(root) or data.get("date"),
            media=data.get("sitename") or data.get("author"),
            summary=data.get("description"),
            body_html=paragraphs,
            identity=self.identify(page.address),
            tags=[tag for tag in (data.get("tags") or "").split(",") if tag]
            if isinstance(data.get("tags"), str)
            else list(data.get("tags") or []),
            extractor="generic:trafilatura",
        )


ADAPTER = GenericAdapter()
