"""`finews tag [--jsonl]`: tag text with stock codes and names, using the store's master.

Standard input: one document per line (its id is the line number), or with --jsonl one
{"id": ..., "text": ...} object per line. Standard output: one JSON line per document,
{"id": ..., "tags": [{code, market, kind, secid, name, via, confidence}, ...]}. A line that is
not a JSON object with a text gives {"id": ..., "line": N, "error": ...} and exit status 1;
the other lines are still tagged.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from finews_crawler.cli.common import open_store

HELP = "tag text (stdin, one document per line, or --jsonl) with stock codes and names"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jsonl", action="store_true", help='input lines are {"id", "text"}')


def _document(line: str, number: int, jsonl: bool) -> tuple[Any, str]:
    """(id, text) of one input line; ValueError says what is wrong with it."""
    if not jsonl:
        return number, line
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
        raise ValueError('not an object with a "text" string')
    return doc.get("id", number), doc["text"]


def run(args: argparse.Namespace) -> int:
    from pipelines.tagging import load_tagger

    with open_store(args) as store:
        tagger = load_tagger(store)
    status = 0
    out = sys.stdout
    for number, raw in enumerate(sys.stdin, start=1):
        line = raw.rstrip("\n").rstrip("\r")
        if args.jsonl and not line.strip():
            continue
        try:
            ident, text = _document(line, number, args.jsonl)
        except ValueError as exc:
            status = 1
            print(f"finews tag: line {number}: {exc}", file=sys.stderr)
            out.write(json.dumps({"id": None, "line": number, "error": str(exc)}) + "\n")
            continue
        tags = [tag.as_dict() for tag in tagger.tag(text)]
        out.write(json.dumps({"id": ident, "tags": tags}, ensure_ascii=False) + "\n")
    return status
