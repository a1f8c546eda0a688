"""`finews articles`: the stored articles a filter selects, newest first."""

from __future__ import annotations

import argparse
import json
import sys

from finews_crawler.cli.common import open_store
from finews_crawler.cli.filters import add_article_filters, article_query

HELP = "list stored articles (filters: stock, source, media, since, until, text, importance)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_article_filters(parser)
    parser.add_argument("--limit", type=int, default=20, help="at most N articles (default 20)")
    parser.add_argument("--cursor", help="continue after the page that printed this cursor")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="one JSON object per line")
    shown.add_argument("--table", action="store_true", help="a table (the default)")


def run(args: argparse.Namespace) -> int:
    from finews_crawler.exporters.present import article_view, beijing_short
    from finews_crawler.storage.query import encode_cursor

    with open_store(args) as store:
        query = article_query("articles", store, args, limit=args.limit, cursor=args.cursor)
        articles = list(store.find_articles(query))
    for article in articles:
        if args.json:
            print(json.dumps(article_view(article), ensure_ascii=False))
        else:
            stocks = ",".join(s.get("code") or "" for s in article.get("stocks") or ())
            print(
                f"{beijing_short(article.get('published_at'))}  {article['_id']}"
                f"  [{article.get('media') or '-'}]  {article.get('title') or ''}"
                + (f"  ({stocks})" if stocks else "")
            )
    more = ""
    if query.limit is not None and len(articles) == query.limit:
        more = f"; more with --cursor {encode_cursor(articles[-1])}"
    print(f"{len(articles)} article(s){more}", file=sys.stderr)
    return 0
