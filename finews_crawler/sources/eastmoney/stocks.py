"""East Money's own stock notations: market numbers, data-code attributes, quote-page links.

  quote blocks   data-code="600570|1|1"    (code|market-number|chart-type)
  inline links   data-code="1,600519"      (market-number,code), id="stock_1.600519"
  quote URLs     quote.eastmoney.com/unify/r/1.600570, /r/0.002353, /us/AAPL.html, /hk/00700.html
Market number 90 is an industry/concept board (BK0473), not a security: boards are kept apart.
Generic notations (600570, (01548.HK)) are read by finews_crawler/parsing/stocks/.
"""

from __future__ import annotations

import re
from typing import Any

from finews_crawler.parsing.stocks import BJ_PREFIXES, Board, Security, from_market_code

# East Money market numbers -> market names. 0 covers both Shenzhen and Beijing.
MARKET_BY_NUMBER = {"1": "SH", "0": "SZ", "116": "HK", "105": "US", "106": "US", "107": "US"}
BOARD_MARKET_NUMBER = "90"


def from_secid(market_number: str, code: str, name: str | None = None) -> Security | Board | None:
    """A Security (or Board) from East Money's market number and code."""
    market_number, code = market_number.strip(), code.strip().upper()
    if not code:
        return None
    if market_number == BOARD_MARKET_NUMBER:
        return Board(code=code, secid=f"90.{code}", name=name)
    market = MARKET_BY_NUMBER.get(market_number)
    if market is None:
        return None
    if market == "US":  # 105/106/107 are three US exchanges: the secid keeps which
        return Security(code=code, market="US", secid=f"{market_number}.{code}", name=name)
    if market == "SZ" and code.startswith(BJ_PREFIXES):
        market = "BJ"
    if market == "HK" and not re.fullmatch(r"\d{5}", code):
        return None
    return from_market_code(market, code, name)


_SECID_IN_URL = re.compile(
    r"quote\.eastmoney\.com/(?:unify/)?r/(\d{1,3})\.([A-Za-z0-9_.]+?)(?:[?#/]|$)"
)
_MARKET_PATH_URL = re.compile(
    r"quote\.eastmoney\.com/(sh|sz|bj|hk|us)/?([A-Za-z0-9.]+?)\.html", re.I
)


def from_quote_url(url: str, name: str | None = None) -> Security | Board | None:
    """A quote-page link such as quote.eastmoney.com/unify/r/1.600570 or /hk/00700.html."""
    match = _SECID_IN_URL.search(url)
    if match:
        return from_secid(match.group(1), match.group(2), name)
    match = _MARKET_PATH_URL.search(url)
    if match:
        return from_market_code(match.group(1), match.group(2), name)
    return None


def from_data_code(value: str, name: str | None = None) -> Security | Board | None:
    """A data-code attribute: "600570|1|1" (quote block) or "1,600519" (inline link)."""
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


def _element_name(element: Any) -> str | None:
    text = element.text_content().strip()
    return text or None


# The elements stock_mention can name anything in: those with a data-code, and links.
MARKUP = "descendant-or-self::*[@data-code] | descendant-or-self::a[@href]"


def stock_mention(element: Any) -> Security | Board | None:
    """The security or board one element of an East Money body names in markup, if any."""
    data_code = element.get("data-code")
    if data_code:  # the chart <img> too: some quote blocks have no <a> around it
        is_quote_block = "|" in data_code or element.tag == "img"
        return from_data_code(data_code, None if is_quote_block else _element_name(element))
    if element.tag == "a" and element.get("href") and not data_code:
        return from_quote_url(element.get("href", ""), _element_name(element))
    return None
