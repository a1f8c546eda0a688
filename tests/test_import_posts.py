"""`finews import-posts`: the archive's Jekyll posts through the pipelines into the store.

"Media equal to the front matter" means: for a media post (category is a media slug) the tag
minus 新闻; for a rolling-news post (category `emnews`, tag 东财滚动新闻, which names the feed,
not a media) the （文章来源：X） line of the body, else the （X） source note closing a
plain-text body, else none.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from finews_crawler.exporters.jekyll import SiteOptions, export_jekyll
from finews_crawler.importers.jekyll_posts import import_posts
from finews_crawler.parsing.html_text import clean, parse_fragment, text_lines
from finews_crawler.sources.eastmoney import ADAPTER as EASTMONEY
from finews_crawler.storage import open_store
from tests.shared_data import CORPUS_DIR, SAMPLE_POST, require

CST = timezone(timedelta(hours=8))
SHARE_BASE = "http://share.test"
FRONT_MATTER = re.compile(r"\A---\n(.*?)^---\n", re.S | re.M)
BROKEN_POST = "-202205262391921712.md"


def read_post(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    assert match, path
    return yaml.safe_load(match.group(1)), text[match.end() :]


def front_date(value: Any) -> datetime:
    if isinstance(value, datetime):  # YAML reads an offset-less date as a naive datetime
        return value.replace(tzinfo=CST)
    return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S %z")


def expected_media(front: dict[str, Any], body: str) -> str | None:
    if front["categories"] != "emnews":
        return front["tags"].removesuffix("新闻")
    line = re.search(r'<p class="em_media">(.*?)</p>', body, re.S)
    if line:
        text = re.sub(r"<[^>]+>", "", line.group(1)).strip()
        return re.sub(r"^（文章来源：(.*)）$", r"\1", text)
    paragraphs = [p for p in body.split("\n\n") if p.strip() and not p.startswith(("<", "["))]
    note = re.search(r"（([^（）\d]+)）$", paragraphs[-1].strip()) if paragraphs else None
    return note.group(1) if note else None


def article_lines(fragment: str) -> list[str]:
    """Visible lines of an article body, East Money boilerplate removed (as the store keeps it)."""
    return clean(fragment, EASTMONEY.boilerplate).lines


# ---- the real archive ----------------------------------------------------------------------


def test_every_archive_post_imports_with_its_front_matter(tmp_path: Path) -> None:
    corpus = require(CORPUS_DIR)
    uri = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    posts = sorted(corpus.glob("*.md"))
    with open_store(uri) as store:
        report = import_posts([corpus], store, share_base=SHARE_BASE)
        by_name = {result.path.name: result for result in report.results}
        assert sorted(by_name) == sorted(path.name for path in posts)

        broken = by_name.pop(BROKEN_POST)
        assert broken.status == "failed"
        assert broken.reason == "empty title; date '+0800' holds no date; empty source link <>"
        (failure,) = list(store.iter_failures())
        assert failure["url"] == (corpus / BROKEN_POST).resolve().as_uri()
        assert failure["stage"] == "import" and failure["reason"] == broken.reason

        assert {result.status for result in by_name.values()} == {"imported"}
        for name, result in by_name.items():
            front, body = read_post(corpus / name)
            article = store.get_article(result.article_id)
            assert article["_id"] in name
            assert article["title"] == front["title"]
            assert article["published_at"] == front_date(front["date"])
            assert article["media"] == expected_media(front, body), name
            assert article["category"] == front["categories"]
            assert article["tags"] == [front["tags"]]
            assert article["body_text"]
            assert article["spider"] == "import-posts"

        again = import_posts([corpus], store, share_base=SHARE_BASE)
        assert [r.status for r in again.results].count("unchanged") == len(posts) - 1
        assert store.count_articles() == len(posts) - 1


def test_import_posts_cli_reports_counts(tmp_path: Path) -> None:
    corpus = require(CORPUS_DIR)
    result = subprocess.run(
        [sys.executable, "-m", "finews_crawler.cli", "--store",
         f"sqlite:///{tmp_path / 'cli.sqlite3'}", "import-posts", str(corpus)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 1  # the broken post
    assert result.stdout.strip() == "14 imported, 0 unchanged, 0 duplicate, 1 failed (15 file(s))"
    assert f"failed    {corpus / BROKEN_POST}: empty title;" in result.stderr


def test_sample_round_trip(tmp_path: Path) -> None:
    sample = require(SAMPLE_POST)
    uri = f"sqlite:///{tmp_path / 'round.sqlite3'}"
    site = tmp_path / "site"
    shares = {"FINEWS_SHARE_BASE": "http://finews.zning.xyz"}
    options = SiteOptions(source_settings=shares, site_url="//finews.withounder.com")
    with open_store(uri) as store:
        (imported,) = import_posts([sample], store, share_base=SHARE_BASE).results
        assert imported.status == "imported"
        export_jekyll(store, site, options=options)
        exported = site / "_posts" / "2022-04-13-202204132342073945.md"

        original_text, exported_text = (p.read_text(encoding="utf-8") for p in (sample, exported))
        # Front matter: the archive's keys with the same values, here even the same bytes;
        # the keys the site's layouts show (media, stocks, source link) follow them.
        original_front, exported_front = read_post(sample)[0], read_post(exported)[0]
        assert {k: exported_front[k] for k in original_front} == original_front
        assert set(exported_front) - set(original_front) <= {
            "media",
            "stocks",
            "stock_pages",
            "source_link",
        }
        original_keys = FRONT_MATTER.match(original_text)[0].removesuffix("---\n")
        assert FRONT_MATTER.match(exported_text).group(0).startswith(original_keys)
        # Body: the same text once the source's boilerplate (quote image, hidden paragraph,
        # 文章来源 line) is gone; the same share link and back links.
        original_blocks = read_post(sample)[1].strip().split("\n\n")
        exported_blocks = read_post(exported)[1].strip().split("\n\n")
        assert article_lines(exported_blocks[0]) == article_lines(original_blocks[0])
        assert text_lines(parse_fragment(exported_blocks[0])) == article_lines(original_blocks[0])
        assert exported_blocks[1:] == original_blocks[1:]

        # And the exported post imports back to the very same record.
        (again,) = import_posts([exported], store, share_base=SHARE_BASE).results
        assert again.status == "unchanged"


# ---- posts we write ourselves --------------------------------------------------------------


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_post_shapes_and_clear_failures(tmp_path: Path) -> None:
    posts = tmp_path / "_posts"
    posts.mkdir()
    write(
        posts,
        "2023-05-06-202305062700000001.md",
        '---\nlayout: post\ntitle: "纯文本: 带 \\"引号\\" 与 --- 的标题"\n'
        "date: 2023-05-06 09:30:00\ncategories: emnews\ntags: 东财滚动新闻\n---\n> 摘要一句话。\n\n"
        "第一段 *不是强调* {{ 不是液体 }}。\n第二段结束。（新华社）\n\n"
        "<http://finance.eastmoney.com/news/1350,202305062700000001.html>\n\n"
        "[返回东财滚动新闻](//x.test/emnews/)\n[返回首页](//x.test/)\n",
    )
    write(
        posts,
        "2023-05-07-NW202305072700000002.md",
        '---\nlayout: post\ntitle: "媒体稿"\ndate: 2023-05-07 10:00:00 +0800\n'
        "categories: zhongguojijinbao\ntags: 中国基金报新闻\n---\n"
        "<p>正文<strong>加粗</strong></p><p>第二段</p>\n\n"
        "[返回中国基金报新闻](/category/zhongguojijinbao.html)｜[返回首页](/)\n",
    )
    write(posts, "2023-05-08-202305082700000003.md", "no front matter at all\n")
    write(posts, "2023-05-09-202305092700000004.md", "---\ntitle: [unclosed\n---\n<p>x</p>\n")
    write(posts, "2023-05-10-no-id.md", '---\ntitle: "x"\ndate: 2023-05-10 10:00:00\n---\n<p>x</p>')
    write(
        posts, "2023-05-11-202305112700000005.md", '---\ntitle: "空正文"\ndate: 2023-05-11\n---\n'
    )

    with open_store(f"sqlite:///{tmp_path / 'own.sqlite3'}") as store:
        report = import_posts([posts], store, share_base=SHARE_BASE)
        results = {result.path.name[:10]: result for result in report.results}
        assert results["2023-05-06"].status == "imported"
        plain = store.get_article("202305062700000001")
        assert plain["title"] == '纯文本: 带 "引号" 与 --- 的标题'
        assert plain["published_at"] == datetime(2023, 5, 6, 9, 30, tzinfo=CST)
        assert plain["media"] == "新华社"
        assert plain["summary"] == "摘要一句话。"
        assert plain["body_text"] == "第一段 *不是强调* {{ 不是液体 }}。\n第二段结束。（新华社）"
        assert plain["body_html"].count("<p>") == 2
        assert plain["source_url"].endswith("/news/1350,202305062700000001.html")

        assert results["2023-05-07"].status == "imported"
        media_post = store.get_article("202305072700000002")
        assert media_post["media"] == "中国基金报"
        assert media_post["source_url"] == (
            f"{SHARE_BASE}/html_News/NewsShare.html?infoCode=NW202305072700000002"
        )

        reasons = {day: result.reason for day, result in results.items() if result.reason}
        assert reasons == {
            "2023-05-08": "no front matter (the file must start with a --- line)",
            "2023-05-09": reasons["2023-05-09"],
            "2023-05-10": "no East Money article id in the source link or the file name",
            "2023-05-11": "empty body; no source link",
        }
        assert reasons["2023-05-09"].startswith("front matter is not YAML:")
        assert {result.status for day, result in results.items() if day in reasons} == {"failed"}
        assert len(list(store.iter_failures())) == 4
