"""Issue 14 round 2: work done once must give what doing it again gave.

The store takes the dedupe stage's content hash instead of hashing again, and `from_text`
skips texts with no bracket and no four digits. Each is checked against the path that does
the work in full, on the mock corpus' articles (the mock generator's pages, stored in a
real SQLite file).
"""

from __future__ import annotations

from bench.stages import raw_pages
from finews_crawler.article import (
    CONTENT_HASH_VERSION,
    carried_digest,
    content_hash,
    remember_digest,
    with_digest,
)
from finews_crawler.items import Article
from finews_crawler.parsing import html_text
from finews_crawler.parsing.stocks import notations
from finews_crawler.parsing.stocks.notations import code_mentions, from_text, may_hold_code
from finews_crawler.storage import open_store
from pipelines import StoreComponent
from pipelines.chain import STAGES
from pipelines.extract import ExtractPipeline


def test_an_item_forgets_its_digest_when_a_field_changes() -> None:
    article = Article(_id="a", title="one")
    remember_digest(article, content_hash(article))
    assert carried_digest(article) == content_hash(article)
    assert carried_digest(with_digest(article)) == content_hash(article)
    article["title"] = "two"
    assert carried_digest(article) is None
    assert carried_digest(with_digest(article)) is None
    remember_digest(article, content_hash(article))
    del article["title"]
    assert carried_digest(article) is None


def test_a_digest_of_another_hash_format_is_not_trusted() -> None:
    article = Article(_id="a", title="one")
    article._content_digest = (CONTENT_HASH_VERSION + 1, content_hash(article))
    assert carried_digest(article) is None


def test_store_outcomes_equal_with_and_without_the_carried_digest(tmp_path) -> None:
    """The same pages through the stages, twice (new, then unchanged/updated by an edit),
    into two SQLite files: one store gets the carried digests, the other plain dicts."""
    pages = raw_pages(60, seed=11)
    items: list[Article] = []
    run = StoreComponent(open_store(f"sqlite:///{tmp_path / 'stages.sqlite3'}"), spider="t")
    *article_stages, _store = (stage(run) for stage in STAGES)
    for page in pages:
        item = page
        for stage in article_stages:
            item = stage.process_item(item)
        items.append(item)
    assert all(carried_digest(item) == content_hash(item) for item in items)
    carried = open_store(f"sqlite:///{tmp_path / 'carried.sqlite3'}")
    plain = open_store(f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    edited = []
    for index, item in enumerate(items):
        copy = Article(item)
        if index % 3 == 0:
            copy["title"] = f"{item['title']} (edited)"
        elif index % 3 == 1:
            remember_digest(copy, content_hash(item))  # unchanged content: digest kept
        edited.append(copy)
    for batch in (items, edited):
        ours = carried.upsert_articles([with_digest(item) for item in batch])
        theirs = plain.upsert_articles([dict(item) for item in batch])
        assert [o.status for o in ours] == [o.status for o in theirs]
        assert [o.article.get("content_hash") for o in ours] == [
            o.article.get("content_hash") for o in theirs
        ]
    for item in items:
        mine, other = carried.get_article(item["_id"]), plain.get_article(item["_id"])
        for record in (mine, other):
            record.pop("first_seen_at"), record.pop("updated_at")
        assert mine == other


def test_code_precheck_passes_every_text_a_notation_matches() -> None:
    """The cheap test that skips a text (`may_hold_code`) is False only where neither of the
    notation patterns matches: checked on every text node of the mock articles and on each
    notation form the module documents, written inside and outside brackets."""
    extract = ExtractPipeline(StoreComponent(None, spider="t"))  # type: ignore[arg-type]
    texts = []
    for page in raw_pages(200, seed=13):
        tree = html_text.parse_fragment(extract.process_item(page).extracted.body_html or "")
        for element in tree.iter():
            texts.extend(t for t in (element.text, element.tail) if t)
    forms = [
        "(002752)", "（01548.HK）", "(2888.HK)", "(AAPL.US)", "(CS.N)", "(INTC.O)", "（SUN.N）",
        "（300420.SZ）", "(002572.SZ，最新价)", "（518880）", "600570.SH", "SH600519",
        "00700.HK", "(NASDAQ:NVDA)", "（纳斯达克：NVDA）", "（纽交所: BABA）", "( 600519 )",
        "(09988)", "BJ830799", "830799.BJ",
    ]  # fmt: skip
    texts += [f"某公司{form}，" for form in forms]
    texts += ["无代码的一句话", "（记者 王）", "2024年(全年)", "(12.5%)"]
    checks = (
        (notations._IN_BRACKETS, notations._may_hold_bracketed),
        (notations._BARE, notations._may_hold_bare),
    )
    for pattern, check in checks:
        matched = [text for text in texts if pattern.search(text)]
        assert len(matched) >= 4  # forms of each kind match, so the check can fail
        for text in matched:
            assert check(text) and may_hold_code(text), text
    for text in texts:
        if not may_hold_code(text):
            assert not from_text(text) and not list(code_mentions(text))
