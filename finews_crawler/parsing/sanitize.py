"""Allow-list sanitising of article HTML before it is stored or republished (nh3).

nh3 (Rust's ammonia) parses like a browser and keeps only listed tags, attributes and URL
schemes: scripts, styles, frames, forms, event handlers and javascript:/data: URLs cannot pass.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset(
    [
        "p",
        "br",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "sub",
        "sup",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "blockquote",
        "a",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "center",
        "figure",
        "figcaption",
        "pre",
        "code",
        "hr",
        "span",
    ]
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https"})


def sanitize_html(fragment: str) -> str:
    """Return fragment with everything outside the allow-list removed."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
