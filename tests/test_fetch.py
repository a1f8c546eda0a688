"""`finews fetch` as a user runs it: a real subprocess against the mock site on loopback.

One run fetches every kind of target concurrently (share URL, infoCode, article URL, a plain
page for the generic extractor, a 404, a non-HTML URL, junk input); a second reads stdin
with --table --no-store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from finews_crawler.spiders.fetch import BadTarget, target_url
from finews_crawler.storage import open_store
from tests.stub_server import stub_server

PLAIN_TITLE = "本地小镇举办年度读书节 吸引上千名市民参加"
PLAIN_PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{PLAIN_TITLE} - 小镇日报</title>
<meta property="og:title" content="{PLAIN_TITLE}">
<meta property="og:site_name" content="小镇日报">
<meta property="article:published_time" content="2024-03-01T10:30:00+08:00">
</head><body>
<nav><a href="/">首页</a> <a href="/news">新闻</a></nav>
<article>
<h1>{PLAIN_TITLE}</h1>
<p>三月一日上午，一年一度的小镇读书节在中心广场开幕，来自周边社区的上千名市民带着家人一同参加，
现场设置了二十多个主题书摊和三个朗读角，吸引了许多孩子驻足聆听。</p>
<p>主办方介绍，本届读书节持续三天，期间将举办作家见面会、旧书交换和少儿绘本朗读比赛等活动，
所有活动均免费向公众开放，市民可以通过社区服务中心报名参加感兴趣的项目。</p>
<p>不少市民表示，读书节已经成为小镇春天最受期待的活动之一，希望今后能够增加更多面向青少年的
阅读分享环节，让更多年轻人爱上阅读，也让书香氛围在社区里长久延续下去。</p>
</article>
<footer>版权所有 小镇日报</footer>
</body></html>"""


def _plain_page(path: str) -> tuple[int, str, bytes]:
    if path != "/story.html":
        return 404, "text/html", b"not found"
    return 200, "text/html; charset=utf-8", PLAIN_PAGE.encode("utf-8")


@pytest.fixture
def plain_site() -> Iterator[str]:
    """A tiny news page no site adapter owns, on a loopback port of its own."""
    with stub_server(_plain_page) as base_url:
        yield base_url


def finews(
    *args: str, share_base: str, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "FINEWS_SHARE_BASE": share_base, "FINEWS_ROBOTSTXT_OBEY": "1"}
    env["FINEWS_ALLOW_PRIVATE"] = "1"  # the mock site is on loopback: allowed explicitly
    return subprocess.run(
        [sys.executable, "-m", "finews_crawler.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_fetch_refuses_loopback_unless_allowed(tmp_path: Path) -> None:
    """User-given URLs may not reach into the local network by default (SSRF)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "finews_crawler.cli",
            "--store",
            f"sqlite:///{tmp_path / 'ssrf.sqlite3'}",
            "fetch",
            "http://127.0.0.1:9/admin",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "FINEWS_ALLOW_PRIVATE"},
    )
    assert done.returncode == 1
    assert "refused private/loopback address 127.0.0.1" in done.stderr


def test_targets_map_to_share_pages_and_junk_is_refused() -> None:
    base = {"FINEWS_SHARE_BASE": "http://mirror.example"}
    share = "http://mirror.example/html_News/NewsShare.html?infoCode=NW202204132342073945"
    assert target_url("NW202204132342073945", base) == share
    assert target_url("nw202204132342073945", base) == share
    assert target_url("202204132342073945", base) == share
    assert target_url("finance.eastmoney.com/a/1.html", base).startswith("https://finance.")
    url = "http://finance.eastmoney.com/news/11060,202112082206672930.html"
    assert target_url(url, base) == url  # never split on its comma
    for junk in ("foo", "12345", "NW123"):
        with pytest.raises(BadTarget, match="not a URL"):
            target_url(junk, base)


def test_fetch_every_kind_of_target(mock_site, plain_site, tmp_path: Path) -> None:
    corpus = mock_site.corpus
    share, code, page, old = (corpus.article(i) for i in (3, 4, 5, 6))
    targets = {
        "share": mock_site.share_url(3),
        "infocode": code.info_code,
        "article": mock_site.url(f"/a/{page.id}.html"),
        "old_article": mock_site.url(f"/news/1350,{old.id}.html"),
        "plain": f"{plain_site}/story.html",
        "missing": mock_site.url("/a/999999999999999999.html"),
        "not_html": mock_site.url("/js/newsshare.js"),
        "junk": "no-such-thing",
    }
    store_uri = f"sqlite:///{tmp_path / 'fetch.sqlite3'}"
    result = finews(
        "--store",
        store_uri,
        "fetch",
        *targets.values(),
        share_base=mock_site.base_url,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr  # some targets failed

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_id = {article["_id"]: article for article in lines}
    assert len(lines) == 5
    for expected, to_the_minute in ((share, False), (code, False), (page, True), (old, True)):
        article = by_id[expected.id]
        assert article["title"] == expected.title
        assert article["media"] == expected.media
        published = expected.published.replace(second=0) if to_the_minute else expected.published
        assert datetime.fromisoformat(article["published_at"]) == published  # pages omit seconds
        assert article["body_text"].split("\n") == list(expected.body_lines)
    plain = next(article for article in lines if article["_id"].startswith("u"))
    assert plain["title"] == PLAIN_TITLE
    assert plain["extractor"] == "generic:trafilatura"
    assert "上千名市民" in plain["body_text"]
    assert datetime.fromisoformat(plain["published_at"]).isoformat() == "2024-03-01T02:30:00+00:00"

    errors = result.stderr
    assert f"FAILED {targets['missing']}: [fetch] HTTP 404" in errors
    assert f"FAILED {targets['not_html']}: [extract] not an HTML page" in errors
    assert "application/javascript" in errors
    assert f"FAILED {targets['junk']}: [input] not a URL" in errors
    assert "8 target(s): 5 ok (5 new), 3 failed" in errors

    with open_store(store_uri) as store:
        assert store.count_articles() == 5
        failed_urls = {failure["url"] for failure in store.iter_failures()}
    assert failed_urls == {targets["missing"], targets["not_html"]}

    again = finews(
        "--store",
        store_uri,
        "fetch",
        targets["share"],
        targets["plain"],
        share_base=mock_site.base_url,
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    assert "2 target(s): 2 ok (2 unchanged), 0 failed" in again.stderr


def test_fetch_stdin_table_no_store(mock_site, tmp_path: Path) -> None:
    first, second = corpus_articles = [mock_site.corpus.article(i) for i in (10, 11)]
    stdin = f"# pasted links\n{first.info_code}\n\n{mock_site.url(f'/a/{second.id}.html')}\n"
    store_file = tmp_path / "never.sqlite3"
    result = finews(
        "--store",
        f"sqlite:///{store_file}",
        "fetch",
        "-",
        "--table",
        "--no-store",
        share_base=mock_site.base_url,
        cwd=tmp_path,
        stdin=stdin,
    )
    assert result.returncode == 0, result.stderr
    for article in corpus_articles:
        assert article.id in result.stdout
        assert article.title[:8] in result.stdout
    assert result.stdout.count("not stored") == 2
    assert "2 target(s): 2 ok (2 not stored), 0 failed" in result.stderr
    assert not store_file.exists()


def test_fetch_without_targets_is_a_usage_error(tmp_path: Path) -> None:
    result = finews("fetch", "-", share_base="http://127.0.0.1:9", cwd=tmp_path, stdin="\n")
    assert result.returncode == 2
    assert "no URL or infoCode given" in result.stderr
