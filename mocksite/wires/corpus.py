"""Synthetic wire items for the mock site, each with the record a crawler should store.

Three wires, each a timeline of items that is a pure function of (seed, wire, index, revision):
East Money 7x24 (``emfast``), 财联社 telegraph (``cls``) and 同花顺 7x24 (``ths``). Items carry
the real field names and shapes (shared/reference/wires.md), the quirks crawlers must handle
(cls items sharing one second, empty cls titles with or without a ``【headline】`` opening the
content, a trailing outlet such as ``(新华社)``, cls adverts, edits after publication, stock
lists in each wire's own notation, unknown East Money market prefixes) and text built from the
mock's own vocabulary only.

The truth of an item (:meth:`WireItem.truth`) follows these rules, written once here:
- ``id``: East Money ``code`` (18 digits); ``cls:<id>``; ``ths:<seq>``. ``source_id``: the
  wire's own id (cls ``id``, 10jqka ``seq``, East Money ``code``), as a string.
- ``title``: the wire's title; if empty, the ``【headline】`` opening the content; else derived
  (``title_derived`` true): the body without its ``财联社M月D日电，`` dateline, up to the first
  ``。``/``！``/``？`` (not included), at most 60 characters.
- ``body_text``: cls ``content`` / 10jqka ``digest`` / East Money ``summary``, without a leading
  ``【…】`` headline. ``summary``: cls ``brief``, 10jqka ``short``, None for East Money (one text).
- ``media``: the outlet a trailing ``(outlet)`` or ``（outlet）`` names, else the wire's own
  (财联社, 同花顺, 东方财富).
- ``importance`` on one scale, 0 ordinary, 1 important, 2 top: cls ``level`` C/B/A -> 0/1/2;
  10jqka ``import`` 0/1/3 -> 0/1/2; East Money ``titleColor`` 3 -> 1, else 0.
  ``importance_raw`` keeps the wire's value as a string.
- ``stocks``: securities from the item's own list, in list order, each ``{code, market, name,
  notation}``; ``notation`` is the entry as the wire writes it (cls ``sh601633``,
  ``920082.BJ``; East Money ``116.00700``; 10jqka ``stockMarket:stockCode``, ``17:601669``;
  10jqka ETFs 20/36 are SH/SZ). Markets: SH SZ BJ HK US NEEQ; None where the
  wire's market code is undocumented (East Money 150., 153., 999., 1007., ...: kept as given,
  never guessed). Codes: 6-digit mainland, 5-digit Hong Kong (10jqka ``HK2476`` -> ``02476``),
  tickers for US. East Money lists carry no names: ``name`` None there.
- ``boards`` (East Money 90., 10jqka ``field``) and ``futures`` (10jqka 65/66/67/129) are kept
  apart from securities, each ``{code, name, notation}``.
- ``tags``: cls subject names, 10jqka ``tags`` names; empty for East Money.
- ``url``: cls ``shareurl`` without its query, 10jqka ``url``, None for East Money.
- ``revision`` (0 = as first published) and ``modified_at`` (cls ``modified_time``, else None).
Adverts (cls ``is_ad``) have no truth: a crawler drops them.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .. import vocabulary as V
from ..corpus import CST, _fill, _numbers, derive_seed

WIRES = ("emfast", "cls", "ths")
BASE_TIME = datetime(2024, 3, 4, 8, 0, 0, tzinfo=CST)  # synthetic, never a real day
MAX_WIRE_ITEMS = 50_000
HOME_MEDIA = {"emfast": "东方财富", "cls": "财联社", "ths": "同花顺"}
OUTLETS = ("新华社", "央视新闻", "人民财讯", "证券时报", "上证报", "第一财经", "中国证券报")
_HEADLINE_RE = re.compile(r"^【([^】]*)】")
_DATELINE_RE = re.compile(r"^财联社\d{1,2}月\d{1,2}日电，")
_OUTLET_RE = re.compile(r"\s*[（(]([^()（）]{2,12})[)）]\s*$")
_SENTENCE_END_RE = re.compile(r"[。！？]")

# -- the wires' own notations -------------------------------------------------------------
# 10jqka stockMarket codes (reference): 17 SH, 33 SZ, 151 BJ, 177 HK, 169/185/186/170 US,
# 145 NEEQ, 20/36 exchange-traded funds (SH/SZ), 65/66/67/129 futures, 48 boards (`field`).
_THS_MARKET = {"SH": "17", "SZ": "33", "BJ": "151", "HK": "177", "NEEQ": "145"}
_THS_US = ("185", "169", "186", "170")
_THS_ETF = (("红利低波ETF", "510990", "SH", "20"), ("科创芯片ETF", "159995", "SZ", "36"))
_THS_FUTURES = (
    ("原油主连", "sc9999", "65"),
    ("沪铜主连", "cu9999", "65"),
    ("聚丙烯主连", "pp9999", "66"),
    ("PTA主连", "TA9999", "67"),
    ("沪深300股指期货", "IF9999", "129"),
)
_NEEQ = tuple(
    V.Security(stem + "新材", f"{874100 + k * 37:06d}", "NEEQ", 0)
    for k, stem in enumerate(V._STEMS[:8])
)
# East Money market prefixes seen in real stock lists that no documentation explains.
_EM_UNKNOWN = (
    ("150", lambda r: f"{159000 + r.randrange(999):06d}"),
    ("153", lambda r: "".join(r.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(5))),
    ("999", lambda r: f"{r.randrange(1, 999_999):06d}"),
    ("1007", lambda r: f"BK{r.randrange(100, 999):06d}"),
    ("177", lambda r: f"{r.randrange(1, 999_999):06d}"),
    ("201", lambda r: f"{r.randrange(100, 9999)}"),
    ("176", lambda r: f"{r.randrange(100, 9999)}"),
)
_BEIJING_920 = tuple(s for s in V.A_SHARES if s.market == "BJ" and s.code.startswith("92"))
_MAINLAND = tuple(s for s in V.A_SHARES if s.market in ("SH", "SZ")) + _BEIJING_920
_THS_TAGS = (("A股", "91003"), ("港股", "91005"), ("美股", "91007"), ("公告", "91011"))


def _ths_board_code(board: V.Security) -> str:
    return f"88{6000 + V.BOARDS.index(board) * 7:04d}"


def cls_stock_id(sec: V.Security) -> str:
    """cls StockID: ``sh601633``, ``sz000962``, ``920082.BJ``."""
    return f"{sec.code}.BJ" if sec.market == "BJ" else f"{sec.market.lower()}{sec.code}"


# -- items ---------------------------------------------------------------------------------
@dataclass
class WireItem:
    """One item as a wire serves it (``raw``) plus, for synthetic items, its truth."""

    wire: str
    key: str  # identity on the wire: East Money code, cls id, 10jqka seq
    order: tuple[int, ...]  # ascending = older first; also the paging key
    raw: dict[str, Any]
    index: int = -1  # position in a synthetic timeline (-1 for replayed items)
    revision: int = 0
    meta: dict[str, Any] = field(default_factory=dict)  # truth parts not visible in raw

    @property
    def is_ad(self) -> bool:
        return bool(self.raw.get("is_ad"))

    def truth(self) -> dict[str, Any] | None:
        """The record a crawler should store (see module doc); None for adverts/replays."""
        if self.is_ad or not self.meta:
            return None
        return {**self.meta, "revision": self.revision}


def split_headline(text: str) -> tuple[str | None, str]:
    """(headline, rest) when ``text`` opens with ``【headline】``, else (None, text)."""
    match = _HEADLINE_RE.match(text)
    if match is None:
        return None, text
    return match.group(1), text[match.end() :]


def derived_title(body: str) -> str:
    """The module-doc rule for a title the wire did not give."""
    text = _DATELINE_RE.sub("", body, count=1)
    return _SENTENCE_END_RE.split(text, maxsplit=1)[0][:60]


def trailing_outlet(text: str) -> str | None:
    match = _OUTLET_RE.search(text)
    return match.group(1) if match else None


# -- text ------------------------------------------------------------------------------------
def _headline(rng: random.Random, stock: V.Security | None) -> str:
    slots = _numbers(rng)
    slots["co"] = stock.name if stock else rng.choice(V.A_SHARES).name
    return _fill(rng.choice(V.TITLE_TEMPLATES), slots)


def _text(rng: random.Random, named: list[V.Security]) -> str:
    """One to four sentences; every named security appears by name."""
    parts = [_fill(rng.choice(V.CO_SENTENCES), {**_numbers(rng), "co": s.name}) for s in named]
    for _ in range(rng.choice((0, 1, 1, 2)) if named else rng.choice((1, 1, 2, 3))):
        parts.append(_fill(rng.choice(V.PLAIN_SENTENCES), _numbers(rng)))
    return "".join(parts)


def _outlet(rng: random.Random) -> tuple[str | None, str]:
    """(outlet, suffix): about one item in seven names another outlet at its end."""
    if rng.random() >= 0.15:
        return None, ""
    name = rng.choice(OUTLETS)
    return name, (f" ({name})" if rng.random() < 0.5 else f"（{name}）")


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, CST).isoformat()


def _pct(rng: random.Random) -> float:
    return round(rng.uniform(-9.9, 9.9), 2)


# -- one synthetic timeline -------------------------------------------------------------------
class SyntheticWire:
    """Item ``i`` (0 = oldest) of wire ``name`` for ``seed``; times grow with ``i``."""

    def __init__(self, name: str, seed: int) -> None:
        if name not in WIRES:
            raise ValueError(f"unknown wire {name!r} (known: {', '.join(WIRES)})")
        self.name, self.seed = name, int(seed)
        self._times: list[int] = []

    def ctime(self, i: int) -> int:
        """Unix seconds of item i; cls items share a second now and then (gap 0)."""
        start = int(BASE_TIME.timestamp())
        while len(self._times) <= i:
            k = len(self._times)
            rng = random.Random(derive_seed(self.seed, self.name, k, "gap"))
            gap = 0 if self.name == "cls" and k and rng.random() < 0.15 else rng.randint(20, 400)
            self._times.append((self._times[-1] if k else start) + (gap if k else 0))
        return self._times[i]

    def item(self, i: int, revision: int = 0) -> WireItem:
        if not 0 <= i < MAX_WIRE_ITEMS:
            raise IndexError(f"wire item index {i} out of range 0..{MAX_WIRE_ITEMS - 1}")
        build = {"emfast": self._emfast, "cls": self._cls, "ths": self._ths}[self.name]
        return build(i, revision)

    def _rngs(self, i: int, revision: int) -> tuple[random.Random, random.Random]:
        """(meta, text): meta fixes what an edit keeps, text changes with the revision."""
        meta = random.Random(derive_seed(self.seed, self.name, i, "meta"))
        text = random.Random(derive_seed(self.seed, self.name, i, revision, "text"))
        return meta, text

    # East Money 7x24 ------------------------------------------------------------------------
    def _emfast(self, i: int, revision: int) -> WireItem:
        meta, rng = self._rngs(i, revision)
        ts = self.ctime(i)
        shown = datetime.fromtimestamp(ts, CST)
        day = (shown - timedelta(days=1) if meta.random() < 0.05 else shown).strftime("%Y%m%d")
        code = f"{day}{3_700_000_000 + i:010d}"
        stocks: list[dict[str, Any]] = []
        boards: list[dict[str, Any]] = []
        secids: list[str] = []
        named: list[V.Security] = []
        for _ in range(meta.choice((0, 0, 1, 1, 2, 2, 3))):
            r = meta.random()
            if r < 0.35:
                board = meta.choice(V.BOARDS)
                entry = {"code": board.code, "name": None, "notation": board.secid}
                if board.secid not in secids:
                    secids.append(board.secid)
                    boards.append(entry)
                continue
            if r < 0.55:
                prefix, make = meta.choice(_EM_UNKNOWN)
                code_given = make(meta)
                secid = f"{prefix}.{code_given}"
                entry = {"code": code_given, "market": None, "name": None, "notation": secid}
            else:
                pool = _MAINLAND if r < 0.85 else (V.HK_STOCKS if r < 0.93 else V.US_STOCKS)
                sec = meta.choice(pool)
                named.append(sec)
                secid = sec.secid
                entry = {"code": sec.code, "market": sec.market, "name": None, "notation": secid}
            if secid not in secids:
                secids.append(secid)
                stocks.append(entry)
        title = _headline(rng, named[0] if named else None)
        outlet, suffix = _outlet(meta)
        body = _text(rng, named) + suffix
        summary = f"【{title}】{body}" if meta.random() < 0.8 else body
        color = 3 if meta.random() < 0.1 else 0
        real_sort = f"{ts}{i:06d}"  # 10-digit seconds + 6 digits, as the real ones look
        raw = {
            "code": code,
            "image": [],
            "pinglun_Num": meta.randint(0, 300),
            "realSort": real_sort,
            "share": meta.randint(0, 200),
            "showTime": shown.strftime("%Y-%m-%d %H:%M:%S"),
            "stockList": secids,
            "summary": summary,
            "title": title,
            "titleColor": color,
        }
        truth = {
            "wire": "emfast",
            "id": code,
            "source_id": code,
            "url": None,
            "title": title,
            "title_derived": False,
            "published_at": _iso(ts),
            "body_text": body,
            "summary": None,
            "media": outlet or HOME_MEDIA["emfast"],
            "importance": 1 if color == 3 else 0,
            "importance_raw": str(color),
            "tags": [],
            "stocks": stocks,
            "boards": boards,
            "futures": [],
            "modified_at": None,
        }
        return WireItem("emfast", code, (int(real_sort),), raw, i, revision, truth)

    # 财联社 telegraph -------------------------------------------------------------------------
    def _cls(self, i: int, revision: int) -> WireItem:
        meta, rng = self._rngs(i, revision)
        ts = self.ctime(i)
        item_id = 1_500_000 + i
        when = datetime.fromtimestamp(ts, CST)
        dateline = f"财联社{when.month}月{when.day}日电，"
        is_ad = i % 40 == 17  # one advert in every 40 items
        named = [meta.choice(_MAINLAND) for _ in range(meta.choice((0, 0, 0, 0, 1, 1, 2, 3)))]
        named = list(dict.fromkeys(named))
        title_mode = meta.random()  # < .5 titled, < .7 headline only, else neither
        outlet, suffix = _outlet(meta)
        headline = _headline(rng, named[0] if named else None)
        body_tail = _text(rng, named) + suffix
        if is_ad:
            title, body_tail, outlet, suffix = "", "限时活动：点击了解更多会员权益。", None, ""
        if not is_ad and title_mode < 0.7:
            title = headline if title_mode < 0.5 else ""
            content = f"【{headline}】{dateline}{body_tail}"
        else:
            title = ""
            content = f"{dateline}{body_tail}"
        brief = content if len(content) <= 100 else content[:100]
        level = "A" if meta.random() < 0.03 else ("B" if meta.random() < 0.15 else "C")
        first_edit = meta.choice((0, 0, 0, 12, 95, 300))
        modified = ts + first_edit + 600 * revision
        subjects = []
        for k in sorted(meta.sample(range(len(V.TOPICS)), meta.choice((0, 1, 1, 2)))):
            subjects.append(_cls_subject(item_id, 3000 + k, V.TOPICS[k], meta))
        stock_list = [_cls_stock(s, meta) for s in named]
        images = []
        if meta.random() < 0.08:
            images = [f"https://image.cls.cn/images/{when:%Y%m%d}/{meta.getrandbits(40):010x}.png"]
        raw = _cls_template()
        raw.update(
            author=outlet or "",
            bold=1 if level != "C" and meta.random() < 0.3 else 0,
            brief=brief,
            content=content,
            ctime=ts,
            has_img=1 if images else 0,
            id=item_id,
            images=images,
            img=images[0] if images else "",
            is_ad=1 if is_ad else 0,
            level=level,
            modified_time=modified,
            reading_num=meta.randint(1000, 3_000_000),
            share_num=meta.randint(0, 500),
            shareurl=f"https://api3.cls.cn/share/article/{item_id}?os=web&sv=8.4.6&app=CailianpressWeb",
            sort_score=ts,
            stock_list=stock_list,
            subjects=subjects,
            title=title,
            user_id=meta.randint(100, 999),
        )
        given, body = split_headline(content)
        final_title = title or given or derived_title(body)
        truth = {
            "wire": "cls",
            "id": f"cls:{item_id}",
            "source_id": str(item_id),
            "url": f"https://api3.cls.cn/share/article/{item_id}",
            "title": final_title,
            "title_derived": not (title or given),
            "published_at": _iso(ts),
            "body_text": body,
            "summary": brief,
            "media": outlet or HOME_MEDIA["cls"],
            "importance": {"C": 0, "B": 1, "A": 2}[level],
            "importance_raw": level,
            "tags": [s["subject_name"] for s in subjects],
            "stocks": [
                {"code": s.code, "market": s.market, "name": s.name, "notation": cls_stock_id(s)}
                for s in named
            ],
            "boards": [],
            "futures": [],
            "modified_at": _iso(modified),
        }
        order = (ts, item_id)
        return WireItem("cls", str(item_id), order, raw, i, revision, {} if is_ad else truth)

    # 同花顺 7x24 ------------------------------------------------------------------------------
    def _ths(self, i: int, revision: int) -> WireItem:
        meta, rng = self._rngs(i, revision)
        ts = self.ctime(i)
        when = datetime.fromtimestamp(ts, CST)
        seq = str(500_000_000 + i * 29 + meta.randrange(29))
        stocks, futures, entries, named = [], [], [], []
        for _ in range(meta.choice((0, 0, 0, 1, 1, 2, 3))):
            r = meta.random()
            if r < 0.08:
                name, code, market = meta.choice(_THS_FUTURES)
                futures.append({"code": code, "name": name, "notation": f"{market}:{code}"})
                entries.append({"name": name, "stockCode": code, "stockMarket": market})
                continue
            if r < 0.13:
                name, code, mkt, number = meta.choice(_THS_ETF)
                sec = V.Security(name, code, mkt, 0)
            else:
                pool = (
                    _MAINLAND
                    if r < 0.7
                    else (V.HK_STOCKS if r < 0.82 else (V.US_STOCKS if r < 0.94 else _NEEQ))
                )
                sec = meta.choice(pool)
                number = _THS_MARKET.get(sec.market) or _THS_US[len(sec.code) % len(_THS_US)]
            given = f"HK{sec.code[-4:]}" if sec.market == "HK" else sec.code
            code = f"0{given[2:]}" if sec.market == "HK" else sec.code
            if any(e["stockCode"] == given for e in entries):
                continue
            named.append(sec)
            entries.append({"name": sec.name, "stockCode": given, "stockMarket": number})
            stocks.append(
                {
                    "code": code,
                    "market": sec.market,
                    "name": sec.name,
                    "notation": f"{number}:{given}",
                }
            )
        boards_src = list(
            dict.fromkeys(meta.choice(V.BOARDS) for _ in range(meta.choice((0, 0, 1))))
        )
        field_list = [
            {"name": b.name, "stockCode": _ths_board_code(b), "stockMarket": "48"}
            for b in boards_src
        ]
        title = _headline(rng, named[0] if named else None)
        outlet, suffix = _outlet(meta)
        digest = _text(rng, named) + suffix
        imp = meta.choices(("0", "1", "3"), weights=(70, 8, 22))[0]
        tag_pairs = [t for t in _THS_TAGS if meta.random() < 0.4] or [_THS_TAGS[0]]
        tags = [{"id": tid, "name": name} for name, tid in tag_pairs]
        rtime = ts + 60 * revision
        raw = {
            "appUrl": f"https://news.10jqka.com.cn/m{seq}/",
            "color": "2" if imp == "3" else "1",
            "ctime": str(ts),
            "digest": digest,
            "field": field_list,
            "id": str(4_000_000 + i),
            "import": imp,
            "nature": "0",
            "picUrl": "",
            "rtime": str(rtime),
            "seq": seq,
            "shareUrl": f"https://news.10jqka.com.cn/tapp/news/share/{seq}/",
            "short": digest,
            "source": "",
            "stock": entries,
            "tag": ",".join(t["name"] for t in tags),
            "tagInfo": [
                {"id": str(50_000_000 + k), "name": e["name"], "score": "0.800", "type": "1"}
                for k, e in enumerate(entries)
            ],
            "tags": tags,
            "title": title,
            "url": f"https://news.10jqka.com.cn/{when:%Y%m%d}/c{seq}.shtml",
        }
        truth = {
            "wire": "ths",
            "id": f"ths:{seq}",
            "source_id": seq,
            "url": raw["url"],
            "title": title,
            "title_derived": False,
            "published_at": _iso(ts),
            "body_text": digest,
            "summary": digest,
            "media": outlet or HOME_MEDIA["ths"],
            "importance": {"0": 0, "1": 1, "3": 2}[imp],
            "importance_raw": imp,
            "tags": [t["name"] for t in tags],
            "stocks": stocks,
            "boards": [
                {"code": f["stockCode"], "name": f["name"], "notation": f"48:{f['stockCode']}"}
                for f in field_list
            ],
            "futures": futures,
            "modified_at": None,
        }
        return WireItem("ths", seq, (ts, int(seq)), raw, i, revision, truth)


def _cls_stock(sec: V.Security, rng: random.Random) -> dict[str, Any]:
    stock_id = cls_stock_id(sec)
    rise = _pct(rng)
    return {
        "RiseRange": rise,
        "StockID": stock_id,
        "is_stib": sec.code.startswith("688"),
        "last": round(rng.uniform(2, 300), 2),
        "name": sec.name,
        "rise_range_has_null": round(rise / 100, 4),
        "schema": f"cailianshe://stock_detail?stock_id={stock_id}",
        "status": "L",
    }


def _cls_subject(item_id: int, subject_id: int, name: str, rng: random.Random) -> dict[str, Any]:
    return {
        "article_id": item_id,
        "attention_num": rng.randint(100, 90_000),
        "category_id": 0,
        "channel": "cls",
        "is_attention": False,
        "is_reporter_subject": False,
        "plate_id": 0,
        "subject_description": "",
        "subject_id": subject_id,
        "subject_img": "",
        "subject_name": name,
    }


def _cls_template() -> dict[str, Any]:
    """A cls roll item's 53 keys with their idle values (the real items' shape)."""
    return {
        "ad": {
            "adTag": "",
            "fullScreen": 0,
            "id": 0,
            "img": "",
            "monitorUrl": "",
            "title": "",
            "type": 0,
            "url": "",
            "video_url": "",
        },
        "assocArticleUrl": "",
        "assocCreditRating": [],
        "assocFastFact": {
            "article_id": 0,
            "article_title": "",
            "fast_fact_content": "",
            "fid": 0,
            "imgs": "",
            "slogan": "",
        },
        "assocVideoTitle": "",
        "assocVideoUrl": "",
        "audio_url": [],
        "author": "",
        "author_extends": "",
        "bold": 0,
        "brief": "",
        "category": "",
        "collection": 0,
        "comment_num": 0,
        "comment_recommand": None,
        "confirmed": 1,
        "content": "",
        "ctime": 0,
        "deny_comment": 0,
        "depth_extends": "null",
        "disclaimer": "",
        "explain_num": -1,
        "gray_share": 0,
        "has_img": 0,
        "id": 0,
        "images": [],
        "img": "",
        "imgs": [],
        "in_roll": 1,
        "invest_calendar": {
            "calendar_time": "",
            "data_id": 0,
            "economic": None,
            "event": None,
            "id": 0,
            "r_id": "",
            "setting_time": "",
            "short_latents": None,
            "type": 0,
        },
        "is_ad": 0,
        "is_fad": 0,
        "is_top": 0,
        "jpush": 0,
        "level": "C",
        "modified_time": 0,
        "plate_list": [],
        "reading_num": 0,
        "recommend": 0,
        "share_content": "",
        "share_img": "https://img.cls.cn/share/roll.png",
        "share_num": 0,
        "shareurl": "",
        "sort_score": 0,
        "status": 1,
        "stock_list": [],
        "sub_titles": [],
        "subjects": [],
        "tags": [],
        "timeline": None,
        "title": "",
        "type": -1,
        "user_id": 0,
    }
