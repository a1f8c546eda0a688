"""Stock codes: every notation East Money uses, resolved to code + market + secid.

A "secid" is East Money's market-qualified id ("1.600570"): the market number, a dot, the code.
Notations seen in article HTML and text:
  quote blocks      data-code="600570|1|1"     (code|market-number|chart-type)
  inline links      data-code="1,600519"       (market-number,code), id="stock_1.600519"
  quote URLs        quote.eastmoney.com/unify/r/1.600570, /r/0.002353, /us/AAPL.html, /hk/00700.html
  text mentions     昇兴股份(002752), 金斯瑞生物科技(01548.HK), 苹果(AAPL.US), 600570.SH
Market number 90 is an industry/concept board (BK0473), not a security: boards are kept apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from finews_crawler.parsing.html_text import parse_fragment

# East Money market numbers -> our market names. 0 covers both Shenzhen and Beijing.
MARKET_BY_NUMBER = {"1": "SH", "0": "SZ", "116": "HK", "105": "US", "106": "US", "107": "US"}
BOARD_MARKET_NUMBER = "90"
SECID_PREFIX = {"SH": "1", "SZ": "0", "BJ": "0", "HK": "116"}

_BJ_PREFIXES = ("43", "83", "87", "88", "92")


@dataclass(frozen=True)
class Security:
    """A listed security mentioned in an article."""

    code: str
    market: str
    secid: str
    name: str | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "market": self.market, "secid": self.secid, "name": self.name}


@dataclass(frozen=True)
class Board:
    """An East Money industry or concept board (market number 90)."""

    code: str
    secid: str
    name: str | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "secid": self.secid, "name": self.name}


def market_of_a_share(code: str) -> str | None:
    """Exchange of a bare 6-digit mainland code, by its prefix; None when it is not one."""
    if not re.fullmatch(r"\d{6}", code):
        return None
    if code.startswith(_BJ_PREFIXES):
        return "BJ"
    if code.startswith(("6", "9")):
        return "SH"
    if code.startswith(("0", "2", "3")):
        return "SZ"
    return None


def from_secid(market_number: str, code: str, name: str | None = None) -> Security | Board | None:
    """Build a Security (or Board) from East Money's market number and code."""
    market_number, code = market_number.strip(), code.strip().upper()
    if not code:
        return None
    if market_number == BOARD_MARKET_NUMBER:
        return Board(code=code, secid=f"90.{code}", name=name)
    market = MARKET_BY_NUMBER.get(market_number)
    if market is None:
        return None
    if market == "SZ" and code.startswith(_BJ_PREFIXES):
        market = "BJ"
    if market in ("SH", "SZ", "BJ") and not re.fullmatch(r"\d{6}", code):
        return None
    if market == "HK" and not re.fullmatch(r"\d{5}", code):
        return None
    return Security(code=code, market=market, secid=f"{market_number}.{code}", name=name)


_SECID_IN_URL = re.compile(
    r"quote\.eastmoney\.com/(?:unify/)?r/(\d{1,3})\.([A-Za-z0-9_.]+?)(?:[?#/]|$)"
)
_MARKET_PATH_URL = re.compile(
    r"quote\.eastmoney\.com/(sh|sz|bj|hk|us)/?([A-Za-z0-9.]+?)\.html", re.I
)


def from_quote_url(url: str, name: str | None = None) -> Security | Board | None:
    """Parse a quote-page link such as quote.eastmoney.com/unify/r/1.600570 or /hk/00700.html."""
    match = _SECID_IN_URL.search(url)
    if match:
        return from_secid(match.group(1), match.group(2), name)
    match = _MARKET_PATH_URL.search(url)
    if match:
        market, code = match.group(1).upper(), match.group(2).upper()
        if market == "US":
            return Security(code=code, market="US", secid=f"105.{code}", name=name)
        return from_market_code(market, code, name)
    return None


def from_market_code(market: str, code: str, name: str | None = None) -> Security | None:
    """Build a Security from an explicit market (SH/SZ/BJ/HK) and code."""
    market = market.upper()
    if market == "HK":
        code = code.zfill(5)
    prefix = SECID_PREFIX.get(market)
    if prefix is None:
        return None
    if market == "BJ":
        return Security(code=code, market="BJ", secid=f"0.{code}", name=name)
    security = from_secid(prefix, code, name)  # a market's prefix never names a board
    return security if isinstance(security, Security) else None


def from_data_code(value: str, name: str | None = None) -> Security | Board | None:
    """Parse a data-code attribute: "600570|1|1" (quote block) or "1,600519" (inline link)."""
    value = value.strip()
    if value.startswith("K "):  # the chart <img> repeats the code as "K 600570|1|1"
        value = value[2:]
    if "|" in value:
        parts = value.split("|")
        if len(parts) >= 2:
            return from_secid(parts[1], parts[0], name)
        return None
    if "," in value:
        market_number, _, code = value.partition(",")
        return from_secid(market_number, code, name)
    return None


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
        security: Security | Board | None = None
        if match.group("a"):
            code = match.group("a")
            market = match.group("asuffix") or market_of_a_share(code)
            if market:
                security = from_market_code(market, code, name)
        elif match.group("hk"):
            security = from_market_code("HK", match.group("hk"), name)
        elif match.group("us"):
            code = match.group("us")
            security = Security(code=code, market="US", secid=f"105.{code}", name=name)
        if isinstance(security, Security):
            found.append(security)
    return found


def _element_name(element) -> str | None:
    text = element.text_content().strip()
    return text or None


def from_html(fragment: str | etree._Element) -> tuple[list[Security], list[Board]]:
    """Every security and board in an article's HTML (markup or parsed tree), by secid, in order.

    Names come from inline link text or text mentions; a security seen only in a quote block
    has no name unless the text names it later.
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
        data_code = element.get("data-code")
        found: Security | Board | None = None
        if data_code and element.tag != "img":
            is_quote_block = "|" in data_code
            name = None if is_quote_block else _element_name(element)
            found = from_data_code(data_code, name)
        elif element.tag == "a" and element.get("href") and not element.get("data-code"):
            found = from_quote_url(element.get("href", ""), _element_name(element))
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
