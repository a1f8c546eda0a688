"""What several commands share: the global options, opening the store, JSON output, and
importing the development packages (mocksite/, bench/) with a one-line hint when absent."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from datetime import datetime
from typing import Any

from finews_crawler.storage import Store


def global_options() -> argparse.ArgumentParser:
    """Options accepted before or after the command: `finews --store X count` and
    `finews count --store X`. SUPPRESS keeps a subcommand from resetting a value given before
    the command."""
    options = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    options.add_argument(
        "--store",
        default=argparse.SUPPRESS,
        help="store URI (default: $FINEWS_STORE, else data/finews.sqlite3 in $FINEWS_HOME or in"
        " the project folder: the nearest one holding scrapy.cfg)",
    )
    return options


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default, indent=2)


def open_store(args: argparse.Namespace) -> Store:
    """The store the command line names; an unreachable one is one line and exit 2."""
    from finews_crawler.storage import StoreError
    from finews_crawler.storage import open_store as open_uri

    try:
        return open_uri(args.config.store_uri)
    except StoreError as exc:
        print(f"finews: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def dev_import(module: str, command: str, extra: str) -> Any:
    """Import a development package (mocksite/, bench/ are not in the product wheel), or say in
    one line what to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        print(
            f"finews {command}: needs {exc.name!r} (development extra {extra!r}): from a source"
            f" checkout run pip install -e '.[{extra}]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def default_share_base() -> str:
    """The share-page host when neither --share-base nor $FINEWS_SHARE_BASE names one."""
    from finews_crawler.sources.eastmoney import DEFAULT_SHARE_BASE

    return DEFAULT_SHARE_BASE


def name_values(pairs: list[str]) -> dict[str, str]:
    """`-s NAME=VALUE` options as a dict (Scrapy settings)."""
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"-s expects NAME=VALUE, got {pair!r}")
        settings[name] = value
    return settings
