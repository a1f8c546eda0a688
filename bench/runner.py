"""`finews bench [--quick] [--only PART ...]`: run the comparisons, write and show the results."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bench import crawl, extraction, memory, profile, report, storage, tables, wires
from bench.mongo import running_mongo

PARTS = ("crawl", "extraction", "storage", "memory", "profile", "wires")
# Full run sizes; --quick keeps every comparison and table but shrinks the work.
FULL = {
    "crawl": {
        "articles": 5_000,
        "small": 500,
        "repeats": 3,
        "sweep_articles": 2_000,
        "loop_budget_s": 8.0,
    },
    "extraction": 1_000,
    "storage": {"count": 10_000, "mongo_count": 5_000, "repeats": 3},
    "memory": (1_000, 10_000, 100_000),
    "profile": 5_000,
    "wires": 2_000,  # items per wire (and East Money article pages)
}
QUICK = {
    "crawl": {
        "articles": 500,
        "small": 100,
        "repeats": 1,
        "sweep_articles": 120,
        "loop_budget_s": 1.0,
    },
    "extraction": 60,
    "storage": {"count": 1_000, "mongo_count": 300, "repeats": 1},
    "memory": (400, 1_200),
    "profile": 300,
    "wires": 150,
}


def run(parts: tuple[str, ...], quick: bool, out_dir: Path) -> dict[str, Any]:
    sizes: dict[str, Any] = QUICK if quick else FULL
    results: dict[str, Any] = {
        "started_at": report.now_iso(),
        "quick": quick,
        "machine": report.machine(),
        "sizes": {part: sizes[part] for part in parts},
    }
    for part in parts:
        if not sizes[part]:
            continue  # not part of a quick run
        print(f"[bench] {part} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        if part == "crawl":
            results[part] = crawl.run(**sizes["crawl"])
        elif part == "extraction":
            results[part] = extraction.run(sizes["extraction"])
        elif part == "storage":
            with running_mongo() as mongo_uri:
                results[part] = storage.run(**sizes["storage"], mongo_uri=mongo_uri)
        elif part == "memory":
            results[part] = memory.run(sizes["memory"])
        elif part == "wires":
            results[part] = wires.run(sizes["wires"])
        elif part == "profile":
            stamp = results["started_at"].replace(":", "").replace("-", "")[:15]
            results[part] = profile.run(sizes["profile"], out_dir / f"{stamp}-profile")
        results[part]["seconds"] = round(time.perf_counter() - started, 1)
    results["checks"] = report.ratio_checks(results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="finews bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller work, under 3 minutes")
    parser.add_argument("--only", nargs="+", choices=PARTS, help="run only these parts")
    parser.add_argument("--out", default="bench/results", help="where results are written")
    args = parser.parse_args(argv)
    results = run(tuple(args.only or PARTS), args.quick, Path(args.out))
    json_path, chart_path = report.write(results, Path(args.out))
    print(tables.markdown(results))
    print(f"\nresults: {json_path}" + (f"\nchart:   {chart_path}" if chart_path else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
