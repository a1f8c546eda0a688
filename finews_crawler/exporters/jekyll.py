"""`finews export jekyll --out SITE_DIR [--since-last]`: the archive's Jekyll site, from the store.

Each article becomes `_posts/YYYY-MM-DD-<id>.md` in the archive's format:

    ---
    layout: post
    title: "恒生电子发布2021年ESG暨企业社会责任报告"
    date: 2022-04-13 16:25:27 +0800
    categories: qingdaocaijingwang
    tags: 青岛财经网新闻
    ---
    <div class="article-body" markdown="0">
    <p>…sanitised body HTML…</p>
    </div>

    <the link its source adapter gives readers (SourceAdapter.share_url), else its URL>

    [返回青岛财经网新闻](/category/qingdaocaijingwang.html)｜[返回首页](/)

and each media gets `category/<slug>.html`. Safety, by construction rather than by hope:
- front matter is written by PyYAML (title always double-quoted; any value with a line break
  or control character double-quoted with escapes), so quotes, colons, newlines and `---`
  in a title or media name stay inside one YAML scalar;
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


def post_filename(article: Mapping[str, Any]) -> str:
    """`YYYY-MM-DD-<id>.md`, the date in Beijing time; UnsafeId for ids that are not plain."""
    article_id = str(article.get("_id") or "")
    if not SAFE_ID.fullmatch(article_id):
        raise UnsafeId(f"article id {article_id!r} is not [A-Za-z0-9_-]{{1,64}}")
    return f"{local_time(article['published_at']):%Y-%m-%d}-{article_id}.md"


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
    header = front_matter(
        {
            "layout": "post",
            "title": _Quoted(str(article.get("title") or "")),
            "date": published.strftime("%Y-%m-%d %H:%M:%S %z"),
            "categories": slug,
            "tags": tags,
        }
    )
    body = liquid_proof(sanitize_html(str(article.get("body_html") or "")).strip())
    parts = [BODY_OPEN + body + BODY_CLOSE]
    link = source_link(article, options)
    if link:
        parts.append(f"<{link}>")
    root = options.site_url.rstrip("/")
    parts.append(f"[返回{markdown_text(label)}]({root}/category/{slug}.html)｜[返回首页]({root}/)")
    return header + "\n\n".join(parts) + "\n"


def render_category_page(slug: str, media: str | None) -> str:
    label = f"{_one_line(media)}{TAG_SUFFIX}" if media else TAG_SUFFIX
    return front_matter({"layout": "category", "title": _Quoted(label), "category": slug})


# ---- the site ------------------------------------------------------------------------------

SCAFFOLD = {
    "_config.yml": "title: finews\ntimezone: Asia/Shanghai\nmarkdown: kramdown\n"
    "permalink: /:categories/:year/:month/:day/:title:output_ext\n",
    "_layouts/default.html": '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>'
    '<meta charset="utf-8"><title>{{ page.title | escape }} | {{ site.title | escape }}'
    "</title></head>\n<body>\n{{ content }}\n</body>\n</html>\n",
    "_layouts/post.html": "---\nlayout: default\n---\n<article>\n"
    '<h1 class="post-title">{{ page.title | escape }}</h1>\n'
    '<p class="post-meta"><time datetime="{{ page.date | date_to_xmlschema }}">'
    '{{ page.date | date: "%Y-%m-%d %H:%M:%S %z" }}</time></p>\n'
    '<div class="post-content">\n{{ content }}\n</div>\n</article>\n',
    "_layouts/category.html": "---\nlayout: default\n---\n<h1>{{ page.title | escape }}</h1>\n"
    "<ul>\n{% for post in site.categories[page.category] %}"
    '<li>{{ post.date | date: "%Y-%m-%d %H:%M" }} '
    '<a href="{{ post.url | relative_url }}">{{ post.title | escape }}</a></li>\n'
    "{% endfor %}</ul>\n",
    "index.html": "---\nlayout: default\ntitle: finews\n---\n<ul>\n{% for post in site.posts %}"
    '<li>{{ post.date | date: "%Y-%m-%d %H:%M" }} '
    '<a href="{{ post.url | relative_url }}">{{ post.title | escape }}</a></li>\n'
    "{% endfor %}</ul>\n",
}


@dataclass
class JekyllExport:
    """Counts of one export run, and what could not be written (with reasons)."""

    written: int = 0
    unchanged: int = 0
    removed: int = 0  # stale files of articles whose date (hence file name) changed
    categories: int = 0
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


def export_jekyll(
    store: Store,
    site_dir: str | Path,
    *,
    query: ArticleQuery | None = None,
    since_last: bool = False,
    options: SiteOptions | None = None,
    scaffold: bool = True,
) -> JekyllExport:
    """Write the posts and category pages of every matching article into site_dir.

    With since_last, only articles stored or updated since the previous export into the same
    directory (checkpoint in the store) are written. Layouts and _config.yml are created only
    when missing, so a site's own theme is never overwritten.
    """
    site = Path(site_dir).resolve()
    options = options or SiteOptions()
    result = JekyllExport()
    site.mkdir(parents=True, exist_ok=True)
    if scaffold:
        for relative, text in SCAFFOLD.items():
            path = _inside(site, relative)
            if not path.exists():
                _write_if_changed(path, text)

    started = datetime.now(UTC)
    since = None
    if since_last:
        previous = store.get_checkpoint(checkpoint_name(site))
        if previous:
            since = datetime.fromisoformat(previous["started_at"]) - CHECKPOINT_OVERLAP
    posts_dir = _inside(site, "_posts")
    existing = _existing_posts(posts_dir)
    categories: dict[str, str | None] = {}
    for article in _articles(store, query or ArticleQuery(), since):
        try:
            name = post_filename(article)
            path = _inside(site, f"_posts/{name}")
            text = render_post(article, options)
        except (UnsafeId, KeyError, TypeError, ValueError) as exc:
            result.failed.append((str(article.get("_id")), f"{type(exc).__name__}: {exc}"))
            continue
        for stale in existing.get(article["_id"], []):
            if stale != name:
                (posts_dir / stale).unlink(missing_ok=True)
                result.removed += 1
        if _write_if_changed(path, text):
            result.written += 1
        else:
            result.unchanged += 1
        slug, _, _ = media_labels(article)
        categories.setdefault(slug, _one_line(str(article.get("media") or "")) or None)
    for slug, media in categories.items():
        if _write_if_changed(
            _inside(site, f"category/{slug}.html"), render_category_page(slug, media)
        ):
            result.categories += 1
    store.set_checkpoint(checkpoint_name(site), {"started_at": started.isoformat()})
    return result
