"""Deterministic article corpus for the mock site.

Every article is a pure function of (seed, index, revision): nothing is stored, so 100,000
articles cost no memory until requested, and two processes with the same seed serve identical
bytes. Randomness comes from ``random.Random(int)`` seeded through blake2b, never from Python's
salted ``hash()``. The generator emits the body HTML and the ground truth in one pass, so the
truth is exactly what the HTML says, by construction.
"""

from __future__ import annotations

import functools
import hashlib
import html
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from . import vocabulary as V

CST = timezone(timedelta(hours=8), "Asia/Shanghai")
BASE_TIME = datetime(2022, 1, 3, 9, 0, 0, tzinfo=CST)
STEP_SECONDS = 420  # about 7 minutes between articles
JITTER_SECONDS = 180  # per-article jitter: gaps stay within 1..13 minutes, strictly increasing
ID_OFFSET = 2300000000
MAX_ARTICLES = 100_000
CACHE_SIZE = 4096

_QUOTE_URL = "http://quote.eastmoney.com/unify/r/"
_SLOT_RE = re.compile(r"\{(\w+)\}")
_SPECIAL_RE = re.compile(r"(\{co\}|\{bk\}|\{info\})")


def derive_seed(*parts: int | str) -> int:
    """A stable 64-bit seed from parts (identical in every process, unlike ``hash()``)."""
    data = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


@dataclass(frozen=True, slots=True)
class Headline:
    """Just enough of an article for link lists ("相关阅读"), without generating its body."""

    index: int
    id: str
    title: str
    published: datetime


@dataclass(frozen=True, slots=True, eq=False)
class MockArticle:
    """One generated article: page fields, both body HTML variants and the ground truth."""

    index: int
    id: str
    info_code: str
    published: datetime
    revision: int
    title: str
    media: str
    summary: str
    editor: str
    content_html: str  # body with inline stock/board/keyword links
    text_html: str  # same body with inline links unwrapped (quote block kept)
    api_has_content: bool  # GetNewsText carries "content"
    api_has_text: bool  # GetNewsText carries "text"
    share_rendered: bool  # share page is server-rendered (else a JS shell)
    body_lines: tuple[str, ...]
    stocks: tuple[dict[str, Any], ...]
    boards: tuple[dict[str, Any], ...]
    images: tuple[str, ...]

    @property
    def digest(self) -> str:
        return f"【{self.title}】{self.summary}"

    @property
    def showtime(self) -> str:
        return self.published.strftime("%Y-%m-%d %H:%M:%S")

    @property
    def published_at(self) -> str:
        return self.published.isoformat()

    @property
    def body_text(self) -> str:
        return "\n".join(self.body_lines)

    def truth(self) -> dict[str, Any]:
        """What a perfect extractor outputs for this article (fresh, mutable copies)."""
        return {
            "id": self.id,
            "info_code": self.info_code,
            "title": self.title,
            "published_at": self.published_at,
            "media": self.media,
            "summary": self.summary,
            "body_text": self.body_text,
            "stocks": [dict(s) for s in self.stocks],
            "boards": [dict(b) for b in self.boards],
            "images": list(self.images),
            "revision": self.revision,
        }


def _article_id(published: datetime, i: int) -> str:
    """The 18-digit number: publish date, then the index (as the real ids run on)."""
    return published.strftime("%Y%m%d") + f"{ID_OFFSET + i:010d}"


class MockCorpus:
    """``count`` deterministic articles for ``seed``; index 0 is the oldest, count-1 the newest."""

    def __init__(self, seed: int, count: int, cache_size: int = CACHE_SIZE) -> None:
        if not 0 <= count <= MAX_ARTICLES:
            raise ValueError(f"count must be within 0..{MAX_ARTICLES}, got {count}")
        self.seed = int(seed)
        self._count = int(count)
        self._revisions: dict[int, int] = {}
        self._cached = functools.lru_cache(maxsize=cache_size)(self._generate)
        # Related-article lists ask for six headlines per page served: keep them too.
        self._headline = functools.lru_cache(maxsize=cache_size)(self._make_headline)

    # -- identity -----------------------------------------------------------------------
    @property
    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def published(self, i: int) -> datetime:
        """Publication time of article i: cheap (no article generation)."""
        jitter = 0
        if i:
            jitter = random.Random(derive_seed(self.seed, i, "time")).randint(
                -JITTER_SECONDS, JITTER_SECONDS
            )
        return BASE_TIME + timedelta(seconds=i * STEP_SECONDS + jitter)

    def article_id(self, i: int) -> str:
        return _article_id(self.published(i), i)

    def index_of(self, article_id: str) -> int | None:
        """Index for an 18-digit id (or "NW" + id); None when unknown or inconsistent."""
        if article_id.startswith("NW"):
            article_id = article_id[2:]
        if len(article_id) != 18 or not article_id.isascii() or not article_id.isdigit():
            return None
        i = int(article_id[8:]) - ID_OFFSET
        if not 0 <= i < self._count:
            return None
        if self.published(i).strftime("%Y%m%d") != article_id[:8]:
            return None
        return i

    def revision(self, i: int) -> int:
        return self._revisions.get(i, 0)

    # -- access ---------------------------------------------------------------------------
    def article(self, i: int) -> MockArticle:
        if not 0 <= i < self._count:
            raise IndexError(f"article index {i} out of range 0..{self._count - 1}")
        return self._cached(i, self.revision(i))

    def headline(self, i: int) -> Headline:
        """Id, title and time of article i; cheap (title stream only) unless it was edited."""
        if not 0 <= i < self._count:
            raise IndexError(f"article index {i} out of range 0..{self._count - 1}")
        return self._headline(i, self.revision(i))

    def _make_headline(self, i: int, revision: int) -> Headline:
        if revision:
            art = self.article(i)
            return Headline(i, art.id, art.title, art.published)
        title = _title(random.Random(derive_seed(self.seed, i, 0, 0, "title")))
        published = self.published(i)
        return Headline(i, _article_id(published, i), title, published)

    def by_id(self, article_id: str) -> MockArticle | None:
        i = self.index_of(article_id)
        return None if i is None else self.article(i)

    def truth(self, i: int) -> dict[str, Any]:
        return self.article(i).truth()

    # -- mutation -------------------------------------------------------------------------
    def edit(self, i: int) -> MockArticle:
        """Bump article i's revision: title and body change, id/date/media do not."""
        if not 0 <= i < self._count:
            raise IndexError(f"article index {i} out of range 0..{self._count - 1}")
        self._revisions[i] = self.revision(i) + 1
        return self.article(i)

    def add(self, n: int) -> int:
        """Append n newer articles; returns the new count."""
        if n < 0 or self._count + n > MAX_ARTICLES:
            raise ValueError(f"cannot add {n} articles (max {MAX_ARTICLES} in total)")
        self._count += n
        return self._count

    # -- generation -----------------------------------------------------------------------
    def _generate(self, i: int, revision: int) -> MockArticle:
        art = _build(self, i, revision, salt=0)
        if revision:
            prev = self._cached(i, revision - 1)
            salt = 0
            while art.title == prev.title or art.content_html == prev.content_html:
                salt += 1
                art = _build(self, i, revision, salt=salt)
        return art


# ---------------------------------------------------------------------------------------------
# Body generation
# ---------------------------------------------------------------------------------------------


def _pick_stock(rng: random.Random) -> V.Security:
    r = rng.random()
    if r < 0.70:
        return rng.choice(V.A_SHARES)
    if r < 0.85:
        return rng.choice(V.HK_STOCKS)
    return rng.choice(V.US_STOCKS)


def _numbers(rng: random.Random) -> dict[str, str]:
    return {
        "pct": f"{rng.uniform(0.1, 9.99):.2f}",
        "amt": f"{rng.uniform(0.5, 980):.2f}",
        "n": str(rng.randint(2, 60)),
        "q": rng.choice(V.QUARTERS),
        "idx": rng.choice(V.INDEXES),
        "topic": rng.choice(V.TOPICS),
    }


def _fill(template: str, slots: dict[str, str]) -> str:
    return _SLOT_RE.sub(lambda m: slots.get(m.group(1), m.group(0)), template)


def _mention(sec: V.Security) -> str:
    return f"{sec.name}({sec.code}.HK)" if sec.market == "HK" else f"{sec.name}({sec.code})"


def _quote_block(sec: V.Security, token: str) -> str:
    c, m = sec.code, sec.market_num
    return (
        '<!-- EM_StockImg_Start --><p style="text-align:center;">'
        f'<a href="{_QUOTE_URL}{sec.secid}" data-code="{c}|{m}|1" data-code2="{c}|{m}|2|" '
        'class="EmImageRemark" target="_blank">'
        f'<img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid={sec.secid}'
        f'&imageType=k&token={token}&at=1" border="0" alt="K图 {c}_0" '
        f'data-code="K {c}|{m}|1" data-code2="K {c}|{m}|2|" '
        'style="border:#d1d1d1 1px solid;" width="578" height="276" /></a></p>'
        "<!-- EM_StockImg_End -->"
    )


def _board_link(sec: V.Security) -> str:
    return (
        f'<span id="bk_{sec.secid}"><a href="{_QUOTE_URL}{sec.secid}" class="keytip" '
        f'data-code="{sec.market_num},{sec.code}">{sec.name}</a></span>'
        f'<span id="bkquote_{sec.secid}"></span>'
    )


class _Body:
    """Accumulates both HTML variants, the visible lines and the securities, in page order."""

    def __init__(self) -> None:
        self.content: list[str] = []
        self.text: list[str] = []
        self.lines: list[str] = []
        self.first_para: str | None = None
        self.stocks: dict[str, dict[str, Any]] = {}
        self.boards: dict[str, dict[str, Any]] = {}
        self.images: list[str] = []

    def see(self, sec: V.Security, name: str | None) -> None:
        if sec.is_board:
            table = self.boards
            entry: dict[str, Any] = {"code": sec.code, "secid": sec.secid, "name": name}
        else:
            table = self.stocks
            entry = {"code": sec.code, "market": sec.market, "secid": sec.secid, "name": name}
        old = table.get(sec.secid)
        if old is None:
            table[sec.secid] = entry
        elif old["name"] is None and name is not None:
            old["name"] = name

    def raw(self, fragment: str, lines: list[str] | None = None) -> None:
        """Same fragment in both variants."""
        self.content.append(fragment)
        self.text.append(fragment)
        for line in lines or ():
            line = line.strip()
            if line:
                self.lines.append(line)

    def paragraph(self, tokens: list[tuple[str, Any]], trailing_br: bool, attrs: str = "") -> None:
        content, text, lines, cur = [], [], [], []
        for kind, val in tokens:
            if kind == "t":
                esc = html.escape(val, quote=False)
                content.append(esc)
                text.append(esc)
                cur.append(val)
            elif kind == "br":
                content.append("<br />")
                text.append("<br />")
                lines.append("".join(cur))
                cur = []
            elif kind == "mention":
                s = _mention(val)
                content.append(s)
                text.append(s)
                cur.append(s)
                self.see(val, val.name)
            elif kind == "keytip":
                content.append(
                    f'<span id="stock_{val.secid}"><a href="{_QUOTE_URL}{val.secid}" '
                    f'class="keytip" data-code="{val.market_num},{val.code}">{val.name}</a>'
                    f'</span><span id="quote_{val.secid}"></span>'
                )
                text.append(val.name)
                cur.append(val.name)
                self.see(val, val.name)
            elif kind == "common":
                content.append(
                    f'<span web="1" href="{_QUOTE_URL}{val.secid}" class="em_stock_key_common" '
                    f'data-code="{val.market_num},{val.code}">{val.name}</span>'
                )
                text.append(val.name)
                cur.append(val.name)
                self.see(val, val.name)
            elif kind == "board":
                content.append(_board_link(val))
                text.append(val.name)
                cur.append(val.name)
                self.see(val, val.name)
            elif kind == "info":
                key_id, word, href = val
                content.append(
                    f'<span id="Info.{key_id}"><a href="{href}" class="infokey">{word}</a></span>'
                )
                text.append(word)
                cur.append(word)
        lines.append("".join(cur))
        tail = "<br />" if trailing_br else ""
        self.content.append(f"<p{attrs}>{''.join(content)}{tail}</p>")
        self.text.append(f"<p{attrs}>{''.join(text)}{tail}</p>")
        for line in lines:
            line = line.strip()
            if line:
                self.lines.append(line)
                if self.first_para is None and not attrs:
                    self.first_para = line


def _sentence(template: str, rng: random.Random, special: tuple[str, Any] | None) -> list:
    """Tokens for one sentence; the special (link/mention) fills the {co}/{bk}/{info} slot."""
    filled = _fill(template, _numbers(rng))
    tokens: list[tuple[str, Any]] = []
    for part in _SPECIAL_RE.split(filled):
        if not part:
            continue
        if part in ("{co}", "{bk}", "{info}"):
            if special is not None:
                tokens.append(special)
                special = None
            elif part == "{co}":
                tokens.append(("t", _pick_stock(rng).name))
            elif part == "{bk}":
                tokens.append(("t", rng.choice(V.BOARDS).name))
            else:
                tokens.append(("t", rng.choice(V.INFO_KEYS)[1]))
        else:
            tokens.append(("t", part))
    return tokens


def _special_sentence(special: tuple[str, Any], rng: random.Random) -> list:
    kind = special[0]
    if kind == "board":
        return _sentence(rng.choice(V.BK_SENTENCES), rng, special)
    if kind == "info":
        return _sentence(rng.choice(V.INFO_SENTENCES), rng, special)
    return _sentence(rng.choice(V.CO_SENTENCES), rng, special)


def _token_len(tokens: list) -> int:
    n = 0
    for kind, val in tokens:
        if kind == "t":
            n += len(val)
        elif kind in ("keytip", "common", "board"):
            n += len(val.name)
        elif kind == "mention":
            n += len(_mention(val))
        elif kind == "info":
            n += len(val[1])
    return n


def _title(rng: random.Random) -> str:
    slots = _numbers(rng)
    slots["co"] = _pick_stock(rng).name
    title = _fill(rng.choice(V.TITLE_TEMPLATES), slots)
    r = rng.random()
    if r < 0.03:
        title += "---" + rng.choice(("附名单", "最新解读", "图解", "一文读懂"))
    elif r < 0.06:
        title += "{{" + slots["topic"] + "}}"
    return title


def _build(corpus: MockCorpus, i: int, revision: int, salt: int) -> MockArticle:
    seed = corpus.seed
    meta = random.Random(derive_seed(seed, i, "meta"))
    media = meta.choice(V.MEDIA)
    editor = meta.choice(V.EDITORS)
    share_rendered = meta.random() < 0.2
    r = meta.random()
    api_has_text, api_has_content = (True, False) if r < 0.15 else (r >= 0.30, True)
    wrap_media = "证券" in media and meta.random() < 0.5

    title = _title(random.Random(derive_seed(seed, i, revision, salt, "title")))
    rng = random.Random(derive_seed(seed, i, revision, salt, "body"))
    body = _Body()

    n_par = rng.randint(3, 12)
    indent = rng.random() < 0.3
    if rng.random() < 0.5:
        body.raw('<p style="display:none;height:1px;overflow:hidden;"><br /></p>')

    quote: V.Security | None = None
    q = rng.random()
    if q < 0.08:
        quote = rng.choice(V.BOARDS)
    elif q < 0.6:
        quote = _pick_stock(rng)
    if quote is not None:
        body.raw(_quote_block(quote, f"{rng.getrandbits(128):032x}"))
        body.see(quote, None)

    specials: list[tuple[str, Any]] = []
    links = [_pick_stock(rng) for _ in range(rng.choice((0, 0, 1, 1, 2, 2, 3, 4)))]
    if links and quote is not None and not quote.is_board and rng.random() < 0.5:
        links[0] = quote
    if len(links) >= 2 and rng.random() < 0.2:
        links[-1] = links[0]
    specials += [(rng.choice(("keytip", "keytip", "common")), s) for s in links]
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        if rng.random() < 0.5:
            specials.append(("board", rng.choice(V.BOARDS)))
        else:
            specials.append(("info", rng.choice(V.INFO_KEYS)))
    for _ in range(rng.choice((0, 0, 1, 2))):
        pool = V.HK_STOCKS if rng.random() < 0.25 else V.A_SHARES
        specials.append(("mention", rng.choice(pool)))

    per_par: list[list[tuple[str, Any]]] = [[] for _ in range(n_par)]
    for sp in specials:
        per_par[rng.randrange(n_par)].append(sp)
    images_after = sorted(rng.randrange(n_par) for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))))
    subheads_before: set[int] = set()
    if n_par >= 5:
        subheads_before = set(rng.sample(range(1, n_par), rng.choice((0, 0, 1, 2))))
    sub_no = 0
    deck: list[str] = []  # plain sentences drawn without repetition until exhausted

    for p in range(n_par):
        if p in subheads_before:
            head = V.SUBHEAD_PREFIXES[sub_no] + rng.choice(V.SUBHEADS)
            sub_no += 1
            body.raw(f"<p><strong>{head}</strong></p>", [head])
        sentences = [_special_sentence(sp, rng) for sp in per_par[p]]
        total = sum(_token_len(s) for s in sentences)
        target = rng.randint(30, 120)
        while total < target:
            if not deck:
                deck = list(V.PLAIN_SENTENCES)
                rng.shuffle(deck)
            cand = _sentence(deck.pop(), rng, None)
            n = _token_len(cand)
            if total >= 30 and total + n > 120:
                break
            sentences.append(cand)
            total += n
        rng.shuffle(sentences)
        tokens: list[tuple[str, Any]] = [("t", "　　")] if indent else []
        for k, s in enumerate(sentences):
            if k == 1 and rng.random() < 0.05:
                tokens.append(("br", None))
            tokens.extend(s)
        body.paragraph(tokens, trailing_br=rng.random() < 0.2)
        for _ in range(images_after.count(p)):
            url = f"https://dfscdn.dfcfw.com/download/D2{rng.getrandbits(100):025x}.jpg"
            caption = "图片来源：" + rng.choice(V.IMAGE_SOURCES)
            body.images.append(url)
            body.raw(
                f'<center><img src="{url}" alt="图片" width="552" '
                'style="border:#d1d1d1 1px solid;margin:0 auto;" /></center>'
            )
            body.raw(f'<p style="text-align:center;">{caption}</p>', [caption])

    if wrap_media:
        head, _, tail = media.partition("证券")
        body.content.append(
            f'<p class="em_media">（文章来源：{head}{_board_link(V.SECURITIES_BOARD)}{tail}）</p>'
        )
        body.text.append(f'<p class="em_media">（文章来源：{media}）</p>')
        body.see(V.SECURITIES_BOARD, V.SECURITIES_BOARD.name)
    else:
        body.raw(f'<p class="em_media">（文章来源：{media}）</p>')

    summary = (body.first_para or title)[:100]
    art_id = corpus.article_id(i)
    return MockArticle(
        index=i,
        id=art_id,
        info_code="NW" + art_id,
        published=corpus.published(i),
        revision=revision,
        title=title,
        media=media,
        summary=summary,
        editor=editor,
        content_html="".join(body.content),
        text_html="".join(body.text),
        api_has_content=api_has_content,
        api_has_text=api_has_text,
        share_rendered=share_rendered,
        body_lines=tuple(body.lines),
        stocks=tuple(body.stocks.values()),
        boards=tuple(body.boards.values()),
        images=tuple(body.images),
    )
