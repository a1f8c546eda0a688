"""`finews show ID`: print one stored article."""

from __future__ import annotations

import argparse
import sys

from finews_crawler.cli.common import dump_json, open_store

HELP = "print one stored article"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", help="article id (18 digits) or infoCode (NW...)")
    parser.add_argument(
        "--text", action="store_true", help="title, date (Beijing time), media and body text only"
    )


def run(args: argparse.Namespace) -> int:
    from finews_crawler.article import ordered
    from finews_crawler.exporters.present import beijing

    with open_store(args) as store:
        article = store.get_article(args.id.removeprefix("NW").removeprefix("nw"))
    if article is None:
        print(f"finews: no article {args.id!r} in the store", file=sys.stderr)
        return 1
    if args.text:
        when = beijing(article.get("published_at"))  # Beijing time, as people read it
        print(f"{article['title']}\n{when}  {article.get('media') or ''}\n")
        print(article["body_text"])
    else:
        print(dump_json(ordered(article)))
    return 0
