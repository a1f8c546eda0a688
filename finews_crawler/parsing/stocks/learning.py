"""What an article teaches the security master: named securities, and name-vs-word evidence.

Facts come from an article's `stocks` entries that carry a name and were found by the source
(its own list), a quote block, a quote link or a code next to its name; names the tagger found
by name are not learned again (that would only echo the master). For an article whose source
lists its securities, every security whose name stands in the text adds one to `named_texts`,
and one to `listed_texts` when the list has it: a name that is mostly a word (机器人) shows as
a low share, and the tagger then wants its code in the text too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finews_crawler.parsing.stocks.markets import OTHER
from finews_crawler.parsing.stocks.matcher import Tagger

LEARNED_VIA = ("source", "quote", "link", "code", None)


def _market(entry: Mapping[str, Any]) -> str | None:
    """SH/SZ/BJ/HK/US, or None for an undocumented market number (OTHER in a tag)."""
    market = entry.get("market")
    return None if market in (None, "", OTHER) else str(market)


def _key(entry: Mapping[str, Any]) -> str:
    market = _market(entry)
    return f"{market}:{entry['code']}" if market else f"OTHER:{entry.get('secid') or entry['code']}"


def _market_of(entry: Mapping[str, Any]) -> str:
    """The market a list can speak for ("SH", or "OTHER:65" for an undocumented number)."""
    if _market(entry):
        return str(entry["market"])
    return "OTHER:" + str(entry.get("secid") or "").partition(".")[0]


def _seen(article: Mapping[str, Any]) -> str | None:
    value = article.get("published_at") or article.get("fetched_at")
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def facts_from_article(
    article: Mapping[str, Any], tagger: Tagger | None = None
) -> list[dict[str, Any]]:
    """The security-master facts of one stored article."""
    seen = _seen(article)
    origin = article.get("source") or ""
    facts: list[dict[str, Any]] = []
    listed_keys: set[str] = set()
    listed_markets: set[str] = set()
    for entry in article.get("stocks") or []:
        via = entry.get("via")
        if via not in LEARNED_VIA or not entry.get("code"):
            continue
        if via == "source":
            listed_keys.add(_key(entry))
            listed_markets.add(_market_of(entry))
        facts.append(
            {
                "code": entry["code"],
                "market": _market(entry),
                "kind": entry.get("kind") or "stock",
                "secid": entry.get("secid"),
                "name": entry.get("name"),
                "learned_from": f"{via or 'article'}:{origin}" if origin else via or "article",
                "seen": seen,
                "listed": 1 if via == "source" else 0,
            }
        )
    if tagger is not None and listed_keys:
        text = "\n".join(filter(None, (article.get("title"), article.get("body_text"))))
        for key in tagger.names_in(text):
            known = tagger.by_key[key].security
            if _market_of(known.__dict__) not in listed_markets:
                continue  # the source lists no security of that market here: no evidence
            facts.append(
                {
                    "code": known.code,
                    "market": known.market,
                    "kind": known.kind,
                    "secid": known.secid,
                    "seen": seen,
                    "named_texts": 1,
                    "listed_texts": 1 if key in listed_keys else 0,
                }
            )
    return facts
