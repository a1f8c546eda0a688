"""The exported site builds with real Jekyll, and the built pages show what the store holds.

Needs Debian's `jekyll` package, which `make test` installs first (`make system-deps`);
nothing is installed from inside pytest. Without it the test skips with a one-line reason.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from finews_crawler.exporters.jekyll import export_jekyll
from finews_crawler.parsing.html_text import text_lines
from finews_crawler.storage import open_store
from tests.test_export import CST, HOSTILE_IDS, fill_store

BUILD_TIMEOUT = 300


@pytest.fixture(scope="module")
def jekyll() -> str:
    found = shutil.which("jekyll")
    if not found:
        pytest.skip("jekyll is not installed (run `make system-deps` as root, or `make test`)")
    return found


def page_text(element) -> list[str]:
    return text_lines(element)


def test_exported_site_builds_and_shows_every_article(jekyll: str, tmp_path: Path) -> None:
    uri = fill_store(tmp_path / "articles.sqlite3", 40)
    site = tmp_path / "site"
    with open_store(uri) as store:
        result = export_jekyll(store, site)
        articles = list(store.iter_articles())
    assert result.written == len(articles) and not result.failed

    build = subprocess.run(
        [jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        cwd=tmp_path,
    )
    output = build.stdout + build.stderr
    assert build.returncode == 0, output[-2000:]
    assert "Liquid" not in output and "Error" not in output, output[-2000:]

    built = {path.stem: path for path in (site / "_site").rglob("*.html")}
    for article in articles:
        page = lxml_html.fromstring(built[article["_id"]].read_text(encoding="utf-8"))
        assert page.findtext(".//h1") == article["title"]
        published = article["published_at"].astimezone(CST)
        assert page.findtext(".//time") == f"{published:%Y-%m-%d %H:%M:%S} +0800"
        (body,) = page.xpath("//div[@class='article-body']")
        assert page_text(body) == article["body_text"].split("\n")

    liquid = lxml_html.fromstring(built[HOSTILE_IDS[2][2:]].read_text(encoding="utf-8"))
    assert liquid.findtext(".//h1") == "{{ site.title }} 与 {% raw %} {% endraw %} 液体"
    shown = "\n".join(page_text(liquid))
    assert "{{ page.title }} 和 {% if true %}执行{% endif %} 以及 {% endraw %}" in shown
    assert "返回{% include evil.html %}新闻" in shown
    dashes = lxml_html.fromstring(built[HOSTILE_IDS[1][2:]].read_text(encoding="utf-8"))
    assert "---" in page_text(dashes) and not dashes.xpath("//div[@class='article-body']//hr")

    index = lxml_html.fromstring((site / "_site" / "index.html").read_text(encoding="utf-8"))
    assert sorted(index.xpath("//li/a/text()")) == sorted(a["title"] for a in articles)
