"""Article HTML fragments: drop boilerplate, then read text lines and images.

Sources say *what* is boilerplate (XPath rules, phrases); this module only applies the rules,
so every source cleans the same way. Sanitising for republication is sanitize.py's job.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "blockquote",
        "center",
        "table",
        "tr",
        "td",
        "th",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
        "pre",
        "dd",
        "dt",
        "dl",
        "hr",
    ]
)
# Dropped with their content from every body.
DROP_ALWAYS = frozenset(
    ["script", "style", "noscript", "template", "iframe", "object", "embed", "form"]
)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# C0 controls (but tab/newline/CR), DEL, BOMs and U+FFFD (what a NUL or an undecodable byte
# becomes): invisible, and poison for exports.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\ufffd]")
# lxml.html's own parser picks each element's class in Python (a form, an input ...) every
# time Python touches an element: a tenth of a millisecond per article. One class for all
# elements (HtmlElement: text_content() and the rest), chosen in C, does the same job.
_LOOKUP = etree.ElementDefaultClassLookup(
    element=lxml_html.HtmlElement,
    comment=lxml_html.HtmlComment,
    pi=lxml_html.HtmlProcessingInstruction,
    entity=lxml_html.HtmlEntity,
)
_PARSER = etree.HTMLParser(huge_tree=True)
_PARSER.set_element_class_lookup(_LOOKUP)
# Real article markup nests a few dozen levels; libxml2 (huge_tree) stops at about 2,000.
MAX_DEPTH = 500
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0\u200b]+")
_SPACES_IN_LINE = re.compile(r"[ \t\r\f\v\xa0\u200b]+")  # _SPACES without the newline
# Indentation by full-width spaces ("　　") and ordinary spaces at the start of a paragraph.
_INDENT = re.compile(r"^[\s\u3000]+|[\s\u3000]+$")


@dataclass(frozen=True)
class Boilerplate:
    """What one source considers not part of an article body."""

    xpaths: Sequence[str] = ()  # elements to remove with their content
    # (tag or "*", class): elements of that tag holding that class (one of the whitespace-
    # separated names of @class) go with their content. The same as an XPath rule, but all
    # of them are checked in the one walk clean() makes anyway, which is cheaper.
    classes: Sequence[tuple[str, str]] = ()
    line_prefixes: Sequence[str] = ()  # paragraphs starting with these (after indentation)
    comment_ranges: Sequence[tuple[str, str]] = ()  # <!-- START --> ... <!-- END --> spans


@dataclass
class CleanBody:
    """A cleaned fragment: HTML still unsanitised, plus its text lines and image URLs."""

    root: etree._Element
    lines: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def html(self) -> str:
        return inner_html(self.root)


def _serialize(node) -> str:
    if isinstance(node, str):
        return escape_text(node)
    return lxml_html.tostring(node, encoding="unicode", with_tail=True)


def escape_text(text: str) -> str:
    """Text made safe to put between tags (&, <, >)."""
    return html.escape(text, quote=False)


def _children_with_text(root) -> Iterable:
    if root.text:
        yield root.text
    yield from root


def inner_html(element) -> str:
    """The markup inside an element (its text and children), without the element itself."""
    if element.tag == "div" and not element.attrib:  # parse_fragment's wrapper: one call
        markup = lxml_html.tostring(element, encoding="unicode", with_tail=False)
        if markup.startswith("<div>") and markup.endswith("</div>"):
            return markup[5:-6]
    return "".join(_serialize(child) for child in _children_with_text(element))


class HTMLTooDeep(ValueError):
    """Markup nested deeper than MAX_DEPTH: libxml2 would drop what lies deeper, silently."""


def check_depth(root: etree._Element, limit: int = MAX_DEPTH) -> None:
    """Raise HTMLTooDeep when elements nest `limit` levels or more (iterative: no recursion)."""
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth >= limit:
            raise HTMLTooDeep(
                f"HTML nested {limit} levels deep or more (the parser drops deeper content)"
            )


def parse_fragment(fragment: str) -> etree._Element:
    """Parse an HTML fragment into a <div> wrapper, tolerating broken markup.

    huge_tree: libxml2 otherwise stops at a text node over 10 MB (a giant inline script) and
    silently drops the rest of the page, article included. Even so it stops nesting at about
    2,000 levels and drops the rest; check_depth turns that into an error.
    """
    # lxml.html.fragment_fromstring(create_parent="div"), but the wrapper made by our parser:
    # its elements keep our (C) class lookup.
    elements = lxml_html.fragments_fromstring(fragment or "", parser=_PARSER)
    root = _PARSER.makeelement("div")
    if elements and isinstance(elements[0], str):
        root.text = elements.pop(0)
    root.extend(elements)
    _check_depth_of(fragment or "", root)
    return root


def parse_document(page: str) -> etree._Element:
    """Parse a whole HTML page (as parse_fragment, depth checked)."""
    root = lxml_html.document_fromstring(page, parser=_PARSER)
    _check_depth_of(page, root)
    return root


# Every level of nesting needs a start tag, but for the few the parser adds (html, body, the
# wrapper): markup with fewer "<" than this cannot reach MAX_DEPTH, so the walk is skipped.
_IMPLIED_LEVELS = 16


def _check_depth_of(markup: str, root: etree._Element) -> None:
    if markup.count("<") + _IMPLIED_LEVELS >= MAX_DEPTH:
        check_depth(root)


def remove_keep_tail(element) -> None:
    """Remove an element but keep the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _drop_comment_ranges(root, ranges: Sequence[tuple[str, str]]) -> None:
    for start_marker, end_marker in ranges:
        for comment in list(root.iter(etree.Comment)):
            if (comment.text or "").strip() != start_marker:
                continue
            parent = comment.getparent()
            if parent is None:
                continue
            doomed = [comment]
            sibling = comment.getnext()
            while sibling is not None:
                doomed.append(sibling)
                if sibling.tag is etree.Comment and (sibling.text or "").strip() == end_marker:
                    break
                sibling = sibling.getnext()
            else:
                doomed = [comment]  # no end marker: remove only the marker, keep the text
            for node in doomed:
                remove_keep_tail(node)


@functools.lru_cache(maxsize=64)
def _rules_xpath(xpaths: tuple[str, ...]) -> etree.XPath:
    """A source's boilerplate XPaths as one compiled union (compiling them on each call cost
    more than the search)."""
    return etree.XPath(" | ".join(xpaths))


def _is_hidden(element) -> bool:
    style = element.get("style")
    return bool(style and _HIDDEN.search(style)) or element.get("hidden") is not None


@functools.lru_cache(maxsize=64)
def _class_rule(classes: tuple[tuple[str, str], ...]):
    """A test of one element against the class rules: class name -> the tags it applies to."""
    tags_of: dict[str, set[str]] = {}
    for tag, name in classes:
        tags_of.setdefault(name, set()).add(tag)

    def matches(element) -> bool:
        value = element.get("class")
        if not value:
            return False
        for name in _XML_SPACE.split(value):
            tags = tags_of.get(name)
            if tags and ("*" in tags or element.tag in tags):
                return True
        return False

    return matches


_XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space() splits on


def _doomed(root, rules: Boilerplate) -> list:
    """Every node clean() removes: the always-dropped tags, the source's rules, hidden-looking
    elements, comments and processing instructions. One walk of the tree, plus one search
    for the source's XPath rules; removing keeps the tails, so the order of removal does
    not change the result."""
    by_class = _class_rule(tuple(rules.classes)) if rules.classes else None
    doomed = []
    for node in root.iter():
        tag = node.tag
        if (
            tag is etree.Comment
            or tag is etree.ProcessingInstruction
            or tag in DROP_ALWAYS
            or (node.attrib and (_is_hidden(node) or (by_class is not None and by_class(node))))
        ):
            doomed.append(node)
    if rules.xpaths:
        doomed += _rules_xpath(tuple(rules.xpaths))(root)
    return doomed


def clean(fragment: str | etree._Element, rules: Boilerplate = Boilerplate()) -> CleanBody:
    """Remove boilerplate and hidden parts; return the fragment with its lines and images.

    Takes markup, or a tree from parse_fragment() (cleaned in place: parse once, read it
    first for what boilerplate would remove, such as the stock codes of a quote block).
    """
    root = parse_fragment(fragment) if isinstance(fragment, str) else fragment
    _drop_comment_ranges(root, rules.comment_ranges)
    for node in _doomed(root, rules):
        remove_keep_tail(node)
    if rules.line_prefixes:
        _drop_prefixed_blocks(root, tuple(rules.line_prefixes))
    body = CleanBody(root=root)
    body.lines = text_lines(root)
    body.images = [src for src in (img.get("src") for img in root.iter("img")) if src]
    return body


# What strip() after _SPACES.sub() takes from the start of a text: str.isspace() characters
# and the zero-width space (which _SPACES turns into a space first).
_LEADING_BLANKS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u200b"
)


def _drop_prefixed_blocks(root, prefixes: tuple[str, ...]) -> None:
    longest = max(map(len, prefixes))
    initials = {prefix[0] for prefix in prefixes if prefix}
    for element in list(root.iter("p", "div", "center", "section")):
        if element.getparent() is None:
            continue
        # The first visible character of a block's own text is the first of its whole text:
        # a block whose text starts with no prefix's first character keeps.
        first = (element.text or "").lstrip(_LEADING_BLANKS)[:1]
        if first and first not in initials:
            continue
        # strip() is _INDENT.sub("", ...): both take what str.isspace() calls whitespace.
        # The start of a text, collapsed and stripped, is a prefix of the whole text collapsed
        # and stripped; so when the element's own text (where its text_content() begins)
        # gives `longest` characters, it decides alone, and the whole block is not read.
        start = _SPACES.sub(" ", (element.text or "")[: 4 * longest]).strip()
        if len(start) < longest:
            start = _SPACES.sub(" ", element.text_content()).strip()
        if start.startswith(prefixes):
            remove_keep_tail(element)


def text_lines(root) -> list[str]:
    """The visible text, one line per block element or <br>, whitespace normalised.

    Walks with lxml's iterwalk (no recursion): markup nested thousands deep must not hit
    Python's recursion limit.
    """
    pieces: list[str] = []
    add = pieces.append
    # Comments and processing instructions come as one "comment"/"pi" event: their text is
    # not shown, their tail is.
    for event, node in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        tag = node.tag
        if event == "start":
            if tag == "br":
                add("\n")
                continue
            if tag in BLOCK_TAGS:
                add("\n")
            if node.text and isinstance(tag, str):
                add(node.text)
        else:
            if tag in BLOCK_TAGS:
                add("\n")
            if node.tail and node is not root:
                add(node.tail)
    # Per line: control characters out, spaces collapsed, ends stripped (as _INDENT does);
    # the first two on the whole text at once, as neither touches a newline.
    text = _SPACES_IN_LINE.sub(" ", CONTROL_CHARS.sub("", "".join(pieces)))
    return [line for line in (raw.strip() for raw in text.split("\n")) if line]


def first_text(root, xpaths: Iterable[str]) -> str | None:
    """Text of the first element any XPath finds, whitespace normalised; None if absent/empty."""
    for xpath in xpaths:
        for element in root.xpath(xpath):
            value = element if isinstance(element, str) else element.text_content()
            value = _INDENT.sub("", _SPACES.sub(" ", str(value)))
            if value:
                return value
    return None
