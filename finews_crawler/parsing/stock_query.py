"""A stock as a reader types it, resolved to the codes articles store (`stocks[].code`).

Codes in any notation resolve here without help: 600519, 600519.SH, SH600519, sh600519,
1.600519 (a secid), 00700.HK, HK00700, 0700.HK, 116.00700, AAPL.US, 105.AAPL, AAPL. Anything
else is a name (贵州茅台), resolved by a lookup the caller supplies (the seam for the security
master: `names(name) -> codes`), since knowing names needs data, not parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

NameLookup = Callable[[str], Iterable[str]]

_A_SHARE = r"\d{6}"
_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(rf"({_A_SHARE})(?:\.(?:SH|SS|SZ|BJ))?", re.I), lambda m: m.group(1)),
    (re.compile(rf"(?:SH|SS|SZ|BJ)({_A_SHARE})", re.I), lambda m: m.group(1)),
    (re.compile(r"(\d{4,5})\.HK|HK(\d{4,5})", re.I), lambda m: (m.group(1) or m.group(2)).zfill(5)),
    (re.compile(r"116\.(\d{4,5})"), lambda m: m.group(1).zfill(5)),
    (re.compile(rf"[01]\.({_A_SHARE})"), lambda m: m.group(1)),
    (
        re.compile(r"(?:10[567]\.)?([A-Z][A-Z0-9]{0,5}(?:\.[A-Z])?)(?:\.US)?", re.I),
        lambda m: m.group(1).upper(),
    ),
)


def stock_code(text: str) -> str | None:
    """The stored code a code notation names; None when `text` is not a code (a name)."""
    text = text.strip()
    for pattern, code in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return code(match)
    return None


class UnknownStock(ValueError):
    """A stock that is neither a code notation nor a name the lookup knows."""


def resolve_stock(text: str, names: NameLookup | None = None) -> list[str]:
    """Codes for what a reader typed: a code notation gives its one code; a name gives the
    codes `names` knows for it. UnknownStock (with the reason) when nothing matches."""
    code = stock_code(text)
    if code is not None:
        return [code]
    name = text.strip()
    if not name:
        raise UnknownStock("empty stock")
    found = sorted(set(names(name))) if names is not None else []
    if not found:
        raise UnknownStock(
            f"unknown stock {name!r}: not a code (600519, 600519.SH, SH600519, 1.600519,"
            " 00700.HK, AAPL.US) and no stored security has that name"
        )
    return found
