"""Stock codes written in running text, with their span and the name written before them.

  昇兴股份(002752)  金斯瑞生物科技(01548.HK)  友邦(2888.HK)  苹果(AAPL.US)  瑞信(CS.N)
  英特尔(INTC.O)  Sunoco LP（SUN.N）  五洋自控（300420.SZ）  某公司(002572.SZ，最新价…)
  黄金ETF（518880）  159934  600570.SH  SH600519  00700.HK
A bare 6-digit number counts only inside brackets or with a market suffix/prefix; a 4-digit
Hong Kong code only with .HK. Funds and ETFs get kind "fund" by the exchanges' number plans.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from finews_crawler.parsing.stocks.markets import Security, from_bare_code, from_market_code

# In brackets: a code, optionally suffixed, optionally followed by more text after a comma.
_IN_BRACKETS = re.compile(
    r"[（(]\s*(?:(?P<a>\d{6})(?:\.(?P<asuffix>SH|SZ|BJ))?"
    r"|(?P<hk>\d{4,5})\.HK|(?P<hk5>0\d{4})"
    r"|(?:(?:NASDAQ|NYSE|纳斯达克|纽交所)\s*[:：]\s*)?(?P<us>[A-Z][A-Z0-9]{0,5})"
    r"(?:\.(?P<ussuffix>US|O|N|OQ|A))?)"
    r"\s*(?:[)）]|[,，;；、\s](?=[^)）]{0,40}[)）]))"
)
# Outside brackets: only with an explicit market.
_BARE = re.compile(
    r"(?<![A-Za-z0-9.])(?:(?P<code>\d{6})\.(?P<suffix>SH|SZ|BJ)|(?P<pfx>SH|SZ|BJ)(?P<pcode>\d{6})"
    r"|(?P<hk>\d{4,5})\.HK)(?![A-Za-z0-9])"
)

# What each of the two patterns needs, read off them: a bracket followed by a digit, a
# capital or an exchange's name (_IN_BRACKETS); a market suffix or prefix glued to four or six
# digits (_BARE). A text without either holds no code: `code_mentions` returns at once, which
# saves the scan of most texts (a year or a bracketed remark is no reason to scan), and a
# text without the second skips _BARE (its leading look-behind makes the engine try it at
# every character). Keep them in step with the patterns (tests/test_hash_once.py checks).
# One pattern per bracket: a pattern that starts with a plain character is searched for with
# a fast scan; one that starts with a class of two is tried at every character.
_MAY_HOLD_BRACKETED = tuple(
    (bracket, re.compile(re.escape(bracket) + r"\s*(?:\d|[A-Z]|纳斯达克|纽交所)"))
    for bracket in ("(", "（")
)
_MAY_HOLD_BARE = re.compile(r"\d{4}\.[SBH]|(?:SH|SZ|BJ)\d{6}")


def _may_hold_bracketed(text: str) -> bool:
    return any(
        bracket in text and pattern.search(text) is not None
        for bracket, pattern in _MAY_HOLD_BRACKETED
    )


def _may_hold_bare(text: str) -> bool:
    # Substring tests first: each is a plain scan, far cheaper than any pattern.
    marked = "SH" in text or "SZ" in text or "BJ" in text or ".HK" in text
    return marked and _MAY_HOLD_BARE.search(text) is not None


_NAME_CHARS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9·＊*-]+$")
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9&'.-]*(?: [A-Za-z0-9&'.-]+)*$")
_MAX_NAME = 12
# Words glued to the front of a name ("与星辰科技", "本周黄金ETF"); 和 is not one: 和而泰 is a
# company. A one-character one is cut only when 3 or more characters stay (向日葵 stays).
_LEADING_WORDS = (
    "以及", "据悉", "其中", "同时", "本周", "上周", "今日", "今天", "昨日", "近日", "日前",
    "目前", "此前", "随后", "另外", "此外",
)  # fmt: skip
_INNER_CUTS = "从向对列据与及被把让给将"  # verbs and prepositions: "记者从中国石化", "位列金沙中国"


@dataclass(frozen=True)
class CodeMention:
    """A code found in text: the security, where its notation is, and the name span before."""

    security: Security
    start: int
    end: int
    name_start: int | None  # where the written name begins (None: no name written)


def name_before(text: str, end: int) -> tuple[str, int] | None:
    """The company name right before a code notation at `end`, when it is delimited.

    Names run back to punctuation, a space or the start of the text; a longer run is a
    sentence, not a name, and gives no name (the code still counts). Latin names may hold
    spaces ("Sunoco LP").
    """
    while end > 0 and text[end - 1] == " ":
        end -= 1
    window = text[max(0, end - 40) : end]
    latin = _LATIN_NAME.search(window)
    if latin and " " in latin.group(0):
        name = latin.group(0)
        return name, end - len(name)
    match = _NAME_CHARS.search(text[max(0, end - _MAX_NAME - 1) : end])
    if not match:
        return None
    name = match.group(0)
    starts_at = end - len(name)
    if len(name) > _MAX_NAME or (starts_at > 0 and _NAME_CHARS.match(text[starts_at - 1])):
        return None
    for word in _LEADING_WORDS:
        if name.startswith(word) and len(name) - len(word) >= 2:
            name, starts_at = name[len(word) :], starts_at + len(word)
            break
    # The last verb or preposition with 3 or more characters after it ends the lead.
    for index in range(len(name) - 4, -1, -1):
        if name[index] in _INNER_CUTS:
            return name[index + 1 :], starts_at + index + 1
    return name, starts_at


def _in_brackets(match: re.Match[str]) -> Security | None:
    if match.group("a"):
        code, suffix = match.group("a"), match.group("asuffix")
        return from_market_code(suffix, code) if suffix else from_bare_code(code)
    if match.group("hk"):
        return from_market_code("HK", match.group("hk"))
    if match.group("hk5"):
        return from_market_code("HK", match.group("hk5"))
    if match.group("us"):
        # A capitalised word in brackets is a ticker only with a suffix or an exchange
        # ("(AI)" is a word); the tagger also takes one its master knows.
        explicit = match.group("ussuffix") or "：" in match.group(0) or ":" in match.group(0)
        return from_market_code("US", match.group("us")) if explicit else None
    return None


def code_mentions(text: str) -> Iterator[CodeMention]:
    """Every code notation in `text`, in order, with the name written before it if any."""
    bracketed, bare = _may_hold_bracketed(text), _may_hold_bare(text)
    for match in _IN_BRACKETS.finditer(text) if bracketed else ():
        security = _in_brackets(match)
        if security is None:
            continue
        found = name_before(text, match.start())
        if found:
            s = security
            security = Security(s.code, s.market, s.secid, found[0], s.kind)
        yield CodeMention(security, match.start(), match.end(), found[1] if found else None)
    for match in _BARE.finditer(text) if bare else ():
        if match.group("code"):
            security = from_market_code(match.group("suffix"), match.group("code"))
        elif match.group("pcode"):
            security = from_market_code(match.group("pfx"), match.group("pcode"))
        else:
            security = from_market_code("HK", match.group("hk"))
        if security is not None and not _inside_brackets_match(text, match.start()):
            yield CodeMention(security, match.start(), match.end(), None)


def _inside_brackets_match(text: str, start: int) -> bool:
    """A bare notation directly after an opening bracket was read by the bracket rule."""
    before = text[max(0, start - 2) : start].rstrip()
    return before.endswith(("(", "（"))


def may_hold_code(text: str) -> bool:
    """False when no notation this module reads can stand in `text` (a cheap test)."""
    return _may_hold_bracketed(text) or _may_hold_bare(text)


def from_text(text: str) -> list[Security]:
    """Securities named in running text with an explicit code, in order of appearance
    (code_mentions makes the cheap prechecks)."""
    return [mention.security for mention in sorted(code_mentions(text), key=lambda m: m.start)]
