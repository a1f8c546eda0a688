"""The one stock tagger: codes in every notation, and names from the security master.

Names are found with an Aho-Corasick automaton (pyahocorasick: one pass over the text whatever
the number of names), longest match first, so 中国平安银行 is not read as 中国平安. Rules for
the short and ambiguous:
  - a name of two characters counts only when it is not glued inside a longer run of letters
    of the same script on both sides, and a Latin name only at word boundaries;
  - a name the master has learned to be a word (texts that hold it rarely list the security:
    机器人, 香港交易所 as a place) counts only when its code is in the text too;
  - a name several securities share (the A and the H share) goes to the one whose code is in
    the text, else to the listing the next words name (中芯国际港股), else to the A share, then
    the US listing, then Hong Kong (the one the sources list most on a tie); the other
    listing of a name the article already lists is not added;
  - a name directly followed by a word that makes it a place or an organisation (省, 市,
    交易所, 大学 ...) is that place, not the security;
  - a name glued to a Latin word with small letters or digits names a product (美团LongCat,
    小米SU7), not the security (英伟达CEO is the company);
  - a broker followed by its analysts' voice (东吴证券认为, 中信证券研报) is the source of an
    opinion about others, not news about the broker;
  - a name directly followed by a bracketed code of another security belongs to that code
    (港股创新药ETF（513120） is not 创新药ETF);
  - a fund or index name glued after Chinese characters is the tail of a longer fund name
    (中韩半导体ETF is not 半导体ETF), and an index name running on into a board or concept
    (消费电子零部件板块) is that board;
  - a name opening an event's title (2026甲公司汽车技术峰会) is the event, not the security.
Indexes and futures are tagged by name only when the sources list them on most texts that
name them (their names are written in most market reports); boards only by code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import ahocorasick

from finews_crawler.parsing.stocks.markets import CONFIDENCE, SECID_PREFIX, Security
from finews_crawler.parsing.stocks.notations import code_mentions

NAME_CONFIDENCE = 0.85
SHORT_NAME_CONFIDENCE = 0.7
MIN_WORD_EVIDENCE = 3  # texts holding a name before its agreement says anything
MIN_AGREEMENT = 0.2  # share of those texts whose source lists the security
# Indexes and futures are named in most market reports: by name only when the sources list
# them on most texts that name them.
MIN_GROUP_AGREEMENT = 0.5
_NAMED_KINDS = ("stock", "fund", "bond", "index", "future")
_GROUP_KINDS = ("index", "future")
_MARKET_RANK = {"SH": 0, "SZ": 0, "BJ": 0, "US": 1, "HK": 2}
_HK_WORDS = re.compile(r"(?:港股|H股|恒生|恒指|港元|港交所)")
_US_WORDS = re.compile(r"(?:美股|中概|纳斯达克|纳指|道指|标普|美元)")
_PLACE_AFTER = re.compile(
    r"^(?:省|市(?![场值盈净占况])|县|区(?![块间域])|交易所|政府|大学|学院|医院|协会|海关|法院|监管局)"
)
_BROKER_ENDINGS = ("证券", "证券股份", "期货", "基金")
_VOICE_AFTER = re.compile(
    r"^[，,]?(?:认为|指出|表示|称|预计|预测|研报|分析|研究|首席|发布研报|点评)"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_SHARE_CLASS = re.compile(r"-(?:W|SW|U|UW|B|S|WD)$")
_TEMPORARY_PREFIX = re.compile(r"^(?:XD|XR|DR)(?=[\u4e00-\u9fff])")
_FIRST_DAY = re.compile(r"^[NC]([\u4e00-\u9fff].*)$")
_LATIN = re.compile(r"[A-Za-z0-9]")
_TICKER_IN_BRACKETS = re.compile(r"[（(]([A-Z][A-Z0-9]{0,5})[)）]")
_CODE_AFTER = re.compile(r"^\s?[（(]\s?([0-9]{4,6}|[A-Z]{1,5})(?:\.[A-Z]{1,2})?\s?[)）]")
_BOARD_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,8}(?:板块|概念)")
_TAIL_KINDS = ("fund", "index")
_EVENT_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,10}?(?:峰会|大会|论坛|博览会|开发者会)")


@dataclass(frozen=True)
class Known:
    """One security of the master, as the tagger needs it."""

    security: Security  # without a name
    names: tuple[str, ...]
    listed: int = 0  # articles whose source listed it
    agreement: float | None = None  # share of texts holding its name that list it

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Known:
        market, code = record.get("market"), record["code"]
        secid = record.get("secid") or f"{SECID_PREFIX.get(market or '', market)}.{code}"
        security = Security(code, market, secid, kind=record.get("kind") or "stock")
        named = int(record.get("named_texts") or 0)
        agreement = int(record.get("listed_texts") or 0) / named if named else None
        return cls(
            security,
            tuple(n for n in record.get("names") or () if n),
            int(record.get("listed") or 0),
            agreement if named >= MIN_WORD_EVIDENCE else None,
        )


class Tagger:
    """Tags text with securities; build once (per crawl), call `tag` per document."""

    def __init__(self, known: Iterable[Known] = ()) -> None:
        self.by_key: dict[str, Known] = {}
        self.by_code: dict[str, list[Known]] = {}
        by_name: dict[str, list[Known]] = {}
        for entry in known:
            self.by_key[entry.security.key] = entry
            self.by_code.setdefault(entry.security.code, []).append(entry)
            if entry.security.kind not in _NAMED_KINDS:
                continue
            for name in {alias for listed in entry.names for alias in aliases(listed)}:
                if _usable_name(name, entry.security.kind):
                    by_name.setdefault(name, []).append(entry)
        self.automaton: Any = None
        if by_name:
            self.automaton = ahocorasick.Automaton()
            for name, entries in by_name.items():
                self.automaton.add_word(name, (name, tuple(entries)))
            self.automaton.make_automaton()

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> Tagger:
        return cls(Known.from_record(record) for record in records)

    def __len__(self) -> int:
        return len(self.by_key)

    # ---- tagging -------------------------------------------------------------------------

    def tag(self, text: str, listed: Iterable[Security] = ()) -> list[Security]:
        """Every security in `text` (title and body joined by a newline), in order of first
        appearance; `listed` (a source's own list, quote blocks, links) come first and are
        kept as they are, the text's findings only add to them."""
        found: dict[str, Security] = {}
        for security in listed:
            found.setdefault(security.secid, security)
        coded = self._codes(text)
        for security in coded:
            found.setdefault(security.secid, security)
        codes_in_text = {security.code for security in found.values()}
        for security in self._names(text, codes_in_text):
            if security.secid not in found and not self._same_company_listed(security, found):
                found[security.secid] = security
        return list(found.values())

    def _codes(self, text: str) -> list[Security]:
        out: list[Security] = []
        for mention in code_mentions(text):
            security = mention.security
            known = self.by_key.get(security.key)
            name = security.name
            if known is not None and known.names:
                written = name or ""
                name = next((n for n in _longest_first(known.names) if written.endswith(n)), None)
                name = name or known.names[0]
            out.append(_tagged(security, name, "code", CONFIDENCE["code"]))
        for match in _TICKER_IN_BRACKETS.finditer(text):
            for known in self.by_code.get(match.group(1), ()):
                if known.security.market == "US":
                    name = known.names[0] if known.names else None
                    out.append(_tagged(known.security, name, "code", CONFIDENCE["code"]))
        return out

    def names_in(self, text: str) -> dict[str, str]:
        """Key -> name of every security whose name stands in `text` (longest match first),
        before the word rule: the evidence the master learns that rule from."""
        out: dict[str, str] = {}
        for start, end, name, entries in self._spans(text):
            if _stands_alone(text, start, end, name):
                for entry in entries:
                    out.setdefault(entry.security.key, name)
        return out

    def _spans(self, text: str) -> list[tuple[int, int, str, tuple[Known, ...]]]:
        """Non-overlapping name matches, longest first, in text order."""
        if self.automaton is None or not text:
            return []
        spans = []
        for end, (name, entries) in self.automaton.iter(text):
            spans.append((end - len(name) + 1, end + 1, name, entries))
        spans.sort(key=lambda span: (span[0] - span[1], span[0]))  # longest first
        taken = bytearray(len(text))
        chosen = []
        for start, end, name, entries in spans:
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            chosen.append((start, end, name, entries))
        chosen.sort(key=lambda span: span[0])
        return chosen

    def _names(self, text: str, codes_in_text: set[str]) -> list[Security]:
        out: list[Security] = []
        for start, end, name, entries in self._spans(text):
            if not _stands_alone(text, start, end, name):
                continue
            hint = _market_hint(text, end) if len(entries) > 1 else None
            entry = _pick(entries, codes_in_text, hint)
            if not _fits_context(text, start, end, entry):
                continue
            coded = entry.security.code in codes_in_text
            if not coded and not _enough_evidence(entry):
                continue  # a word (or an index named in passing) more often than a security
            confidence = SHORT_NAME_CONFIDENCE if len(name) <= 2 else NAME_CONFIDENCE
            if len(entries) > 1 and not coded:
                confidence -= 0.1
            out.append(_tagged(entry.security, name, "name", round(confidence, 2)))
        return out

    def _same_company_listed(self, security: Security, found: Mapping[str, Security]) -> bool:
        """The name's other listing (A share / H share) is listed already: not a new tag."""
        return any(
            other.name == security.name and other.secid != security.secid
            for other in found.values()
        )


def aliases(name: str) -> list[str]:
    """The ways a listed name is written in running text: itself; full-width letters and
    padding spaces normalised (万  科Ａ -> 万科A); without the risk-warning star (*ST天箭 ->
    ST天箭); without Hong Kong / STAR share-class suffixes (小米集团-W -> 小米集团); without the
    temporary ex-dividend (XD, XR, DR) or first-day (N, 3+ characters left) prefixes."""
    clean = unicodedata.normalize("NFKC", name).strip()
    if _CJK.search(clean):
        clean = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", clean)
    out = [name, clean]
    out.append(clean.removeprefix("*"))
    out.append(_SHARE_CLASS.sub("", clean))
    stem = _TEMPORARY_PREFIX.sub("", clean)
    if stem != clean and len(stem) >= 2:
        out.append(stem)
    first_day = _FIRST_DAY.match(clean)
    if first_day and len(first_day.group(1)) >= 3:
        out.append(first_day.group(1))
    return list(dict.fromkeys(alias for alias in out if alias))


def _enough_evidence(entry: Known) -> bool:
    if entry.security.kind in _GROUP_KINDS:
        return entry.agreement is not None and entry.agreement >= MIN_GROUP_AGREEMENT
    return entry.agreement is None or entry.agreement >= MIN_AGREEMENT


def _usable_name(name: str, kind: str) -> bool:
    if _CJK.search(name):
        return len(name) >= 2
    return len(name) >= 3 and not name.isdigit()


def _longest_first(names: Iterable[str]) -> list[str]:
    return sorted(names, key=len, reverse=True)


def _stands_alone(text: str, start: int, end: int, name: str) -> bool:
    """Not glued inside a longer word, not the first word of a place or organisation."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if not _CJK.search(name):  # Latin: word boundaries
        return not (_LATIN.match(before or " ") or _LATIN.match(after or " "))
    if _PLACE_AFTER.match(text[end : end + 3]):
        return False
    glued = _LATIN_WORD.match(text, end)
    if glued and not glued.group(0).isupper():
        return False  # a product: 美团LongCat, 小米SU7 (英伟达CEO, 英伟达GTC stay)
    if name.endswith(_BROKER_ENDINGS) and _VOICE_AFTER.match(text[end : end + 4]):
        return False  # a broker's analysts speaking about others, not the broker as news
    return not (len(name) <= 2 and _CJK.match(before or " ") and _CJK.match(after or " "))


def _fits_context(text: str, start: int, end: int, entry: Known) -> bool:
    """The words around the name leave it this security (the rules on codes after a name,
    longer fund names and boards in the module's docstring)."""
    code_after = _CODE_AFTER.match(text[end : end + 16])
    if code_after and not _same_code(code_after.group(1), entry.security.code):
        return False  # the bracketed code names what precedes it
    if _EVENT_AFTER.match(text[end : end + 16]):
        return False  # the event's title, not the security
    if entry.security.kind in _TAIL_KINDS:
        if start > 0 and _CJK.match(text[start - 1]):
            return False  # the tail of a longer fund or index name
        if _BOARD_AFTER.match(text[end : end + 10]):
            return False  # a board or concept named after the index
    return True


def _same_code(written: str, code: str) -> bool:
    return written == code or (written.isdigit() and written.zfill(5) == code.zfill(5))


def _market_hint(text: str, end: int) -> str | None:
    """The market the words right after a name point at ("中芯国际港股跌超10%")."""
    after = text[end : end + 4]
    if _HK_WORDS.match(after):
        return "HK"
    if _US_WORDS.match(after):
        return "US"
    return None


def _pick(entries: tuple[Known, ...], codes_in_text: set[str], hint: str | None) -> Known:
    """The code in the text; else the listing the words point at; else the A share, then
    the US listing, then Hong Kong; the one the sources list most on a tie."""
    for entry in entries:
        if entry.security.code in codes_in_text:
            return entry
    for entry in entries:
        if hint and entry.security.market == hint:
            return entry
    return min(entries, key=lambda e: (_MARKET_RANK.get(e.security.market or "", 3), -e.listed))


def _tagged(security: Security, name: str | None, via: str, confidence: float) -> Security:
    s = security
    return Security(s.code, s.market, s.secid, name, s.kind, via, confidence)
