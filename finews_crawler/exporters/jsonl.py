"""`finews export jsonl`: one JSON object per line, streamed, in a stable field order.

Field order is the schema's (`finews_crawler.article.ordered`); dates are ISO 8601 with
their offset (stored dates are UTC, so "+00:00"). The same serialisation backs
`finews fetch`, so a fetched article and an exported one are interchangeable lines.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from finews_crawler.article import ordered
from finews_crawler.storage import ArticleQuery, Store


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        # A store that hands back naive datetimes (MongoDB without tz_aware) means UTC.
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def article_json(article: Mapping[str, Any]) -> str:
    """One article as one JSON line (no trailing newline)."""
    return json.dumps(ordered(article), ensure_ascii=False, default=_iso, separators=(",", ":"))


def export_jsonl(store: Store, query: ArticleQuery, out: TextIO) -> int:
    """Write every matching article, oldest first; return how many were written."""
    written = 0
    for article in store.iter_articles(query):
        out.write(article_json(article))
        out.write("\n")
        written += 1
    return written


def replace_atomically(target: Path, write: Callable[[Path], int]) -> int:
    """`write` a file beside `target`, then rename it: a reader never sees half an export.
    Every exporter that writes one file goes through here."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp{os.getpid()}")
    try:
        written = write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return written


def export_text_to(out: str | None, write: Callable[[TextIO], int], newline: str) -> int:
    """A text export to the file `out` (UTF-8, written beside it, then renamed: never half
    an export) or, without one (or `-`), to stdout."""
    if not out or out == "-":
        written = write(sys.stdout)
        sys.stdout.flush()
        return written

    def to_file(path: Path) -> int:
        with path.open("w", encoding="utf-8", newline=newline) as handle:
            return write(handle)

    return replace_atomically(Path(out), to_file)


def export_jsonl_to(store: Store, query: ArticleQuery, out: str | None) -> int:
    """To a file or to stdout (export_text_to)."""
    return export_text_to(out, lambda handle: export_jsonl(store, query, handle), "\n")
