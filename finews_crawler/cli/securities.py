"""`finews securities refresh | show CODE | import FILE | export`: the security master.

refresh  learns every security East Money's list API (push2 clist, host FINEWS_EM_PUSH2_BASE)
         names; an unreachable or malformed answer is one line, a failure record and exit 1
show     the master's records of a code (600570, AAPL, 00700) or key (SH:600570), as JSON
import   JSON Lines of {code, market, name[, kind, secid, names]} (an `export`, or your own)
export   every record as JSON Lines on standard output
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finews_crawler.cli.common import dump_json, global_options, open_store

HELP = "the security master: refresh | show CODE | import FILE | export"
MAX_PAGES = 500  # per group: a list that never ends is cut here
TIMEOUT_SECONDS = 15.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    refresh = actions.add_parser(
        "refresh", help="learn from East Money's security list", parents=[global_options()]
    )
    refresh.add_argument("--base", help="list API host (default: $FINEWS_EM_PUSH2_BASE)")
    refresh.add_argument("--page-size", type=int, default=100)
    show = actions.add_parser("show", help="records of one code", parents=[global_options()])
    show.add_argument("code")
    imported = actions.add_parser("import", help="JSON Lines file", parents=[global_options()])
    imported.add_argument("file", help="JSON Lines ('-': standard input)")
    actions.add_parser("export", help="JSON Lines to stdout", parents=[global_options()])


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _fact(security: Any, learned_from: str, seen: str) -> dict[str, Any]:
    return {
        "code": security.code,
        "market": security.market,
        "kind": security.kind,
        "secid": security.secid,
        "name": security.name,
        "learned_from": learned_from,
        "seen": seen,
    }


def _get_json(url: str) -> Any:
    from urllib.request import Request, urlopen

    request = Request(url, headers={"User-Agent": "finews-crawler", "Referer": url})
    with urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
        return json.loads(answer.read().decode("utf-8"))


def refresh(args: argparse.Namespace, store: Any) -> int:
    from finews_crawler.sources.eastmoney import clist

    base = args.base or args.config.push2_base or clist.DEFAULT_BASE
    seen, learned, failed = _now(), 0, 0
    for group in clist.GROUPS:
        for page in range(1, MAX_PAGES + 1):
            url = clist.page_url(base, group, page, args.page_size)
            try:
                found, total = clist.read_page(_get_json(url))
            except (OSError, ValueError) as exc:  # URLError, timeouts, bad JSON, ClistError
                failed += 1
                reason = f"security list: {type(exc).__name__}: {exc}"[:300]
                print(f"finews securities refresh: {url}: {reason}", file=sys.stderr)
                store.record_failure(
                    {
                        "url": url,
                        "failed_url": url,
                        "stage": "securities",
                        "reason": reason,
                        "retriable": True,
                        "status": None,
                        "article_id": None,
                        "spider": "securities",
                    }
                )
                break
            if not found:
                break
            learned += store.securities.upsert([_fact(s, "clist", seen) for s in found])
            if total is not None and page * args.page_size >= total:
                break
    print(f"learned {learned} record(s) from the list API at {base}", file=sys.stderr)
    return 1 if failed else 0


def _import_facts(lines: Any, origin: str) -> tuple[list[dict[str, Any]], list[str]]:
    from finews_crawler.parsing.stocks import KINDS, from_market_code

    facts: list[dict[str, Any]] = []
    errors: list[str] = []
    seen = _now()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("code"), str):
            errors.append(f'line {number}: not an object with a "code" string')
            continue
        market = record.get("market") if record.get("market") != "OTHER" else None
        known = from_market_code(market, record["code"]) if isinstance(market, str) else None
        kind = record.get("kind") or (known.kind if known else "stock")
        if kind not in KINDS:
            errors.append(f"line {number}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
            continue
        names = [record.get("name")] + list(record.get("names") or [])
        for name in [n for n in names if isinstance(n, str) and n] or [""]:
            facts.append(
                {
                    "code": known.code if known else record["code"].strip().upper(),
                    "market": known.market if known else market,
                    "kind": kind,
                    "secid": record.get("secid") or (known.secid if known else None),
                    "name": name,
                    "learned_from": origin,
                    "seen": record.get("last_seen") or seen,
                }
            )
    return facts, errors


def run(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        if args.action == "refresh":
            return refresh(args, store)
        if args.action == "show":
            records = store.securities.find(args.code.strip())
            if not records:
                print(
                    f"finews securities: no security {args.code!r} in the master", file=sys.stderr
                )
                return 1
            print(dump_json(records))
            return 0
        if args.action == "export":
            try:
                for record in store.securities.iter():
                    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            except BrokenPipeError:  # `| head`: the reader has what it wanted
                sys.stderr.close()
            return 0
        if args.file == "-":
            facts, errors = _import_facts(sys.stdin, "import:-")
        else:
            path = Path(args.file)
            try:
                with path.open(encoding="utf-8") as lines:
                    facts, errors = _import_facts(lines, f"import:{path.name}")
            except OSError as exc:
                print(f"finews securities import: {exc}", file=sys.stderr)
                return 2
        for error in errors:
            print(f"finews securities import: {error}", file=sys.stderr)
        changed = store.securities.upsert(facts)
        print(f"imported {len(facts)} fact(s), {changed} record(s) changed", file=sys.stderr)
        return 1 if errors else 0
