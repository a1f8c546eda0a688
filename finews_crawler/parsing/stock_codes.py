"""Stock codes in generic notations, resolved to code + market + secid.

A "secid" is the market-qualified id quote services use ("1.600570"): a market number, a dot,
the code (SH 1, SZ/BJ 0, HK 116, US 105). Notations any source may use in running text:
  昇兴股份(002752), 金斯瑞生物科技(01548.HK), 苹果(AAPL.US), 600570.SH, SH600519
A source's own markup notations (quote links, data attributes) live in its adapter, which
hands them in through `from_html(..., mention=adapter.stock_mention)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from finews_crawler.parsing.html_text import parse_fragment

SECID_PREFIX = {"SH": "1", "SZ": "0", "BJ": "0", "HK": "116", "US": "105"}

BJ_PREFIXES = ("43", "83", "87", "88", "92")


@dataclass(frozen=True)
class Security:
    """A listed security mentioned in an article."""

    code: str
    market: str | None  # None: the source's market code is undocumented (secid as given)
    secid: str
    name: str | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "market": self.market, "secid": self.secid, "name": self.name}


@dataclass(frozen=True)
class Board:
    """An industry or concept board (a group of securities, not one)."""

    code: str
    secid: str
    name: str | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "secid": self.secid, "name": self.name}


def market_of_a_share(code: str) -> str | None:
    """Exchange of a bare 6-digit mainland code, by its prefix; None when it is not one."""
    if not re.fullmatch(r"\d{6}", code):
        return None
    if code.startswith(BJ_PREFIXES):
        return "BJ"
    if code.startswith(("6", "9")):
        return "SH"
    if code.startswith(("0", "2", "3")):
        return "SZ"
    return None


def from_market_code(market: str, code: str, name: str | None = None) -> Security | None:
    """A Security from an explicit market (SH/SZ/BJ/HK/US) and code; None when the code
    cannot be one of that market's (a Shenzhen-numbered Beijing code is filed as BJ)."""
    market, code = market.upper(), code.strip().upper()
    if market == "HK":
        code = code.zfill(5)
    prefix = SECID_PREFIX.get(market)
    if prefix is None or not code:
        return None
    if market == "SZ" and code.startswith(BJ_PREFIXES):
        market = "BJ"
    if market in ("SH", "SZ", "BJ") and not re.fullmatch(r"\d{6}", code):
        return None
    if market == "HK" and not re.fullmatch(r"\d{5}", code):
        return None
    return Security(code=code, market=market, secid=f"{prefix}.{code}", name=name)


# 名称(600570) / 名称（600570） / 名称(01548.HK) / 名称(600570.SH) / 名称(AAPL.US)
_CODE_IN_PARENS = re.compile(
    r"[（(](?:(?P<a>\d{6})(?:\.(?P<asuffix>SH|SZ|BJ))?|(?P<hk>\d{4,5})\.HK"
    r"|(?P<us>[A-Z]{1,5})\.(?:US|O|N))[)）]"
)
_NAME_CHARS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9·＊*-]+$")
_MAX_NAME = 12
# Connectives glued to the front of a name ("与星辰科技"); 和 is not one: 和而泰 is a company.
_LEADING_CONNECTIVES = ("以及", "据悉", "其中", "同时", "与", "及")


def _name_before(text: str, end: int) -> str | None:
    """The company name right before a parenthesised code, when it is delimited.

    Names run back to punctuation, a space or the start of the text; a longer run is a
    sentence, not a name, and gives no name (the code still counts).
    """
    match = _NAME_CHARS.search(text[max(0, end - _MAX_NAME - 1) : end])
    if not match:
        return None
    name = match.group(0)
    starts_at = end - len(name)
    if len(name) > _MAX_NAME or (starts_at > 0 and _NAME_CHARS.match(text[starts_at - 1])):
        return None
    for connective in _LEADING_CONNECTIVES:
        if name.startswith(connective) and len(name) - len(connective) >= 2:
            return name[len(connective) :]
    return name


def from_text(text: str) -> list[Security]:
    """Securities named in running text with an explicit code, in order of appearance."""
    found: list[Security] = []
    for match in _CODE_IN_PARENS.finditer(text):
        name = _name_before(text, match.start())
        security: Security | None = None
        if match.group("a"):
            code = match.group("a")
            market = match.group("asuffix") or market_of_a_share(code)
            if market:
                security = from_market_code(market, code, name)
        elif match.group("hk"):
            security = from_market_code("HK", match.group("hk"), name)
        elif match.group("us"):
            security = from_market_code("US", match.group("us"), name)
        if security is not None:
            found.append(security)
    return found


Mention = Callable[[Any], "Security | Board | None"]


def from_html(
    fragment: str | etree._Element, mention: Mention | None = None
) -> tuple[list[Security], list[Board]]:
    """Every security and board in an article's HTML (markup or parsed tree), by secid, in order.

    `mention(element)` reads a source's own markup notations (its adapter's stock_mention);
    text mentions in generic notations are read everywhere. A security seen only in markup
    without a name has none unless the text names it later.
    """
    if isinstance(fragment, str):
        if not fragment.strip():
            return [], []
        root = parse_fragment(fragment)
    else:
        root = fragment
    mentions: list[Security | Board] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        found = mention(element) if mention is not None else None
        if found is not None:
            mentions.append(found)
        if element.text:
            mentions.extend(from_text(element.text))
        if element.tail:
            mentions.extend(from_text(element.tail))
    return merge(mentions)


def merge(mentions: Iterable[Security | Board]) -> tuple[list[Security], list[Board]]:
    """De-duplicate by secid keeping first-seen order; a later mention may supply the name."""
    by_secid: dict[str, Security | Board] = {}
    for mention in mentions:
        known = by_secid.get(mention.secid)
        if known is None:
            by_secid[mention.secid] = mention
        elif known.name is None and mention.name:
            by_secid[mention.secid] = type(known)(**{**known.__dict__, "name": mention.name})
    securities = [m for m in by_secid.values() if isinstance(m, Security)]
    boards = [m for m in by_secid.values() if isinstance(m, Board)]
    return securities, boards
