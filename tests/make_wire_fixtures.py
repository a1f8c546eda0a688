"""Write the cls and ths extraction fixtures from the mock's synthetic wires (seed 7).

    python -m tests.make_wire_fixtures            # write missing cases
    python -m tests.make_wire_fixtures --overwrite

Each case (finews_crawler/sources/fixtures/<wire>/<case>/) is one synthetic item as the wire
serves it (page.json), its entry URL (meta.json) and expected.json: the generator's truth in
the store's shapes (truth_as_stored below: the rules written in mocksite/wires/corpus.py plus
the store's secid convention), never the adapter's own output.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from mocksite.wires import WireSet

FIXTURES = Path(__file__).resolve().parents[1] / "finews_crawler" / "sources" / "fixtures"
SEED = 7
ITEMS = 400
BASE = "http://wire.example"
PATHS = {"cls": "/v1/roll/get_roll_list", "ths": "/tapp/news/push/stock/"}
# The store's secid (parsing/stocks/markets.py): a market number, a dot, the code.
SECID_PREFIX = {"SH": "1", "SZ": "0", "BJ": "0", "HK": "116", "US": "105"}


def secid(stock: dict[str, Any]) -> str:
    """East Money style for the five quote markets; the wire's notation for the rest."""
    prefix = SECID_PREFIX.get(stock["market"] or "")
    return f"{prefix}.{stock['code']}" if prefix else stock["notation"]


def listed(entry: dict[str, Any], with_market: bool) -> dict[str, Any]:
    out = {"code": entry["code"]}
    if with_market:
        out["market"] = entry["market"]
    out.update(
        secid=secid(entry) if with_market else entry["notation"],
        name=entry["name"],
        via="source",
        notation=entry["notation"],
    )
    return out


def truth_as_stored(truth: dict[str, Any]) -> dict[str, Any]:
    """A wire truth record in the store's field shapes (shared by tests/test_wires.py)."""
    record = {
        "_id": truth["id"],
        "source": truth["wire"],
        "source_id": truth["source_id"],
        "url": truth["url"],
        "title": truth["title"],
        "title_derived": truth["title_derived"],
        "published_at": datetime.fromisoformat(truth["published_at"]),
        "body_text": truth["body_text"],
        "summary": truth["summary"],
        "media": truth["media"],
        "importance": truth["importance"],
        "tags": truth["tags"],
        "stocks": [listed(s, True) for s in truth["stocks"]],
        "boards": [listed(b, False) for b in truth["boards"]],
    }
    if truth["wire"] == "emfast":  # the item is the East Money article of that number
        record["source"] = "eastmoney"
        del record["url"], record["summary"]  # the article's URL; no summary of its own
        record["title_derived"] = None  # the wire always gives a title
        for entry in [*record["stocks"], *record["boards"]]:
            entry["secid"] = entry.pop("notation")  # the wire writes East Money secids
    if truth["wire"] == "ths":
        record["futures"] = [listed(f, False) for f in truth["futures"]]
    if truth["modified_at"] is not None:
        record["modified_at"] = datetime.fromisoformat(truth["modified_at"])
    return record


Pick = Callable[[dict[str, Any]], bool]
CASES: dict[str, dict[str, Pick]] = {
    "cls": {
        "titled-two-stocks": lambda t: not t["title_derived"] and len(t["stocks"]) >= 2,
        "headline-only-title": lambda t: t["_raw"]["title"] == "" and not t["title_derived"],
        "derived-title-outlet": lambda t: t["title_derived"] and t["media"] != "财联社",
        "level-b-subjects": lambda t: t["importance"] == 1 and bool(t["tags"]),
        "beijing-stock": lambda t: any(s["market"] == "BJ" for s in t["stocks"]),
    },
    "ths": {
        "hk-and-us-stocks": lambda t: {"HK", "US"} <= {s["market"] for s in t["stocks"]},
        "futures-apart": lambda t: bool(t["futures"]) and bool(t["stocks"]),
        "board-field-top-importance": lambda t: bool(t["boards"]) and t["importance"] == 2,
        "neeq-stock": lambda t: any(s["market"] == "NEEQ" for s in t["stocks"]),
        "fund-and-outlet": lambda t: (
            any(s["code"].startswith(("51", "15")) for s in t["stocks"]) or t["media"] != "同花顺"
        ),
    },
}


def write(overwrite: bool) -> list[Path]:
    wires = WireSet.build(seed=SEED, items=ITEMS)
    written = []
    for wire, cases in CASES.items():
        items = [it for it in wires.feed(wire).items() if it.truth() is not None]
        for case, pick in cases.items():
            folder = FIXTURES / wire / case
            if folder.exists() and not overwrite:
                continue
            item = next(it for it in items if pick({**it.truth(), "_raw": it.raw}))  # type: ignore[arg-type]
            folder.mkdir(parents=True, exist_ok=True)
            meta = {
                "url": f"{BASE}{PATHS[wire]}#{item.key}",
                "content_type": "application/json",
                "context": {},
                "note": f"synthetic item of the mock's {wire} wire (seed {SEED}); expected = the"
                " generator's truth (tests/make_wire_fixtures.py)",
            }
            expected = truth_as_stored(item.truth())  # type: ignore[arg-type]
            expected["extractor"] = f"{wire}:item"
            files = {
                "page.json": item.raw,
                "meta.json": meta,
                "expected.json": expected,
            }
            for name, data in files.items():
                text = json.dumps(data, ensure_ascii=False, indent=1, default=_iso)
                (folder / name).write_text(text + "\n", encoding="utf-8")
            written.append(folder)
    return written


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overwrite", action="store_true")
    for folder in write(parser.parse_args().overwrite):
        print(folder)


if __name__ == "__main__":
    main()
