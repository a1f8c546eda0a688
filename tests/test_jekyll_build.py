"""The exported site builds with real Jekyll, without a warning, and a person can browse it.

Needs Debian's `jekyll` package, which `make test` installs first (`make system-deps`);
nothing is installed from inside pytest. Without it the build tests skip with a one-line
reason. Truths come from the store (titles, media, stocks, dates), never from the exporter.
"""

from __future__ import annotations

import http.server
import math
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from lxml import html as lxml_html

from finews_crawler.exporters import jekyll_theme
from finews_crawler.exporters.jekyll import export_jekyll
from finews_crawler.parsing.html_text import text_lines
from finews_crawler.storage import open_store
from pipelines.chain import ingest_pages
from tests.site_check import jekyll_build, mock_page
from tests.test_export import CST, HOSTILE_IDS, fill_store, mock_pages

PER_PAGE = 10
ARTICLES = 40
SCHEMES = ("http:", "https:", "mailto:", "data:")
MAX_FETCHES = 3000  # the sub-path crawl is bounded
# A body linking the way its source page did: relative to that page.
RELATIVE_ID = "NW209901020000000001"
RELATIVE_HREFS = ("/a/202201010000000001.html", "img/chart.png", "../list.html?p=1&q=2")
RELATIVE_LINKS = {
    "title": "相对链接的正文",
    "showTime": "2022-06-02 10:00:00",
    "mediaName": "链接测试",
    "content": f'<p><a href="{RELATIVE_HREFS[0]}">站内文章</a></p>'
    f'<p><img src="{RELATIVE_HREFS[1]}"></p>'
    f'<p><a href="{RELATIVE_HREFS[2].replace("&", "&amp;")}">列表</a></p>',
}


@dataclass
class Built:
    site: Path
    out: Path  # _site
    articles: list[dict[str, Any]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    if not shutil.which("jekyll"):
        pytest.skip("jekyll is not installed (run `make system-deps` as root, or `make test`)")
    tmp = tmp_path_factory.mktemp("jekyll")
    uri = fill_store(tmp / "articles.sqlite3", ARTICLES)
    site = tmp / "site"
    with open_store(uri) as store:
        relative = mock_page(RELATIVE_ID, RELATIVE_LINKS)
        assert [r.status for r in ingest_pages([relative], store)] == ["new"]
        result = export_jekyll(store, site, per_page=PER_PAGE)
        articles = list(store.iter_articles())
    assert result.written == len(articles) and not result.failed
    jekyll_build(site)  # raises on a failed build and on any warning in its output
    return Built(site, site / "_site", articles)


def load(path: Path) -> Any:
    return lxml_html.fromstring(path.read_text(encoding="utf-8"))


def target(page: Path, href: str) -> Path:
    """The file a relative link on `page` opens from disk (file://)."""
    path = (page.parent / unquote(urlsplit(href).path)).resolve()
    return path / "index.html" if path.is_dir() else path


def post_file(built: Built, article: dict[str, Any]) -> Path:
    (found,) = built.out.rglob(f"{article['_id']}.html")
    return found


def links(page: Any, css_class: str) -> list[Any]:
    return page.xpath(f"//a[contains(concat(' ', @class, ' '), ' {css_class} ')]")


def one_line(text: str) -> str:
    return " ".join(text.split())


# ---- posts ---------------------------------------------------------------------------------


def test_every_post_shows_time_media_stocks_and_source(built: Built) -> None:
    for article in built.articles:
        path = post_file(built, article)
        page = load(path)
        assert page.findtext(".//h1") == article["title"]
        published = article["published_at"].astimezone(CST)
        assert page.findtext(".//time") == f"{published:%Y-%m-%d %H:%M:%S} +08:00"
        (body,) = page.xpath("//div[@class='article-body']")
        assert text_lines(body) == article["body_text"].split("\n")

        # The media line links its media page, which lists this post.
        (media,) = links(page, "media")
        assert media.text == one_line(article["media"])
        media_page = target(path, media.get("href"))
        assert load(media_page).findtext(".//h1") == f"{one_line(article['media'])}新闻"
        assert path in {
            target(media_page, a.get("href")) for a in links(load(media_page), "post-link")
        }

        # Every stored stock is a tag linking an existing stock page that lists this post.
        tags = links(page, "stock")
        assert len(tags) == len(article["stocks"])
        for stock, tag in zip(article["stocks"], tags, strict=True):
            label = f"{stock['code']}.{stock['market']}"
            assert one_line(tag.text_content()) == one_line(f"{label} {stock['name'] or ''}")
            stock_page = target(path, tag.get("href"))
            assert stock_page.is_file(), tag.get("href")
            assert load(stock_page).findtext(".//h1").startswith(label)
            listed = {
                target(stock_page, a.get("href")) for a in links(load(stock_page), "post-link")
            }
            assert path in listed

        (source,) = links(page, "source")
        assert source.get("href").endswith(f"infoCode={article['info_code']}")


def test_hostile_values_show_literally(built: Built) -> None:
    by_id = {article["_id"]: article for article in built.articles}
    liquid = load(post_file(built, by_id[HOSTILE_IDS[2][2:]]))
    assert liquid.findtext(".//h1") == "{{ site.title }} 与 {% raw %} {% endraw %} 液体"
    shown = "\n".join(text_lines(liquid))
    assert "{{ page.title }} 和 {% if true %}执行{% endif %} 以及 {% endraw %}" in shown
    assert "返回{% include evil.html %}新闻" in shown
    assert links(liquid, "media")[0].text == "{% include evil.html %}"
    dashes = load(post_file(built, by_id[HOSTILE_IDS[1][2:]]))
    assert "---" in text_lines(dashes) and not dashes.xpath("//div[@class='article-body']//hr")
    script = load(post_file(built, by_id[HOSTILE_IDS[3][2:]]))
    assert not script.xpath("//script") and not script.xpath("//main//i")


def test_relative_body_links_point_to_the_source(built: Built) -> None:
    """Resolved against the article's URL, as the source page's browser would."""
    (article,) = [a for a in built.articles if a["_id"] == RELATIVE_ID[2:]]
    assert all(href.replace("&", "&amp;") in article["body_html"] for href in RELATIVE_HREFS)
    page = load(post_file(built, article))
    (body,) = page.xpath("//div[@class='article-body']")
    shown = [str(v) for v in body.xpath(".//a/@href | .//img/@src")]
    assert shown == [urljoin(article["url"], href) for href in RELATIVE_HREFS]


# ---- the index -----------------------------------------------------------------------------


def index_pages(built: Built) -> Iterator[tuple[Path, Any]]:
    """From index.html along the 'older' links to the last page."""
    path: Path | None = built.out / "index.html"
    seen = set()
    while path is not None:
        assert path not in seen, f"{path} links back into the chain"
        seen.add(path)
        page = load(path)
        yield path, page
        older = links(page, "older")
        path = target(path, older[0].get("href")) if older else None


def test_index_is_paginated_newest_first(built: Built) -> None:
    pages = list(index_pages(built))
    total_pages = math.ceil(len(built.articles) / PER_PAGE)
    assert len(pages) == total_pages
    listed: list[Path] = []
    times: list[datetime] = []
    for number, (path, page) in enumerate(pages, start=1):
        items = links(page, "post-link")
        assert len(items) == (
            PER_PAGE if number < total_pages else len(built.articles) - len(listed)
        )
        listed += [target(path, a.get("href")) for a in items]
        times += [datetime.fromisoformat(t) for t in page.xpath("//li/time/@datetime")]
        assert one_line(page.findtext(".//span[@class='page-number']")) == (
            f"第 {number} / {total_pages} 页"
        )
        newer = links(page, "newer")
        assert (number == 1) == (not newer)
        if newer:
            assert target(path, newer[0].get("href")) == pages[number - 2][0]
    assert sorted(listed) == sorted(post_file(built, a) for a in built.articles)
    assert times == sorted(times, reverse=True)  # newest first
    newest = max(built.articles, key=lambda a: a["published_at"])
    assert listed[0] == post_file(built, newest)


def test_media_and_stock_lists_cover_the_store(built: Built) -> None:
    media_list = load(built.out / "media.html")
    titles = {one_line(a.text) for a in media_list.xpath("//ul[@class='index-list']/li/a")}
    assert titles == {f"{one_line(a['media'])}新闻" for a in built.articles}

    mentions: dict[str, int] = {}
    for article in built.articles:
        for stock in article["stocks"]:
            label = f"{stock['code']}.{stock['market']}"
            mentions[label] = mentions.get(label, 0) + 1
    stock_list = load(built.out / "stocks.html")
    shown = {}
    for item in stock_list.xpath("//ul[@class='index-list']/li"):
        label = item.find("a").text.split()[0]
        shown[label] = int(item.findtext("span[@class='count']"))
        assert target(built.out / "stocks.html", item.find("a").get("href")).is_file()
    assert shown == mentions


# ---- links ---------------------------------------------------------------------------------


def page_links(page: Any) -> list[str]:
    return [str(value) for value in page.xpath("//@href | //@src")]


def test_every_relative_link_resolves_to_a_file(built: Built) -> None:
    """The link checker: from disk, every link of every built page opens a file."""
    checked = 0
    for path in built.out.rglob("*.html"):
        for href in page_links(load(path)):
            if href.startswith(SCHEMES) or href.startswith("#"):
                continue
            assert not href.startswith("/"), f"{path}: {href} is not relative"
            assert target(path, href).is_file(), f"{path}: {href} leads nowhere"
            assert target(path, href).is_relative_to(built.out), f"{path}: {href} leaves the site"
            checked += 1
    assert checked > len(built.articles) * 5


def test_site_works_from_a_sub_path(built: Built, tmp_path: Path) -> None:
    """Served under /archive/finews/, navigation from the index reaches every page."""
    root = tmp_path / "www"
    (root / "archive").mkdir(parents=True)
    shutil.copytree(built.out, root / "archive" / "finews")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/archive/finews/"
        queue, seen = deque([base + "index.html"]), {base + "index.html"}
        while queue:
            assert len(seen) < MAX_FETCHES
            url = queue.popleft()
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200, url
                data = response.read()
            if not url.endswith(".html"):
                continue
            for href in page_links(lxml_html.fromstring(data)):
                if href.startswith(SCHEMES) or href.startswith("#"):
                    continue
                absolute = urljoin(url, href).split("#")[0]
                assert absolute.startswith(base), f"{url}: {href} leaves the sub-path"
                if absolute not in seen:
                    seen.add(absolute)
                    queue.append(absolute)
    finally:
        server.shutdown()
        server.server_close()
    reached = {unquote(url[len(base) :]) for url in seen}
    on_disk = {
        str(path.relative_to(built.out))
        for path in built.out.rglob("*")
        if path.suffix in (".html", ".css")
    }
    assert reached == on_disk


# ---- exports into an existing site (no build needed) ---------------------------------------


def test_index_pages_follow_the_posts_and_old_themes_upgrade(tmp_path: Path) -> None:
    uri = fill_store(tmp_path / "grow.sqlite3", 12)
    site = tmp_path / "site"
    # A site exported by an earlier release (its default layout) with an edited post layout.
    (site / "_layouts").mkdir(parents=True)
    (site / "_layouts/default.html").write_text(
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head><meta charset="utf-8"><title>'
        "{{ page.title | escape }} | {{ site.title | escape }}</title></head>\n<body>\n"
        "{{ content }}\n</body>\n</html>\n",
        encoding="utf-8",
    )
    edited = "---\nlayout: default\n---\n<h1>{{ page.title | escape }}</h1>{{ content }}\n"
    (site / "_layouts/post.html").write_text(edited, encoding="utf-8")
    with open_store(uri) as store:
        first = export_jekyll(store, site, per_page=5)
        posts = len(list((site / "_posts").iterdir()))
        assert first.pages == math.ceil(posts / 5)
        assert (site / "_layouts/default.html").read_text(encoding="utf-8") == (
            jekyll_theme.DEFAULT
        )
        assert (site / "_layouts/post.html").read_text(encoding="utf-8") == edited

        # More posts arrive; an incremental export still paginates all of them.
        ingest_pages(mock_pages(30)[12:], store)
        second = export_jekyll(store, site, since_last=True, per_page=5)
        posts = len(list((site / "_posts").iterdir()))
        assert second.pages == math.ceil(posts / 5) > first.pages
        # Fewer, larger pages: the pages beyond the last are removed.
        third = export_jekyll(store, site, since_last=True, per_page=50)
    assert third.pages == 1
    assert not list((site / "page").glob("*.html"))


def test_cli_paginates_as_asked(tmp_path: Path) -> None:
    uri = fill_store(tmp_path / "cli.sqlite3", 10)

    def run(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "finews_crawler.cli", "export", "jekyll", "--store", uri,
             "--out", str(tmp_path / "site"), *options],
            capture_output=True, text=True, timeout=120, cwd=tmp_path, env=dict(os.environ),
        )  # fmt: skip

    done = run("--per-page", "4")
    assert done.returncode == 0, done.stderr
    posts = len(list((tmp_path / "site" / "_posts").iterdir()))
    pages = math.ceil(posts / 4)
    assert f"{pages} index page(s)" in done.stdout
    assert len(list((tmp_path / "site" / "page").glob("*.html"))) == pages - 1
    refused = run("--per-page", "0")
    assert refused.returncode == 2 and "at least 1" in refused.stderr
