"""The command line's routing (issue 12): global options before or after the command, crawl
arguments passed through to Scrapy untouched, spiders listed with their `-a` arguments, and
an unknown spider named in one line. Truth: the README's documented commands and arguments,
and the mock corpus."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawl_helpers import write_urls

TIMEOUT = 300


def finews(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "finews_crawler.cli", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=cwd,
    )


@pytest.mark.parametrize("where", ["before", "after", "after export jsonl"])
def test_store_option_works_before_or_after_the_command(tmp_path: Path, where: str) -> None:
    store = tmp_path / "named.sqlite3"
    option = ["--store", f"sqlite:///{store}"]
    args = {
        "before": [*option, "count"],
        "after": ["count", *option],
        "after export jsonl": ["export", "jsonl", *option],
    }[where]
    done = finews(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("" if "export" in where else "0")
    assert store.is_file()  # the named store was opened, not the default one
    assert not (tmp_path / "data").exists()


def test_crawl_help_lists_the_spiders_with_their_arguments(tmp_path: Path) -> None:
    done = finews("crawl", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listing = done.stdout
    # the spiders and -a arguments the README documents
    for spider in ("newsshare", "emnews", "emmedia", "emmarket", "feeds", "fetch"):
        assert f"\n  {spider}" in listing, spider
    for argument in ("url", "urls_file", "info_codes", "since", "max_pages", "refresh"):
        assert f"-a {argument}=" in listing, argument


def test_an_unknown_spider_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = finews("crawl", "no_such_spider", cwd=tmp_path)
    assert done.returncode == 2
    named = [line for line in done.stderr.splitlines() if "no_such_spider" in line]
    assert named == [named[0]] and named[0].startswith("finews crawl: "), done.stderr
    assert "Traceback" not in done.stderr and "KeyError" not in done.stderr


def test_crawl_arguments_pass_through_with_the_store_after_them(mock_site, tmp_path) -> None:
    store = tmp_path / "crawl.sqlite3"
    urls = write_urls(tmp_path / "urls.txt", (mock_site.share_url(i) for i in range(5)))
    done = finews(
        "crawl",
        "newsshare",
        "-a",
        f"urls_file={urls}",
        "-L",
        "WARNING",
        "--store",
        f"sqlite:///{store}",
        "-O",
        str(tmp_path / "out.jsonl"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    from finews_crawler.storage import open_store

    with open_store(f"sqlite:///{store}") as opened:
        stored = {article["_id"] for article in opened.iter_articles()}
    assert stored == {mock_site.corpus.article_id(i) for i in range(5)}
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 5
