"""Access to ../shared (real archive posts); tests using it skip when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLE_POST = SHARED / "samples" / "newsshare-post-2022-04-13.md"
CORPUS_DIR = SHARED / "corpus" / "finews-posts"


def require(path: Path) -> Path:
    """The path, or skip the test saying what is missing and why."""
    if not path.exists():
        pytest.skip(f"{path} is absent: real archive posts ship only with the dev workspace")
    return path


def split_post(path: Path) -> tuple[dict, str]:
    """(front matter, body) of a Jekyll post."""
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---", 2)
    return yaml.safe_load(front) or {}, body.strip()


def post_article_html(body: str) -> str:
    """The article HTML of a post body: without the digest line, source link and back links."""
    lines = [line for line in body.split("\n\n") if line.strip()]
    html_parts = [
        part
        for part in lines
        if not part.startswith(("> ", "<http", "<>", "[返回")) and part.strip() != "<>"
    ]
    return "\n\n".join(html_parts)
