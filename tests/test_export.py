"""Exports of 1,000 stored articles (plus hostile ones) to JSON Lines and to a Jekyll site.

Articles reach the store the way crawled ones do: mock text-API pages (rendered by the mock
site's own renderer) through `pipelines.chain.ingest_pages` into a real SQLite file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from finews_crawler.article import ordered
from finews_crawler.exporters.jekyll import SiteOptions, checkpoint_name, export_jekyll
from finews_crawler.exporters.jsonl import export_jsonl
from finews_crawler.items import ARTICLE_FIELDS
from finews_crawler.parsing.html_text import parse_fragment, text_lines
from finews_crawler.parsing.slugs import media_slug as category_slug
from finews_crawler.storage import ArticleQuery, open_store
from mocksite import MockCorpus
from mocksite.render import text_api
from pipelines.chain import ingest_pages
from tests.site_check import mock_page

ARTICLES = 1000
CST = timezone(timedelta(hours=8))
SHARE_BASE = "http://share.test"
# Titles, media and bodies that try to break front matter, Markdown or Liquid.
HOSTILE = [
    ("引号\"标题\" 与 '单引号': 冒号", '媒体: "甲"', "<p>正文 \"quoted\" 与 'single'。</p>"),
    (
        "--- 三横线 ---\n---\n第二行",
        "媒体\n---\n乙",
        "<p>第一段</p>\n---\n<p>---</p><p>*星号* _下划线_ [链接](http://x.test/) # 井号</p>",
    ),
    (
        "{{ site.title }} 与 {% raw %} {% endraw %} 液体",
        "{% include evil.html %}",
        "<p>{{ page.title }} 和 {% if true %}执行{% endif %} 以及 {% endraw %}"
        " {%- endraw -%} {{ x {% endraw %}</p>",
    ),
    ("<script>alert(1)</script> & 标签", "A&B <i>媒体</i>", "<p>&lt;b&gt;不是粗体&lt;/b&gt;</p>"),
    ("title: 'yaml' # comment\n...\n--- !!python/object", "- [list]", "<p>YAML 注入</p>"),
]
HOSTILE_IDS = [f"NW2099010100000000{index:02d}" for index in range(len(HOSTILE))]
FRONT_MATTER = re.compile(r"\A---\n(.*?)^---\n", re.S | re.M)  # Jekyll's rule, line based


def mock_pages(count: int, seed: int = 7) -> list[dict[str, Any]]:
    corpus = MockCorpus(seed, count)
    return [
        mock_page(corpus.article(i).info_code, text_api(corpus.article(i))) for i in range(count)
    ]


def hostile_pages(day: str = "2022-06-01") -> list[dict[str, Any]]:
    return [
        mock_page(
            code,
            {"title": title, "showTime": f"{day} 1{i}:00:00", "mediaName": media, "content": body},
        )
        for i, (code, (title, media, body)) in enumerate(zip(HOSTILE_IDS, HOSTILE, strict=True))
    ]


def fill_store(path: Path, count: int) -> str:
    uri = f"sqlite:///{path}"
    with open_store(uri) as store:
        results = ingest_pages(mock_pages(count) + hostile_pages(), store)
    assert [r.status for r in results] == ["new"] * (count + len(HOSTILE)), [
        r.failure for r in results if r.status != "new"
    ]
    return uri


def parse_post(path: Path) -> tuple[dict[str, Any], str]:
    """Front matter and content of a post, split the way Jekyll splits it."""
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    assert match, f"{path.name}: no front matter"
    return yaml.safe_load(match.group(1)), text[match.end() :]


def visible_lines(fragment: str) -> list[str]:
    return text_lines(parse_fragment(fragment))  # the parser decodes &#123; and friends


def body_block(content: str) -> str:
    start = content.index('<div class="article-body" markdown="0">\n')
    end = content.index("\n</div>", start)
    return content[start + len('<div class="article-body" markdown="0">\n') : end]


@pytest.fixture(scope="module")
def store_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return fill_store(tmp_path_factory.mktemp("export") / "articles.sqlite3", ARTICLES)


# ---- JSON Lines ----------------------------------------------------------------------------


def test_jsonl_export_writes_every_article_in_schema_order(store_uri: str, tmp_path: Path):
    out_path = tmp_path / "all.jsonl"
    with open_store(store_uri) as store, out_path.open("w", encoding="utf-8") as out:
        written = export_jsonl(store, ArticleQuery(), out)
        stored = {article["_id"]: article for article in store.iter_articles()}
    assert written == len(stored) == ARTICLES + len(HOSTILE)

    lines = out_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == written
    previous = None
    for line in lines:
        record = json.loads(line)
        article = stored[record["_id"]]
        assert list(record) == list(ordered(article))
        known = [name for name in ARTICLE_FIELDS if name in record]  # optional ones may lack
        assert list(record)[: len(known)] == known
        for name in ("published_at", "fetched_at", "first_seen_at", "updated_at"):
            assert re.search(r"T\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$", record[name]), record[name]
            assert datetime.fromisoformat(record[name]) == article[name]
        for name in ("title", "media", "body_html", "body_text", "stocks", "tags"):
            assert record[name] == article[name]
        published = datetime.fromisoformat(record["published_at"])
        assert previous is None or published >= previous  # oldest first
        previous = published


def test_jsonl_cli_filters(store_uri: str, tmp_path: Path) -> None:
    with open_store(store_uri) as store:
        everything = list(store.iter_articles())
    media = everything[10]["media"]
    stock = next(a["stocks"][0]["code"] for a in everything if a["stocks"])
    since = datetime(2022, 1, 4, 0, 0, tzinfo=CST)
    until = datetime(2022, 1, 6, 12, 0, tzinfo=CST)

    def run(*options: str) -> list[str]:
        out = tmp_path / "out.jsonl"
        result = subprocess.run(
            [sys.executable, "-m", "finews_crawler.cli", "--store", store_uri, "export", "jsonl",
             *options, "--out", str(out)],
            capture_output=True, text=True, timeout=120, cwd=tmp_path, env=dict(os.environ),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return [json.loads(line)["_id"] for line in out.read_text(encoding="utf-8").splitlines()]

    # --media is a substring (README "Querying the store")
    assert run("--media", media) == [a["_id"] for a in everything if media in (a["media"] or "")]
    assert run("--stock", stock) == [
        a["_id"] for a in everything if stock in {s["code"] for s in a["stocks"]}
    ]
    window = run("--since", "2022-01-04", "--until", "2022-01-06T12:00:00")
    expected = [a["_id"] for a in everything if since <= a["published_at"] < until]
    assert window == expected and 0 < len(window) < ARTICLES


# ---- Jekyll --------------------------------------------------------------------------------


def test_jekyll_posts_hold_the_stored_values(store_uri: str, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with open_store(store_uri) as store:
        result = export_jekyll(
            store, site, options=SiteOptions(source_settings={"FINEWS_SHARE_BASE": SHARE_BASE})
        )
        stored = list(store.iter_articles())
    assert (result.written, result.failed) == (len(stored), [])
    posts = sorted((site / "_posts").iterdir())
    assert len(posts) == len(stored)
    media_names = set()
    for article in stored:
        published = article["published_at"].astimezone(CST)
        path = site / "_posts" / f"{published:%Y-%m-%d}-{article['_id']}.md"
        front, content = parse_post(path)
        slug = category_slug(article["media"])
        tag = f"{article['media']}新闻"
        share = f"{SHARE_BASE}/html_News/NewsShare.html?infoCode={article['info_code']}"
        # The rule (README "Jekyll site"): CODE.MARKET, the page its lower-cased stem.
        stocks = [
            {
                "code": f"{s['code']}.{s['market']}",
                "name": s["name"],
                "page": f"{s['code']}-{s['market']}".lower(),
            }
            for s in article["stocks"]
        ]
        assert front == {
            "layout": "post",
            "title": article["title"],
            "date": f"{published:%Y-%m-%d %H:%M:%S} +0800",
            "categories": slug,
            "tags": tag if " " not in tag else [tag],
            **({"media": " ".join(article["media"].split())} if article["media"] else {}),
            **({"stocks": stocks, "stock_pages": [s["page"] for s in stocks]} if stocks else {}),
            "source_link": share,
        }
        assert re.fullmatch(r"[a-z0-9-]+", slug)
        assert path.read_text(encoding="utf-8").split("\n")[2].startswith('title: "')
        assert visible_lines(body_block(content)) == article["body_text"].split("\n")
        assert f"\n\n<{share}>\n\n" in content
        # Relative back links: a post sits in <category>/<yyyy>/<mm>/<dd>/.
        back = "../../../../"
        assert content.rstrip("\n").endswith(
            f"]({back}category/{slug}.html)｜[返回首页]({back}index.html)"
        )
        media_names.add(article["media"])
    categories = {path.stem: parse_post(path)[0] for path in (site / "category").iterdir()}
    assert set(categories) == {category_slug(media) for media in media_names}
    assert categories[category_slug("青岛财经网")] == {
        "layout": "category",
        "title": "青岛财经网新闻",
        "category": "qingdaocaijingwang",
    }
    # Liquid never reaches Jekyll: no brace survives in any post body.
    for post in posts:
        assert "{" not in parse_post(post)[1] and "}" not in parse_post(post)[1]


def test_jekyll_since_last_renames_and_refuses_unsafe_ids(tmp_path: Path) -> None:
    uri = fill_store(tmp_path / "small.sqlite3", 20)
    site = tmp_path / "site"
    with open_store(uri) as store:
        first = export_jekyll(store, site, since_last=True)
        assert first.written == 20 + len(HOSTILE)
        again = export_jekyll(store, site, since_last=True)
        assert again.written == 0  # nothing changed since the checkpoint
        assert again.unchanged <= first.written  # the overlap rewrites nothing

        # A later crawl moves one article to another day and brings a new one.
        moved = hostile_pages(day="2022-06-03")[:1]
        extra = mock_pages(21)[20:]
        assert [r.status for r in ingest_pages(moved + extra, store)] == ["updated", "new"]
        third = export_jekyll(store, site, since_last=True)
        assert (third.written, third.removed) == (2, 1)
        names = {path.name for path in (site / "_posts").iterdir()}
        assert f"2022-06-03-{HOSTILE_IDS[0][2:]}.md" in names
        assert f"2022-06-01-{HOSTILE_IDS[0][2:]}.md" not in names

        # A store written by another tool may hold ids that are not file names.
        hostile_ids = ["../../outside", "a/b", "..", "x" * 65, ""]
        template = dict(store.get_article(HOSTILE_IDS[1][2:]))
        for name in ("content_hash", "revision", "first_seen_at", "updated_at", "info_code"):
            template.pop(name)
        store.upsert_articles([{**template, "_id": bad} for bad in hostile_ids])
        fourth = export_jekyll(store, site)
    assert sorted(article_id for article_id, _ in fourth.failed) == sorted(hostile_ids)
    assert all("UnsafeId" in reason for _, reason in fourth.failed)
    inside = {path.resolve() for path in site.rglob("*")}
    assert not [p for p in tmp_path.rglob("*outside*") if p.resolve() not in inside]
    assert len(list((site / "_posts").iterdir())) == 21 + len(HOSTILE)


def test_jekyll_exports_source_named_ids_of_the_wires(tmp_path: Path) -> None:
    """Wire records are `cls:<id>` / `ths:<seq>` (issue 13): each becomes a post named
    `<date>-cls-<id>.md`, and moves with its date like any post."""
    uri = fill_store(tmp_path / "small.sqlite3", 1)
    site = tmp_path / "site"
    with open_store(uri) as store:
        template = dict(store.get_article(HOSTILE_IDS[1][2:]))
        for name in ("content_hash", "revision", "first_seen_at", "updated_at", "info_code"):
            template.pop(name)
        wire_ids = ["cls:1500205", "ths:500004133"]
        store.upsert_articles([{**template, "_id": wire_id} for wire_id in wire_ids])
        first = export_jekyll(store, site)
        day = f"{template['published_at'].astimezone(timezone(timedelta(hours=8))):%Y-%m-%d}"
        names = {path.name for path in (site / "_posts").iterdir()}
        moved = template["published_at"] + timedelta(days=2)
        store.upsert_articles([{**template, "_id": "cls:1500205", "published_at": moved}])
        second = export_jekyll(store, site)
    assert first.failed == []
    assert {f"{day}-cls-1500205.md", f"{day}-ths-500004133.md"} <= names
    assert second.removed == 1
    names = {path.name for path in (site / "_posts").iterdir()}
    assert f"{day}-cls-1500205.md" not in names and f"{day}-ths-500004133.md" in names


def test_jekyll_since_last_after_a_filtered_export_still_brings_the_rest(tmp_path: Path) -> None:
    """A filtered export (one media) does not move the --since-last checkpoint: the next
    --since-last export writes every article the filtered one left out."""
    uri = fill_store(tmp_path / "small.sqlite3", 20)
    site = tmp_path / "site"
    with open_store(uri) as store:
        everything = [a["_id"] for a in store.iter_articles(ArticleQuery())]
        media = next(a["media"] for a in store.iter_articles(ArticleQuery()) if a.get("media"))
        one_media = export_jekyll(store, site, query=ArticleQuery(media=media))
        assert store.get_checkpoint(checkpoint_name(site)) is None
        rest = export_jekyll(store, site, since_last=True)
        assert store.get_checkpoint(checkpoint_name(site)) is not None
        assert 0 < one_media.written < len(everything)
        assert rest.written == len(everything) - one_media.written
        again = export_jekyll(store, site, since_last=True)  # the unfiltered one set it
    assert again.written == 0
    assert len(list((site / "_posts").iterdir())) == len(everything)


def test_front_matter_survives_raw_hostile_values() -> None:
    """Values straight from a store written by another tool: newlines, `---`, `...`, tabs."""
    from finews_crawler.exporters.jekyll import render_post

    title = "a \"b\"\n---\nlayout: evil\n...\n\t{{ x }}: 'c' #d"
    media = "M\n---\ntitle: x"
    article = {
        "_id": "202204132342073945",
        "info_code": "NW202204132342073945",
        "title": title,
        "media": media,
        "published_at": datetime(2022, 4, 13, 8, 25, 27, tzinfo=UTC),
        "body_html": "<p>x</p>",
    }
    text = render_post(article, SiteOptions())
    front = yaml.safe_load(FRONT_MATTER.match(text).group(1))
    assert front["title"] == title
    assert front["layout"] == "post" and front["date"] == "2022-04-13 16:25:27 +0800"
    assert front["tags"] == ["M --- title: x新闻"]  # one line; a list since it holds spaces
    assert text.count("\n---\n") == 1  # only the closing delimiter starts a line with ---
