"""What the wires whose feed entries carry each item whole (emfast, cls, ths) share.

A wire item is never fetched: its feed entry carries the item's JSON, and the entry's URL names
it by a `#<id>` fragment. The entry, the item read back from it, the problem line of an item
without an id, the paragraphs of its text and the outlet a trailing `(新华社)` names are the same
for every such wire, so they live here once and each adapter keeps only its own fields.
No ADAPTER here: the package's discovery passes this module over.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from finews_crawler.parsing.html_text import escape_text
from finews_crawler.sources.base import (
    FEED_ONLY_CONTEXT,
    ExtractionError,
    FeedListing,
    FollowUp,
    Page,
)

OUTLET = re.compile(r"\s*[（(]([^()（）]{2,12})[)）]\s*$")  # a trailing （新华社）: the outlet


def carried_entry(
    page: Page,
    url: str,
    item: Any,
    context: Mapping[str, Any],
    drop: Sequence[str] = (),
) -> FollowUp:
    """An entry carrying `item` itself: the feed page's context plus `context`, without what
    only the feed page needs (its paging state, `drop`)."""
    merged = {**page.context, **context, "entry_url": url, "source_url": url}
    for name in (*FEED_ONLY_CONTEXT, *drop):
        merged.pop(name, None)
    return FollowUp(url=url, context=merged, text=json.dumps(item, ensure_ascii=False))


def bad_item(listing: FeedListing, index: int, what: str, lacks: str, item: Any) -> None:
    """Record an item the wire sent without what identifies it (its page stays uncovered)."""
    shown = json.dumps(item, ensure_ascii=False)[:60]
    listing.problems.append((index, f"{what} item {index} has no {lacks}: {shown}"))


def carried_item(page: Page, read_feed: Any, what: str, field: str) -> tuple[dict, str]:
    """The item an entry carries and its text `field`, stripped. A feed page (no fragment) is
    read as one, so the reason it could not be read is the error; else it is not an item."""
    if not urlsplit(page.address).fragment:
        read_feed(page)
        raise ExtractionError(f"a {what} page lists items, it is not one")
    item = page.json()
    if not isinstance(item, dict):
        raise ExtractionError(f"{what} item is {type(item).__name__}, not an object")
    text = item.get(field)
    if not isinstance(text, str) or not text.strip():
        raise ExtractionError(f"{what} item has no {field} (its text)")
    return item, text.strip()


def paragraphs_html(text: str) -> str:
    """One escaped <p> per line of a wire's plain text."""
    return "".join(f"<p>{escape_text(line)}</p>" for line in text.splitlines())


def outlet_or(body: str, home: str) -> str:
    """The outlet a trailing `（新华社）` names, else the wire's own name."""
    outlet = OUTLET.search(body)
    return outlet.group(1) if outlet else home
