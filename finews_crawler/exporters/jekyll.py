"""`finews export jekyll --out SITE_DIR [--since-last]`: the archive's Jekyll site, from the store.

Each article becomes `_posts/YYYY-MM-DD-<id>.md` in the archive's format:

    ---
    layout: post
    title: "恒生电子发布2021年ESG暨企业社会责任报告"
    date: 2022-04-13 16:25:27 +0800
    categories: qingdaocaijingwang
    tags: 青岛财经网新闻
    media: 青岛财经网
    stocks:
    - code: 600570.SH
      name: 恒生电子
      page: 600570-sh
    stock_pages:
    - 600570-sh
    source_link: <the link its source adapter gives readers>
    ---
    <div class="article-body" markdown="0">
    <p>…sanitised body HTML…</p>
    </div>

    <the link its source adapter gives readers (SourceAdapter.share_url), else its URL>

    [返回青岛财经网新闻](../../../../category/qingdaocaijingwang.html)｜[返回首页](../../../../…)

each media gets `category/<slug>.html`, each stock `stock/<code>-<market>.html`, and the index
is paginated (jekyll_pages.py); the theme (jekyll_theme.py) links everything relatively. The
keys up to `tags` and the body are the archive's format (`finews import-posts` reads them);
`media`, `stocks`, `stock_pages` and `source_link` are what the layouts show.

Safety, by construction rather than by hope:
- front matter is written by PyYAML (title always double-quoted; any value with a line break
  or control character double-quoted with escapes), so quotes, colons, newlines and `---`
  in a title or media name stay inside one YAML scalar;
- relative links in the body are resolved against the article's URL (links.py), so they
  do not point into this site;
- Markdown cannot reinterpret the body: it sits in one `<div markdown="0">` block;
- Liquid cannot run: the body is sanitised HTML in which `{` and `}` are written as the
  character references `&#123;` / `&#125;` (the browser shows the same text; Liquid sees no
  tag), the media name in the back link is escaped the same way, and the layouts print
  titles with `| escape` (Liquid never renders front-matter values);
- file names come only from ids matching `[A-Za-z0-9_-]{1,64}`, and every path is checked to
  resolve inside SITE_DIR.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from finews_crawler.exporters import jekyll_pages, jekyll_theme
from finews_crawler.exporters.links import absolute_links
from finews_crawler.parsing.html_text import escape_text
from finews_crawler.parsing.sanitize import sanitize_html
from finews_crawler.parsing.slugs import media_slug
from finews_crawler.sources import adapter_named
from finews_crawler.storage import ArticleQuery, Store

SITE_TZ = timezone(timedelta(hours=8))  # the archive dates every post in Beijing time
SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_POST_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-(?P<id>.+)\.md$")
_LINE_BREAKS = re.compile(r"[\r\n\x85\u2028\u2029]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()#!|$:=+-])")  # kramdown's escapable set
CHECKPOINT_OVERLAP = timedelta(minutes=1)  # re-export a little: writes are idempotent
TAG_SUFFIX = "新闻"
# kramdown leaves the inside of a block <div> alone (markdown="0" even where a site enables
# parse_block_html), so text such as "---" or "*x*" between paragraphs stays text; the
# sanitiser admits no <div>, so nothing in a body can close this wrapper early.
BODY_OPEN, BODY_CLOSE = '<div class="article-body" markdown="0">\n', "\n</div>"


class UnsafeId(ValueError):
    """An article id that cannot be a file name (it could point outside SITE_DIR)."""


# ---- values --------------------------------------------------------------------------------


def local_time(value: datetime) -> datetime:
    """A stored (UTC) datetime in the site's +08:00; naive values are taken as UTC."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(SITE_TZ)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def liquid_proof(text: str) -> str:
    """Braces as HTML character references: identical on the page, invisible to Liquid."""
    return text.replace("{", "&#123;").replace("}", "&#125;")


def markdown_text(text: str) -> str:
    """Plain text safe inside a Markdown link label: HTML-escaped, Markdown-escaped, no Liquid."""
    escaped = escape_text(_one_line(text))
    return liquid_proof(_MARKDOWN_SPECIAL.sub(r"\\\1", escaped))


def post_id(article_id: str) -> str:
    """The id as it stands in a post's file name: a source-named id `cls:123` becomes
    `cls-123` (a colon is no file-name character on every system, nor in a Jekyll URL);
    UnsafeId for anything else that is not plain."""
    source, colon, rest = article_id.partition(":")
    name = f"{source}-{rest}" if colon else article_id
    if not SAFE_ID.fullmatch(name):
        raise UnsafeId(f"article id {article_id!r} is not [A-Za-z0-9_-]{{1,64}}")
    return name


def post_filename(article: Mapping[str, Any]) -> str:
    """`YYYY-MM-DD-<id>.md`, the date in Beijing time; UnsafeId for ids that are not plain."""
    name = post_id(str(article.get("_id") or ""))
    return f"{local_time(article['published_at']):%Y-%m-%d}-{name}.md"


# ---- front matter --------------------------------------------------------------------------


class _Quoted(str):
    """A string always written double-quoted (the archive quotes titles)."""


class _FrontMatterDumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    unsafe = bool(_LINE_BREAKS.search(value)) or not value.isprintable() or value != value.strip()
    style = '"' if isinstance(value, _Quoted) or unsafe else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=style)


_FrontMatterDumper.add_representer(str, _represent_str)
_FrontMatterDumper.add_representer(_Quoted, _represent_str)


def front_matter(values: Mapping[str, Any]) -> str:
    """`---`-delimited YAML front matter, key order kept, CJK unescaped, never line-folded."""
    body = yaml.dump(
        dict(values),
        Dumper=_FrontMatterDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=2**31 - 1,
    )
    return f"---\n{body}---\n"


# ---- posts ---------------------------------------------------------------------------------


@dataclass
class SiteOptions:
    """Where links point: the sources' hosts for their share links, the site's own root."""

    # Settings handed to the sources' share_url (their hosts); empty: each source's default.
    source_settings: Mapping[str, Any] = field(default_factory=dict)
    site_url: str = ""


def _safe_link(url: str) -> str | None:
    """A URL fit for `<…>` autolinks: http(s) only, no spaces, angle brackets or braces."""
    if not re.match(r"^https?://", url or ""):
        return None
    return re.sub(r"[\s<>{}\"\\`]", lambda m: f"%{ord(m.group(0)):02X}", url)


def source_link(article: Mapping[str, Any], options: SiteOptions) -> str | None:
    """The link under a post: what the article's source gives readers, else its URL."""
    adapter = adapter_named(str(article.get("source") or ""))
    link = adapter.share_url(article, options.source_settings) if adapter else None
    return _safe_link(str(link or article.get("url") or ""))


def media_labels(article: Mapping[str, Any]) -> tuple[str, str | list[str], str]:
    """(category slug, tags value, back-link label) of an article."""
    media = _one_line(str(article.get("media") or ""))
    if media:
        tag = f"{media}{TAG_SUFFIX}"
        # Jekyll splits a tags string on spaces: a multi-word tag must be a one-item list.
        return media_slug(media), tag if " " not in tag else [tag], tag
    return "news", TAG_SUFFIX, TAG_SUFFIX


def render_post(article: Mapping[str, Any], options: SiteOptions) -> str:
    """The whole post file for one stored article."""
    slug, tags, label = media_labels(article)
    published = local_time(article["published_at"])
    link = source_link(article, options)
    values: dict[str, Any] = {
        "layout": "post",
        "title": _Quoted(str(article.get("title") or "")),
        "date": published.strftime("%Y-%m-%d %H:%M:%S %z"),
        "categories": slug,
        "tags": tags,
    }
    media = _one_line(str(article.get("media") or ""))
    if media:
        values["media"] = media
    stocks = jekyll_pages.post_stocks(article)
    if stocks:
        values["stocks"] = stocks
        values["stock_pages"] = [stock["page"] for stock in stocks]
    if link:
        values["source_link"] = link
    body = sanitize_html(str(article.get("body_html") or "")).strip()
    base = str(article.get("url") or article.get("source_url") or "")
    body = liquid_proof(absolute_links(body, base))
    parts = [BODY_OPEN + body + BODY_CLOSE]
    if link:
        parts.append(f"<{link}>")
    # Relative unless a site URL is given: the post sits POST_DEPTH directories down.
    root = options.site_url.rstrip("/") + "/" if options.site_url else "../" * POST_DEPTH
    home = root if options.site_url else f"{root}index.html"  # file:// shows no index for /
    parts.append(f"[返回{markdown_text(label)}]({root}category/{slug}.html)｜[返回首页]({home})")
    return front_matter(values) + "\n\n".join(parts) + "\n"


def render_category_page(slug: str, media: str | None) -> str:
    label = f"{_one_line(media)}{TAG_SUFFIX}" if media else TAG_SUFFIX
    return front_matter({"layout": "category", "title": _Quoted(label), "category": slug})


def render_stock_page(entry: Mapping[str, Any]) -> str:
    title = _Quoted(jekyll_pages.stock_title(entry))
    return front_matter({"layout": "stock", "title": title, "stock": entry["page"]})


# ---- the site ------------------------------------------------------------------------------

SCAFFOLD = jekyll_theme.SCAFFOLD
POST_DEPTH = jekyll_theme.POST_DEPTH


@dataclass
class JekyllExport:
    """Counts of one export run, and what could not be written (with reasons)."""

    written: int = 0
    unchanged: int = 0
    removed: int = 0  # stale files of articles whose date (hence file name) changed
    categories: int = 0
    stocks: int = 0  # stock pages written
    pages: int = 0  # index pages in the site
    failed: list[tuple[str, str]] = field(default_factory=list)


def _inside(site: Path, relative: str) -> Path:
    path = (site / relative).resolve()
    if not path.is_relative_to(site):
        raise UnsafeId(f"{relative!r} would be written outside {site}")
    return path


def _write_if_changed(path: Path, text: str) -> bool:
    """Atomic replace, skipped when the file already holds exactly this text."""
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return True


def checkpoint_name(site: Path) -> str:
    return f"export:jekyll:{site}"


def _existing_posts(posts_dir: Path) -> dict[str, list[str]]:
    """Post file names already in _posts, by article id (to drop renamed ones)."""
    found: dict[str, list[str]] = {}
    if posts_dir.is_dir():
        for entry in os.scandir(posts_dir):
            match = _POST_NAME.match(entry.name)
            if match:
                found.setdefault(match["id"], []).append(entry.name)
    return found


def _articles(store: Store, query: ArticleQuery, since: datetime | None) -> Iterator[dict]:
    for article in store.iter_articles(query):
        updated = article.get("updated_at")
        if since is None or updated is None or local_time(updated) > since:
            yield article


def _ours(path: Path, generated_prefix: str | None = None) -> bool:
    """Missing, written by an earlier release unchanged, or one of our generated pages."""
    if not path.exists():
        return True
    data = path.read_bytes()
    return jekyll_theme.is_ours(data) or bool(
        generated_prefix and data.startswith(generated_prefix.encode("utf-8"))
    )


def write_scaffold(site: Path) -> None:
    """The theme's files, where missing or still an earlier release's (edited ones stay)."""
    for relative, text in SCAFFOLD.items():
        path = _inside(site, relative)
        if _ours(path):
            _write_if_changed(path, text)


def write_index_pages(site: Path, per_page: int) -> int:
    """index.html and page/<n>.html for every post now in _posts; returns the page count."""
    total = sum(len(names) for names in _existing_posts(site / "_posts").values())
    pages = jekyll_pages.index_pages(total, per_page)
    for relative, values in pages.items():
        path = _inside(site, relative)
        if _ours(path, generated_prefix="---\nlayout: home\n"):
            _write_if_changed(path, front_matter(values))
    for stale in jekyll_pages.stale_index_pages(site, len(pages)):
        stale.unlink(missing_ok=True)
    return len(pages)


def _write_stock_pages(site: Path, stocks: Mapping[str, Mapping[str, Any]]) -> int:
    written = 0
    for page, entry in stocks.items():
        path = _inside(site, f"stock/{page}.html")
        if not entry.get("name") and path.exists():
            continue  # an earlier export may have known the name: keep it
        written += _write_if_changed(path, render_stock_page(entry))
    return written


def export_jekyll(
    store: Store,
    site_dir: str | Path,
    *,
    query: ArticleQuery | None = None,
    since_last: bool = False,
    options: SiteOptions | None = None,
    scaffold: bool = True,
    per_page: int = jekyll_pages.PER_PAGE,
) -> JekyllExport:
    """Write the posts, category, stock and index pages of every matching article.

    With since_last, only articles stored or updated since the previous unfiltered export
    into the same directory (checkpoint in the store) are written; the index pages always
    cover every post in _posts. Theme files are created when missing (or upgraded when an
    earlier release wrote them), so a site's own theme is never overwritten.
    """
    site = Path(site_dir).resolve()
    options = options or SiteOptions()
    result = JekyllExport()
    site.mkdir(parents=True, exist_ok=True)
    if scaffold:
        write_scaffold(site)

    started = datetime.now(UTC)
    since = None
    if since_last:
        previous = store.get_checkpoint(checkpoint_name(site))
        if previous:
            since = datetime.fromisoformat(previous["started_at"]) - CHECKPOINT_OVERLAP
    posts_dir = _inside(site, "_posts")
    existing = _existing_posts(posts_dir)
    categories: dict[str, str | None] = {}
    stocks: dict[str, dict[str, Any]] = {}
    for article in _articles(store, query or ArticleQuery(), since):
        try:
            name = post_filename(article)
            path = _inside(site, f"_posts/{name}")
            text = render_post(article, options)
        except (UnsafeId, KeyError, TypeError, ValueError) as exc:
            result.failed.append((str(article.get("_id")), f"{type(exc).__name__}: {exc}"))
            continue
        for stale in existing.get(post_id(article["_id"]), []):
            if stale != name:
                (posts_dir / stale).unlink(missing_ok=True)
                result.removed += 1
        if _write_if_changed(path, text):
            result.written += 1
        else:
            result.unchanged += 1
        slug, _, _ = media_labels(article)
        categories.setdefault(slug, _one_line(str(article.get("media") or "")) or None)
        for entry in jekyll_pages.post_stocks(article):
            if not stocks.get(entry["page"], {}).get("name"):
                stocks[entry["page"]] = entry
    for slug, media in categories.items():
        if _write_if_changed(
            _inside(site, f"category/{slug}.html"), render_category_page(slug, media)
        ):
            result.categories += 1
    result.stocks = _write_stock_pages(site, stocks)
    result.pages = write_index_pages(site, per_page)
    if (query or ArticleQuery()) == ArticleQuery():
        # Only an unfiltered export puts everything stored before `started` into the site; a
        # filtered one moving the checkpoint would hide the rest from the next --since-last.
        store.set_checkpoint(checkpoint_name(site), {"started_at": started.isoformat()})
    return result
