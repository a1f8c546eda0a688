"""`finews import-posts DIR|FILE...`: the archive's Jekyll posts, ingested like crawled pages.

A post is turned into the page the archive was made from, a text-API answer
(`GetNewsText.do?id=NW<id>` JSON: title, showTime, mediaName, digest, content), and that
page goes through `pipelines.chain.ingest_pages`: the East Money adapter extracts it and the
usual stages normalise, validate, deduplicate and store it. So an imported article is
cleaned, identified and merged exactly like a crawled one, a re-import is "unchanged", and a
bad post becomes a failure record with its reason.

What a post may hold (all seen in the archive):
  front matter   layout, title, date ("YYYY-MM-DD HH:MM:SS +0800", or without offset =
                 Beijing time), categories (pinyin media slug, or a feed such as `emnews`),
                 tags ("<media>新闻", or the feed's name such as 东财滚动新闻)
  body           optional `> digest` line(s); article HTML or plain text paragraphs;
                 the source link `<URL>`; back links `[返回…](…)`
The id comes from the source link (share page infoCode or article URL), else the file name
(`YYYY-MM-DD-<18 digits>.md` or `…-NW<18 digits>.md`).
Media: for a media post (category not a feed) the tag minus 新闻; for feed posts the
（文章来源：X） line of the body (the adapter reads it), else a trailing （X） source note
of a plain-text body.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from finews_crawler.crawl.store_component import StageFailure, StoreComponent
from finews_crawler.exporters.jekyll import BODY_CLOSE, BODY_OPEN, TAG_SUFFIX
from finews_crawler.items import RawPage
from finews_crawler.parsing.dates import has_date
from finews_crawler.sources.eastmoney import ADAPTER as EASTMONEY
from finews_crawler.sources.eastmoney import share_url, text_api_url
from finews_crawler.storage import Store
from finews_crawler.storage.base import chunks
from pipelines.chain import ingest_pages

SPIDER = "import-posts"
FEED_CATEGORIES = frozenset({"emnews"})  # categories naming a feed, not a media
BATCH = 500
POST_SUFFIXES = (".md", ".markdown")  # in directories; a file named explicitly may be any

# Jekyll's own rule: front matter is the first `---` line to the next `---` or `...` line.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*\r?$\n?", re.S | re.M)
_ID_IN_NAME = re.compile(r"(?:NW)?(\d{18})(?!\d)", re.I)
_LINK_LINE = re.compile(r"^<([^<>\s]*)>$")
_BACK_LINK = re.compile(r"^\[返回")
_HTML_BODY = re.compile(
    r"<(?:p|div|br|span|a|img|strong|b|em|center|table|h[1-6]|ul|ol|li|blockquote|section)\b",
    re.I,
)
_TRAILING_SOURCE = re.compile(r"[（(]([^（）()\d]{2,20})[）)]\s*$")


class PostError(ValueError):
    """A file that is not a usable post; the message is the failure reason."""


@dataclass
class Post:
    """One archive post, taken apart."""

    path: Path
    front: dict[str, Any]
    digest: str | None
    body: str
    link: str | None  # None: no link line; "": an empty `<>`


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, content) of a Jekyll file; PostError when there is no valid front matter."""
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if match is None:
        raise PostError("no front matter (the file must start with a --- line)")
    try:
        front = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise PostError(f"front matter is not YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(front, dict):
        raise PostError("front matter is not a mapping")
    return front, text[match.end() :]


def parse_post(path: Path) -> Post:
    """Read a post file: front matter, digest, article body, source link."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PostError(f"cannot read: {exc}") from None
    front, content = split_front_matter(text)
    lines = content.strip().splitlines()
    link = None
    while lines and (not lines[-1].strip() or _BACK_LINK.match(lines[-1].strip())):
        lines.pop()
    if lines and (match := _LINK_LINE.match(lines[-1].strip())):
        link = match.group(1)  # "" for the archive's empty `<>`
        lines.pop()
    digest_lines: list[str] = []
    while lines and (lines[0].startswith(">") or (digest_lines and not lines[0].strip())):
        if lines[0].strip():
            digest_lines.append(lines[0][1:].strip())
        lines.pop(0)
    return Post(
        path=path,
        front=front,
        digest=" ".join(digest_lines) or None,
        body="\n".join(lines).strip(),
        link=link,
    )


def body_html(body: str) -> str:
    """HTML as it is (without our export's wrapper); plain text as one <p> per non-empty line."""
    if body.startswith(BODY_OPEN) and body.endswith(BODY_CLOSE):
        return body[len(BODY_OPEN) : -len(BODY_CLOSE)]
    if _HTML_BODY.search(body):
        return body
    return "".join(
        f"<p>{html.escape(line.strip())}</p>" for line in body.splitlines() if line.strip()
    )


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value if item is not None]
    return str(value).split()  # Jekyll splits a string of categories/tags on spaces


def front_media(front: dict[str, Any]) -> str | None:
    """The media a post's front matter names: tag minus 新闻, unless the category is a feed."""
    categories = _as_list(front.get("categories") or front.get("category"))
    if any(category in FEED_CATEGORIES for category in categories):
        return None
    for tag in _as_list(front.get("tags")):
        if tag.endswith(TAG_SUFFIX) and len(tag) > len(TAG_SUFFIX):
            return tag[: -len(TAG_SUFFIX)]
    return None


def trailing_source(body: str) -> str | None:
    """The （中新网）-style source note closing a plain-text rolling-news item."""
    if _HTML_BODY.search(body):
        return None
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    match = _TRAILING_SOURCE.search(lines[-1]) if lines else None
    return match.group(1).strip() if match else None


def front_date(value: Any) -> str:
    """The front-matter date as the text API would write it (naive = Beijing time)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value.isoformat()
    return str(value if value is not None else "").strip()


def article_number(post: Post) -> str:
    """The 18-digit East Money id: from the source link, else from the file name."""
    if post.link:
        identity = EASTMONEY.identify(post.link) if EASTMONEY.owns(post.link) else None
        if identity is not None:
            return identity.article_id
    match = _ID_IN_NAME.search(post.path.stem)
    if match:
        return match.group(1)
    raise PostError("no East Money article id in the source link or the file name")


def post_problems(post: Post) -> list[str]:
    """Defects that make the post unusable, all named at once (not only the first)."""
    problems = []
    if not str(post.front.get("title") or "").strip():
        problems.append("empty title")
    date = front_date(post.front.get("date"))
    if not has_date(date):
        problems.append(f"date {date!r} holds no date" if date else "no date")
    if not post.body.strip():
        problems.append("empty body")
    if problems:  # a missing link alone is no defect; next to others it explains them
        if post.link == "":
            problems.append("empty source link <>")
        elif post.link is None:
            problems.append("no source link")
    return problems


def post_page(post: Post, share_base: str) -> RawPage:
    """The text-API page this post was made from, ready for the pipelines."""
    number = article_number(post)
    problems = post_problems(post)
    if problems:
        raise PostError("; ".join(problems))
    code = f"NW{number}"
    front = post.front
    data = {
        "title": str(front.get("title") or ""),
        "showTime": front_date(front.get("date")),
        "mediaName": front_media(front) or "",
        "digest": post.digest or "",
        "content": body_html(post.body),
    }
    context: dict[str, Any] = {
        "entry_url": post.path.resolve().as_uri(),
        "source_url": post.link or share_url(share_base, code),
        "info_code": code,
        "category": " ".join(_as_list(front.get("categories") or front.get("category"))) or None,
        "tags": _as_list(front.get("tags")),
        "imported_from": str(post.path),
    }
    media = trailing_source(post.body)
    if media:
        context["feed_media"] = media
    url = text_api_url(share_base, code)
    return RawPage(
        url=url,
        final_url=url,
        status=200,
        text=json.dumps(data, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
        error=None,
        context=context,
        spider=SPIDER,
        fetched_at=datetime.now(UTC),
    )


# ---- the command ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What became of one file."""

    path: Path
    status: str  # imported (new/updated) | unchanged | duplicate | failed
    article_id: str | None = None
    reason: str | None = None


@dataclass
class ImportReport:
    results: list[ImportResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)


def post_files(paths: Sequence[str | Path]) -> Iterator[Path]:
    """Every post file named or found under the named directories, in a stable order."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from sorted(
                found
                for found in path.rglob("*")
                if found.is_file()
                and found.suffix in POST_SUFFIXES
                and not any(part.startswith(".") for part in found.relative_to(path).parts)
            )
        else:
            yield path


def import_posts(paths: Sequence[str | Path], store: Store, *, share_base: str) -> ImportReport:
    """Ingest every post; one result per file. Parse failures are recorded like stage failures."""
    run = StoreComponent(store, spider=SPIDER)
    report = ImportReport()
    for batch in chunks(post_files(paths), BATCH):
        pages: list[tuple[Path, RawPage]] = []
        for path in batch:
            try:
                pages.append((path, post_page(parse_post(path), share_base)))
            except PostError as exc:
                entry = {"url": path.resolve().as_uri() if path.exists() else str(path)}
                record = run.fail(
                    {"context": {"entry_url": entry["url"]}, **entry},
                    StageFailure("import", str(exc)),
                )
                report.results.append(ImportResult(path, "failed", reason=record["reason"]))
        outcomes = ingest_pages([page for _, page in pages], run=run)
        for (path, _), outcome in zip(pages, outcomes, strict=True):
            article_id = (outcome.article or {}).get("_id")
            if outcome.status in ("new", "updated"):
                report.results.append(ImportResult(path, "imported", article_id))
            elif outcome.status == "failed":
                failure = outcome.failure or {}
                reason = f"[{failure.get('stage')}] {failure.get('reason')}"
                report.results.append(ImportResult(path, "failed", reason=reason))
            else:
                report.results.append(ImportResult(path, outcome.status, article_id))
    return report
