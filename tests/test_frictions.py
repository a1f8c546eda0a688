"""The frictions a new user met (issue 16, point 6), each run as that user would: the README's
commands, a crawl's output, the store it finds, the times it shows, the mock site's help.

Truths: the mock site's ground truth (/_truth) and request log (/_log), the README's commands,
and the rules written in the README (default store: $FINEWS_HOME or the folder holding
scrapy.cfg; times shown in +08:00; bad spider arguments: one line, exit status 2).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from finews_crawler.storage import open_store

TIMEOUT = 300
BEIJING = timedelta(hours=8)


def finews(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`finews ARGS` in `cwd`, with no FINEWS_* variable unless `env` sets it."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FINEWS_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "finews_crawler.cli", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=cwd,
        env=environment,
    )


def stored_articles(uri: str) -> dict[str, dict]:
    with open_store(uri) as store:
        return {article["_id"]: article for article in store.iter_articles()}


# ---- the README's `-a feeds=` list -----------------------------------------------------------


def test_readme_feeds_list_pages_exactly_the_named_feeds(start_mock_site, tmp_path) -> None:
    """`finews crawl feeds -a feeds=emnews,emmarket38` (the README's own example) pages those
    two feeds and no other: the mock site's request log says which it was asked for."""
    site = start_mock_site(articles=40)
    uri = f"sqlite:///{tmp_path / 'feeds.sqlite3'}"
    done = finews(
        *("--store", uri, "crawl", "feeds", "-a", "feeds=emnews,emmarket38"),
        *("-a", "max_pages=1", "-a", "count=10", "-s", f"FINEWS_FEED_BASE={site.base_url}"),
        *("-s", f"FINEWS_MARKET_FEED_BASE={site.base_url}"),
        *("-s", f"FINEWS_SHARE_BASE={site.base_url}"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    asked = list(site.get_json("/_log")["requests"])
    assert any("type=102" in path for path in asked), asked
    assert any("marketType=38" in path for path in asked), asked
    assert not any("type=45" in path or "marketType=37" in path for path in asked), asked
    assert stored_articles(uri)


# ---- article pages: the abstract, not its label ----------------------------------------------


def test_article_pages_store_the_abstract_not_its_label(mock_site, tmp_path) -> None:
    """An article page's `summary` is its abstract (the corpus's summary), never `摘要`."""
    uri = f"sqlite:///{tmp_path / 'pages.sqlite3'}"
    ids = [mock_site.corpus.article_id(i) for i in range(3)]
    urls = ",".join(mock_site.url(f"/a/{article_id}.html") for article_id in ids)
    done = finews(
        *("--store", uri, "crawl", "newsshare", "-a", f"url={urls}"),
        *("-s", f"FINEWS_SHARE_BASE={mock_site.base_url}"),  # East Money's pages on this host
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    stored = stored_articles(uri)
    for article_id in ids:
        truth = mock_site.get_json(f"/_truth/{article_id}.json")
        assert stored[article_id]["extractor"].endswith("page"), stored[article_id]["extractor"]
        assert stored[article_id]["summary"] == truth["summary"]


# ---- -O x.csv --------------------------------------------------------------------------------


def test_csv_feed_export_writes_list_fields_as_json(mock_site, tmp_path) -> None:
    """`finews crawl ... -O x.csv`: `stocks` (and the other list fields) are JSON cells that
    read back to the corpus's stocks; dates are ISO 8601 with their offset."""
    uri = f"sqlite:///{tmp_path / 'csv.sqlite3'}"
    ids = [mock_site.corpus.article_id(i) for i in range(4)]
    out = tmp_path / "articles.csv"
    done = finews(
        *("--store", uri, "crawl", "newsshare", "-a", f"info_codes={','.join(ids)}"),
        *("-s", f"FINEWS_SHARE_BASE={mock_site.base_url}", "-O", str(out)),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with out.open(encoding="utf-8", newline="") as rows:
        by_id = {row["_id"]: row for row in csv.DictReader(rows)}
    assert set(by_id) == set(ids)
    for article_id, row in by_id.items():
        truth = mock_site.get_json(f"/_truth/{article_id}.json")
        stocks = json.loads(row["stocks"])
        assert {(s["code"], s["market"]) for s in stocks} == {
            (s["code"], s["market"]) for s in truth["stocks"]
        }
        assert json.loads(row["images"]) == truth["images"]
        published = datetime.fromisoformat(row["published_at"])
        assert published == datetime.fromisoformat(truth["published_at"])


# ---- the default store -----------------------------------------------------------------------


def test_outside_a_project_the_default_store_is_refused_in_one_line(tmp_path) -> None:
    """`cd /tmp && finews count`: no store named, no project, no FINEWS_HOME -> one line,
    exit 2, and no ./data created."""
    crawl = ["crawl", "newsshare", "-a", "info_codes=NW202201032300000000"]
    for args in (["count"], crawl, ["demo", "--articles", "3"]):
        done = finews(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "no store given and no project found" in lines[0], lines
        assert not (tmp_path / "data").exists()


def test_finews_home_holds_the_default_store(tmp_path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = finews("count", cwd=elsewhere, env={"FINEWS_HOME": str(home)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
    assert (home / "data" / "finews.sqlite3").is_file()
    assert not (elsewhere / "data").exists()


def test_the_project_folder_holding_scrapy_cfg_holds_the_default_store(tmp_path) -> None:
    """From any folder below a project (the folder with scrapy.cfg), the project's store."""
    project = tmp_path / "project"
    below = project / "notes" / "2026"
    below.mkdir(parents=True)
    (project / "scrapy.cfg").write_text("[settings]\ndefault = finews_crawler.settings\n")
    done = finews("count", cwd=below)
    assert done.returncode == 0, done.stderr
    assert (project / "data" / "finews.sqlite3").is_file()
    assert not (below / "data").exists()


# ---- bad spider arguments --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["newsshare"],
        ["newsshare", "-a", "urls_file=no-such-file.txt"],
        ["emnews", "-a", "max_pages=abc"],
        ["newsshare", "-a", "info_codes=NW202201032300000000", "-a", "max_pages=abc"],
        ["feeds", "-a", "feeds=nosuchfeed"],
        ["emnews", "-a", "count=many"],
    ],
    ids=[
        "no-input",
        "missing-urls-file",
        "max-pages-abc",
        "newsshare-takes-no-max-pages",
        "unknown-feed",
        "count-not-a-number",
    ],
)
def test_bad_spider_arguments_are_one_line_and_exit_2(args: list[str], tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'args.sqlite3'}"
    done = finews("--store", uri, "crawl", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"finews crawl {args[0]}: "), lines
    assert "Traceback" not in done.stderr


# ---- a quiet crawl ---------------------------------------------------------------------------


def test_a_crawl_is_quiet_by_default_and_says_more_with_L_INFO(mock_site, tmp_path) -> None:
    """Without -L a crawl prints its summary (and the progress line on a terminal), not
    Scrapy's INFO lines; `-L INFO` or FINEWS_LOG_LEVEL=INFO brings them back."""
    uri = f"sqlite:///{tmp_path / 'quiet.sqlite3'}"
    code = f"info_codes={mock_site.corpus.article_id(0)}"
    base = f"FINEWS_SHARE_BASE={mock_site.base_url}"
    quiet = finews("--store", uri, "crawl", "newsshare", "-a", code, "-s", base, cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    lines = [line for line in quiet.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("newsshare: pages fetched"), lines
    loud = finews(
        *("--store", uri, "crawl", "newsshare", "-a", code, "-s", base, "-L", "INFO"),
        cwd=tmp_path,
    )
    assert loud.returncode == 0, loud.stderr[-3000:]
    assert " INFO: " in loud.stderr
    assert any(line.startswith("newsshare: pages fetched") for line in loud.stderr.splitlines())
    by_environment = finews(
        *("--store", uri, "crawl", "newsshare", "-a", code, "-s", base),
        cwd=tmp_path,
        env={"FINEWS_LOG_LEVEL": "INFO"},
    )
    assert by_environment.returncode == 0, by_environment.stderr[-3000:]
    assert " INFO: " in by_environment.stderr


# ---- times as people read them ---------------------------------------------------------------


def test_show_text_prints_the_time_in_beijing_time(mock_site, tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'show.sqlite3'}"
    article_id = mock_site.corpus.article_id(1)
    done = finews(
        *("--store", uri, "crawl", "newsshare", "-a", f"info_codes={article_id}"),
        *("-s", f"FINEWS_SHARE_BASE={mock_site.base_url}"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shown = finews("--store", uri, "show", article_id, "--text", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    truth = mock_site.get_json(f"/_truth/{article_id}.json")
    title, when_media = shown.stdout.splitlines()[:2]
    assert title == truth["title"]
    when = datetime.fromisoformat(when_media.split("  ")[0])
    assert when.utcoffset() == BEIJING
    assert when == datetime.fromisoformat(truth["published_at"])
    assert when_media.endswith(truth["media"])


# ---- the mock site ---------------------------------------------------------------------------


def test_mock_site_help_names_the_finews_command(tmp_path) -> None:
    done = finews("mock-site", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: finews mock-site")


def test_mock_site_index_page_links_only_to_pages_that_answer(mock_site) -> None:
    """GET / is an index page; every route it links to answers 200."""
    import re

    status, headers, body = mock_site.get("/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    links = re.findall(r'href="([^"]+)"', body.decode("utf-8"))
    assert len(links) >= 10
    for link in links:
        path = link.replace("&amp;", "&")
        assert mock_site.get(path)[0] == 200, path


def test_the_outage_spool_lives_beside_the_default_store_never_in_the_cwd(tmp_path) -> None:
    """The MongoDB outage spool's default folder follows the default store's rule (README,
    Configuration): data/spool in FINEWS_HOME or the project, else a user-level folder."""
    from finews_crawler.config import default_spool_dir

    project, outside = tmp_path / "project", tmp_path / "outside"
    (project / "sub").mkdir(parents=True)
    outside.mkdir()
    (project / "scrapy.cfg").write_text("[settings]\ndefault = finews_crawler.settings\n")
    home = tmp_path / "home"
    assert Path(default_spool_dir({"FINEWS_HOME": str(home)}, outside)) == home / "data" / "spool"
    assert Path(default_spool_dir({}, project / "sub")) == project.resolve() / "data" / "spool"
    fallback = Path(default_spool_dir({}, outside))
    assert fallback == Path.home() / ".local" / "state" / "finews" / "spool"
    assert not fallback.is_relative_to(outside)


def test_replay_without_a_spool_says_there_is_nothing_to_replay(tmp_path) -> None:
    """A store that never had an outage has no spool file: `finews replay` says so and
    names no file as if it had read it."""
    store = f"sqlite:///{tmp_path / 'finews.sqlite3'}"
    spool = tmp_path / "spool"
    done = finews("--store", store, "replay", "--spool-dir", str(spool), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("nothing to replay: no spool at")
    assert not spool.exists() or not any(spool.iterdir())  # nothing made up either
