"""Markets and kinds of securities, from codes and market-qualified ids, without guessing.

A "secid" is the market-qualified id quote services use ("1.600570"): a market number, a dot,
the code (SH 1, SZ/BJ 0, HK 116, US 105). Markets are SH, SZ, BJ, HK, US; a market number or
prefix nobody documents is kept as given with market OTHER (secid "150.159813").
Kinds: stock, fund (ETFs and listed funds), index, board, future, bond. A mainland code's kind
follows the exchanges' published number plans (SH 5xxxxx funds, SZ 15/16/18xxxx funds,
SZ 399xxx indexes, SH 11xxxx and SZ 12xxxx bonds).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

SECID_PREFIX = {"SH": "1", "SZ": "0", "BJ": "0", "HK": "116", "US": "105"}
MARKETS = ("SH", "SZ", "BJ", "HK", "US", "OTHER")
KINDS = ("stock", "fund", "index", "board", "future", "bond")
OTHER = "OTHER"

BJ_PREFIXES = ("43", "83", "87", "88", "92")
# How sure a tag is, by how it was found (names: see matcher.NAME_CONFIDENCE).
CONFIDENCE = {"source": 1.0, "quote": 0.98, "link": 0.95, "code": 0.9}


@dataclass(frozen=True)
class Security:
    """A listed security mentioned in an article (or known to the security master)."""

    code: str
    market: str | None  # None: the source's market code is undocumented (secid as given)
    secid: str
    name: str | None = None
    kind: str = "stock"
    via: str | None = field(default=None, compare=False)  # source|quote|link|code|name
    confidence: float | None = field(default=None, compare=False)

    def as_dict(self) -> dict:
        out: dict[str, Any] = {
            "code": self.code,
            "market": self.market or OTHER,  # an undocumented market number: secid as given
            "secid": self.secid,
            "name": self.name,
            "kind": self.kind,
        }
        if self.via is not None:
            out["via"] = self.via
        if self.confidence is not None:
            out["confidence"] = self.confidence
        return out

    @property
    def key(self) -> str:
        """The security master's key: market and code ("SH:600570", "OTHER:150.159813")."""
        return f"{self.market or OTHER}:{self.code if self.market else self.secid}"


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
    if code.startswith(("6", "9", "5", "11")):
        return "SH"
    if code.startswith(("0", "2", "3", "15", "16", "18", "12")):
        return "SZ"
    return None


def kind_of(code: str, market: str | None) -> str:
    """The kind a mainland exchange's number plan gives a code (stock elsewhere)."""
    if market == "SH":
        if code.startswith("5"):
            return "fund"
        if code.startswith(("11", "01", "02")):
            return "bond"
        if code.startswith("000"):  # only as SH with an explicit market: 1.000001 上证指数
            return "index"
    if market == "SZ":
        if code.startswith(("15", "16", "18")):
            return "fund"
        if code.startswith("12"):
            return "bond"
        if code.startswith(("399", "98")):  # 399xxx SZSE indexes, 98xxxx CNI indexes
            return "index"
    return "stock"


def from_market_code(market: str, code: str, name: str | None = None) -> Security | None:
    """A Security from an explicit market (SH/SZ/BJ/HK/US) and code; None when the code
    cannot be one of that market's (a Shenzhen-numbered Beijing code is filed as BJ)."""
    security = _from_market_code(market, code)
    if security is None or name is None:
        return security
    return Security(security.code, security.market, security.secid, name, security.kind)


@functools.lru_cache(maxsize=8192)
def _from_market_code(market: str, code: str) -> Security | None:
    """from_market_code without a name: the same few thousand codes recur in every article
    (a Security is immutable, so one instance per code serves them all)."""
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
    if market == "US" and not re.fullmatch(r"[A-Z][A-Z0-9.]{0,6}", code):
        return None
    return Security(code, market, f"{prefix}.{code}", None, kind_of(code, market))


def from_bare_code(code: str, name: str | None = None) -> Security | None:
    """A bare 6-digit mainland code (stock, fund or bond) by its exchange's number plan."""
    market = market_of_a_share(code)
    return from_market_code(market, code, name) if market else None


def other(prefix: str, code: str, name: str | None = None, kind: str = "stock") -> Security:
    """A security under a market number nobody documents: kept as given, market OTHER."""
    return Security(code.strip(), None, f"{prefix.strip()}.{code.strip()}", name, kind)


_PREFIXED = re.compile(r"(?i)^(SH|SZ|BJ|HK)\s*([0-9]{4,6})$")
_SUFFIXED = re.compile(r"(?i)^([0-9]{4,6}|[A-Z][A-Z0-9]{0,5})\.(SH|SZ|BJ|HK|US|O|N|OQ|A)$")


def from_id(value: str, name: str | None = None) -> Security | None:
    """A market-qualified id in the common notations: sh601633, SZ000962, HK2476,
    920082.BJ, 600000.SH, 00700.HK, AAPL.O; None when it is none of these."""
    value = value.strip()
    match = _PREFIXED.match(value)
    if match:
        return from_market_code(match.group(1), match.group(2), name)
    match = _SUFFIXED.match(value)
    if match:
        suffix = match.group(2).upper()
        market = "US" if suffix in ("US", "O", "N", "OQ", "A") else suffix
        return from_market_code(market, match.group(1), name)
    return None
