"""`finews demo`: the whole product in one command, on the local mock site.

Starts the mock site on a free loopback port, crawls share pages of N articles into the
embedded store with the real `finews crawl`, prints the summary and three stored articles,
and stops the mock site.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from finews_crawler.cli.common import dev_import
from finews_crawler.parsing.dates import to_source_time
from finews_crawler.sources.eastmoney import share_url
from finews_crawler.storage import ArticleQuery, open_store

HELP = "mock site + crawl + show, all on loopback"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)


def run(args: argparse.Namespace) -> int:
    if not args.config.store_uri:  # outside a project, nothing named: say so before starting
        from finews_crawler.config import NO_STORE

        print(f"finews demo: {NO_STORE}", file=sys.stderr)
        return 2
    return run_demo(args.articles, args.seed, args.config.store_uri)


def run_demo(articles: int, seed: int, uri: str) -> int:
    MockCorpus = dev_import("mocksite.corpus", "demo", "mock").MockCorpus
    running_mock_site = dev_import("mocksite.process", "demo", "mock").running_mock_site
    corpus = MockCorpus(seed=seed, count=articles)
    with running_mock_site(articles, seed) as site, tempfile.TemporaryDirectory() as work:
        print(f"mock site: {site.base_url} ({articles} articles, seed {seed})")
        urls_file = Path(work) / "share-urls.txt"
        urls = (share_url(site.base_url, f"NW{corpus.article_id(i)}") for i in range(articles))
        urls_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
        print(f"crawling {articles} share pages into {uri} ...", flush=True)
        crawl = subprocess.run(
            [sys.executable, "-m", "finews_crawler.cli", "--store", uri, "crawl", "newsshare"]
            + ["-a", f"urls_file={urls_file}", "-L", "WARNING"],
            check=False,
        )
    with open_store(uri) as opened:
        ids = [corpus.article_id(i) for i in (articles - 1, articles // 2, 0)]
        print(f"\n{opened.count_articles()} articles in the store; three of them:\n")
        for article in opened.iter_articles(ArticleQuery(ids=ids)):
            stocks = ", ".join(f"{s['code']}.{s['market']}" for s in article["stocks"]) or "-"
            when = to_source_time(article["published_at"]).strftime("%Y-%m-%d %H:%M:%S %z")
            print(f"[{article['_id']}] {article['title']}")
            print(f"  {when} | {article.get('media')} | stocks: {stocks}")
            for line in article["body_text"].splitlines()[:2]:
                print(f"  {line[:90]}")
            print()
    return crawl.returncode
