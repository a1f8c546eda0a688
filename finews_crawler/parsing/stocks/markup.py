"""Securities and boards in an article's HTML: a source's markup notations and the text's.

A source's own markup notations (quote links, data attributes, quote-block images) are read by
its adapter, which hands them in through `from_html(..., mention=adapter.stock_mention)`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

from finews_crawler.parsing.html_text import parse_fragment
from finews_crawler.parsing.stocks.markets import CONFIDENCE, Board, Security
from finews_crawler.parsing.stocks.notations import from_text, may_hold_code

Mention = Callable[[Any], "Security | Board | None"]


def _via_markup(element: Any) -> str:
    """A quote block (its chart image, a `code|market|chart` data-code) or an inline link."""
    data_code = element.get("data-code") or ""
    return "quote" if element.tag == "img" or "|" in data_code else "link"


def _with(security: Security, via: str) -> Security:
    s = security
    return Security(s.code, s.market, s.secid, s.name, s.kind, via, CONFIDENCE[via])


def from_html(
    fragment: str | etree._Element,
    mention: Mention | None = None,
    markup: str | None = None,
) -> tuple[list[Security], list[Board]]:
    """Every security and board in an article's HTML (markup or parsed tree), by secid, in order.

    `mention(element)` reads a source's own markup notations (its adapter's stock_mention);
    `markup`, when given, is an XPath of the only elements that can carry one (the adapter's
    stock_markup), so the others are not asked. Text mentions in generic notations are read
    everywhere. A security seen only in markup without a name has none unless the text names
    it later.
    """
    if isinstance(fragment, str):
        if not fragment.strip():
            return [], []
        root = parse_fragment(fragment)
    else:
        root = fragment
    elements = list(root.iter(etree.Element))  # elements only: comments' text is no text
    if mention is None:
        asked: set[Any] = set()
    elif markup is None:
        asked = set(elements)
    else:
        asked = set(_compiled(markup)(root))
    # One C-level read of all the text says whether any text node can hold a code at all;
    # then only the text nodes that may are read. Element by element in document order:
    # its markup mention, then its text, then its tail.
    any_code = may_hold_code(etree.tostring(root, method="text", encoding="unicode"))
    if not asked and not any_code:
        return [], []
    events: list[tuple[bool, Any]] = []  # (is text, element or text)
    for element in elements:
        if element in asked:
            events.append((False, element))
        if any_code:
            text, tail = element.text, element.tail
            if text and may_hold_code(text):
                events.append((True, text))
            if tail and element is not root and may_hold_code(tail):
                events.append((True, tail))
    mentions: list[Security | Board] = []
    for is_text, subject in events:
        if is_text:
            mentions.extend(_with(security, "code") for security in from_text(subject))
            continue
        found = mention(subject) if mention is not None else None
        if isinstance(found, Security):
            mentions.append(_with(found, found.via or _via_markup(subject)))
        elif found is not None:
            mentions.append(found)
    return merge(mentions)


@functools.lru_cache(maxsize=16)
def _compiled(xpath: str) -> etree.XPath:
    return etree.XPath(xpath)


def merge(mentions: Iterable[Security | Board]) -> tuple[list[Security], list[Board]]:
    """De-duplicate by secid keeping first-seen order; a later mention may supply the name."""
    by_secid: dict[str, Security | Board] = {}
    for mention in mentions:
        known = by_secid.get(mention.secid)
        if known is None:
            by_secid[mention.secid] = mention
        elif known.name is None and mention.name:
            by_secid[mention.secid] = type(known)(**{**known.__dict__, "name": mention.name})
    securities = [m for m in by_secid.values() if isinstance(m, Security)]
    boards = [m for m in by_secid.values() if isinstance(m, Board)]
    return securities, boards
