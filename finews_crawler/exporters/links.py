"""Relative links in an article body, resolved against the article's own URL for republishing.

A body keeps the links of its source page as they were written there (`/a/1.html`,
`img/chart.png`). On the source page a browser resolves them against that page; copied into
another site they would point into that site instead and break. So exports that republish a
body (the Jekyll site) resolve them the way the source page's browser would. Without an
http(s) URL to resolve against, such a link is dropped rather than left pointing nowhere.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

# nh3 writes every attribute double-quoted, with `"` and `&` escaped inside.
_URL_ATTRIBUTE = re.compile(r'\s(?P<name>href|src)="(?P<value>[^"]*)"')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_WEB = re.compile(r"^https?://", re.I)


def absolute_links(body_html: str, base_url: str | None) -> str:
    """The sanitised body with every relative href/src made absolute against base_url."""
    base = base_url if base_url and _WEB.match(base_url) else None

    def resolve(match: re.Match[str]) -> str:
        value = html.unescape(match["value"])
        if _SCHEME.match(value) or value.startswith("#"):
            return match.group(0)
        if base is None:
            return ""
        absolute = urljoin(base, value)
        if not _WEB.match(absolute):
            return ""
        return f' {match["name"]}="{html.escape(absolute, quote=True)}"'

    return _URL_ATTRIBUTE.sub(resolve, body_html)
