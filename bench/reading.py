"""The reference reading of a real archive post, independent of the project's parsing code.

Nothing here imports parsing/, sources/, importers/ or pipelines/: it is the written-down rule
that BENCHMARKS.md quotes, applied by a generic reader.

  title, date  the post's front matter (`title: "..."`, `date: YYYY-MM-DD HH:MM:SS [+0800]`;
               a date without an offset is Beijing time, the archive's).
  article      the post body minus the archive's own lines: the `> ` digest line(s), the
               `<http...>` source link line and the `[返回...](...)` back links. An HTML body
               is kept as it is; a plain-text body becomes one <p> per non-empty line.
  body text    generic HTML to text with lxml: drop <script>, <style> and elements whose
               style says display:none; every block element (p, div, br, li, h1-h6, center,
               table row, blockquote) breaks a line; whitespace runs collapse to one space;
               empty lines go. Every visible line counts, editorial ones too (a source
               line such as `（文章来源：…）` is part of the truth).
  stock codes  every `data-code` attribute (`MARKET,CODE` or `[K ]CODE|MARKET|...`) gives the
               security MARKET.CODE, except market 90 (BK... sector boards, not stocks); and
               in the body text, `（600570）` / `(000001)` (six digits: 6xxxxx is market 1,
               Shanghai; 0xxxxx and 3xxxxx are market 0, Shenzhen) and `(01548.HK)` (five
               digits .HK: market 116).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lxml import html as lxml_html

BEIJING = timezone(timedelta(hours=8))
_FRONT = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)
_ARCHIVE_LINE = re.compile(r"^(> .*|<https?://[^>]*>|\[返回.*)$")
_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "center", "tr"}
_BLOCKS |= {"blockquote", "ul", "ol", "table"}
_DATA_CODE_COMMA = re.compile(r"^(\d+),([0-9A-Za-z]+)$")
_DATA_CODE_PIPE = re.compile(r"^(?:K )?([0-9A-Za-z]+)\|(\d+)\|")
_A_SHARE = re.compile(r"[（(](\d{6})[)）]")
_HK_SHARE = re.compile(r"[（(](\d{5})\.HK[)）]")
_A_MARKET = {"6": "1", "0": "0", "3": "0"}


@dataclass
class Reading:
    title: str
    published: datetime
    article_html: str
    body_text: str
    stocks: set[str]


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """(key -> raw value, body) of a Jekyll post; ({}, text) without front matter."""
    match = _FRONT.match(text)
    if not match:
        return {}, text
    fields = {}
    for line in match.group(1).splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields, match.group(2)


def unquote(value: str) -> str:
    return json.loads(value) if value.startswith('"') else value


def parse_date(value: str) -> datetime:
    value = value.strip()
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)


def article_html(body: str) -> str:
    lines = [line for line in body.strip().splitlines() if not _ARCHIVE_LINE.match(line.strip())]
    text = "\n".join(lines).strip()
    if _TAG.search(text):
        return text
    return "".join(f"<p>{html.escape(line.strip())}</p>" for line in lines if line.strip())


def _hidden(element) -> bool:
    return "display:none" in (element.get("style") or "").replace(" ", "").lower()


def visible_text(fragment: str) -> str:
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    parts: list[str] = []

    def walk(element) -> None:
        if not isinstance(element.tag, str):  # comments, processing instructions
            parts.append(element.tail or "")
            return
        if element.tag in ("script", "style") or _hidden(element):
            parts.append(element.tail or "")
            return
        block = element.tag in _BLOCKS
        parts.append("\n" if block else "")
        parts.append(element.text or "")
        for child in element:
            walk(child)
        parts.append("\n" if block else "")
        parts.append(element.tail or "")

    walk(root)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def stock_codes(fragment: str, text: str) -> set[str]:
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    found = set()
    for value in root.xpath("//@data-code"):
        value = value.strip()
        if comma := _DATA_CODE_COMMA.match(value):
            market, code = comma.groups()
        elif pipe := _DATA_CODE_PIPE.match(value):
            code, market = pipe.groups()
        else:
            continue
        if market != "90":
            found.add(f"{market}.{code}")
    found.update(f"{_A_MARKET[c[0]]}.{c}" for c in _A_SHARE.findall(text) if c[0] in _A_MARKET)
    found.update(f"116.{code}" for code in _HK_SHARE.findall(text))
    return found


def read_post(path: Path) -> Reading | None:
    """The reference for one post, or None when it has no title or date (the broken post)."""
    fields, body = front_matter(path.read_text(encoding="utf-8"))
    title = unquote(fields.get("title", "")).strip()
    try:
        published = parse_date(unquote(fields.get("date", "")))
    except ValueError:
        return None
    if not title:
        return None
    fragment = article_html(body)
    text = visible_text(fragment)
    return Reading(title, published, fragment, text, stock_codes(fragment, text))
