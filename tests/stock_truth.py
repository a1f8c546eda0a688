"""Comparing an article's stocks with a truth written before the tagger said how it found
each one: the truth's keys only, and only what the page itself shows (markup, codes, the
source's list). Tags found by name depend on what the security master has learned, so they
are checked by their own rule (the name is in the text), not against the page's truth."""

from __future__ import annotations

from typing import Any

TRUTH_KEYS = ("code", "market", "secid", "name")


def shown(stocks: list[dict[str, Any]], keys: tuple[str, ...] = TRUTH_KEYS) -> list[dict]:
    """The stocks the page shows, each cut to the truth's keys."""
    return [{key: stock.get(key) for key in keys} for stock in stocks if stock.get("via") != "name"]


def named_in_text(article: dict[str, Any]) -> list[dict[str, Any]]:
    """Name tags whose name is not in the article's title or text (should be none)."""
    text = f"{article.get('title') or ''}\n{article.get('body_text') or ''}"
    return [
        s for s in article.get("stocks") or [] if s.get("via") == "name" and s["name"] not in text
    ]
