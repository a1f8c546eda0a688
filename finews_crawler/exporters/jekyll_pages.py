"""The site's generated pages: the paginated index and one page per stock.

Pagination is done here rather than by a plugin (Debian's jekyll has no jekyll-paginate):
the exporter knows how many posts `_posts` holds after each export, so it writes
`index.html` (page 1, newest first) and `page/<n>.html`, each naming its slice of
`site.posts` (offset, per_page) and its neighbours; pages beyond the last are removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PER_PAGE = 20
PAGE_FILE = re.compile(r"^(?P<number>\d+)\.html$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
HOME_TITLE = "最新文章"


def stock_label(stock: Mapping[str, Any]) -> str:
    """`600519.SH`: the code with its market, as people write it."""
    code, market = str(stock.get("code") or ""), str(stock.get("market") or "")
    return f"{code}.{market}" if code and market else code


def stock_page(stock: Mapping[str, Any]) -> str | None:
    """The stock page's file stem (`600519-sh`), letters, digits and dashes only."""
    slug = _NOT_SLUG.sub("-", stock_label(stock).lower()).strip("-")
    return slug[:64] or None


def post_stocks(article: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stocks a post shows: label, name (None when unknown), page; one per page."""
    entries: dict[str, dict[str, Any]] = {}
    for stock in article.get("stocks") or []:
        if not isinstance(stock, Mapping):
            continue
        page = stock_page(stock)
        if page and page not in entries:
            name = " ".join(str(stock.get("name") or "").split()) or None
            entries[page] = {"code": stock_label(stock), "name": name, "page": page}
    return list(entries.values())


def stock_title(entry: Mapping[str, Any]) -> str:
    return f"{entry['code']} {entry['name']}" if entry.get("name") else str(entry["code"])


def page_path(number: int) -> str:
    return "index.html" if number == 1 else f"page/{number}.html"


def index_pages(total_posts: int, per_page: int = PER_PAGE) -> dict[str, dict[str, Any]]:
    """Front matter of every index page, by path: at least one page, even for no posts."""
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, not {per_page}")
    total_pages = max(1, -(-total_posts // per_page))
    pages = {}
    for number in range(1, total_pages + 1):
        title = HOME_TITLE if number == 1 else f"{HOME_TITLE} · 第 {number} 页"
        front: dict[str, Any] = {
            "layout": "home",
            "title": title,
            "page_number": number,
            "total_pages": total_pages,
            "per_page": per_page,
            "offset": (number - 1) * per_page,
        }
        if number > 1:
            front["newer"] = page_path(number - 1)
        if number < total_pages:
            front["older"] = page_path(number + 1)
        pages[page_path(number)] = front
    return pages


def stale_index_pages(site: Path, total_pages: int) -> list[Path]:
    """`page/<n>.html` files beyond the last page (the site shrank or per_page grew)."""
    folder = site / "page"
    if not folder.is_dir():
        return []
    return [
        path
        for path in folder.iterdir()
        if (match := PAGE_FILE.match(path.name)) and int(match["number"]) > total_pages
    ]
