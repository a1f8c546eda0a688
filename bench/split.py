"""Where the pipelines' CPU goes inside the crawl: in the stages, in the store's writer, or
around them (Scrapy's item handling, signals, the spider's extra work, GC outside the stages).

The CPU-bound crawl (bench.crawl) gives the pipelines' cost as a difference of slopes, ours
minus fetch-only; bench.stages times the stages in a tight loop. This runs the crawl itself
(the same command, the same static site) with the stage chain and the store writer timed from
inside, by the process's CPU clock:

  stages   CPU inside the stages' process_item (extract, normalize, validate, dedupe and the
           store stage's batching), per article
  writer   CPU of the store's writes and securities learning (StorePipeline._write/_learn)
  gc       the cyclic collector's CPU (gc.callbacks), ours and fetch-only
  crawl    the process's CPU from spider open to exit (start-up before it excluded)
  around   ours' crawl CPU - fetch-only's - stages - writer: what the pipelines cost outside
           the timed code

Each is the slope between a small and a large crawl (per-crawl costs after spider open, such
as the first use of the parsers or the tagger, cancel out). Ours and fetch-only run
interleaved, `--repeats` times at each size; medians are printed (CPU ms per article).

    python -m bench.split [--small N] [--articles N] [--repeats N] [--code DIR] [--before DIR]

--code runs the crawls on another checkout of the project (its directory), timed by this
module all the same; --before DIR adds an earlier checkout, all crawls interleaved.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import os
import runpy
import statistics
import sys
import time
from pathlib import Path
from typing import Any

OUT_ENV = "FINEWS_SPLIT_OUT"


def _inside(argv: list[str]) -> None:
    """Run `python -m MODULE ARGS` (argv) in this process with the timers installed."""
    from finews_crawler.crawl.gc_freeze import GcFreeze
    from pipelines import stage, store

    spent: dict[str, Any] = {"stages": 0.0, "writer": 0.0, "gc": 0.0, "calls": 0}
    clock = time.process_time

    process_item = stage.Stage.process_item  # every stage's (the store's calls it too)

    def timed_process_item(self: Any, item: Any) -> Any:
        started = clock()
        try:
            return process_item(self, item)
        finally:
            spent["stages"] += clock() - started
            spent["calls"] += 1

    def timed_async(method: Any) -> Any:
        async def timed(self: Any, *args: Any) -> Any:
            started = clock()
            try:
                return await method(self, *args)
            finally:
                spent["writer"] += clock() - started

        return timed

    stage.Stage.process_item = timed_process_item  # type: ignore[method-assign]
    store.StorePipeline._write = timed_async(store.StorePipeline._write)  # type: ignore[method-assign]
    store.StorePipeline._learn = timed_async(store.StorePipeline._learn)  # type: ignore[method-assign]

    spider_opened = GcFreeze.spider_opened

    def opened(self: Any, spider: Any) -> None:
        spent["opened_cpu"] = clock()
        spider_opened(self, spider)

    GcFreeze.spider_opened = opened  # type: ignore[method-assign]

    collecting: list[float] = []

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            collecting.append(clock())
        elif collecting:
            spent["gc"] += clock() - collecting.pop()

    gc.callbacks.append(on_gc)

    def report() -> None:
        spent["total_cpu"] = clock()
        Path(os.environ[OUT_ENV]).write_text(json.dumps(spent))

    atexit.register(report)
    sys.argv = argv
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)


def inside_command(argv: list[str]) -> list[str]:
    """`python -m ARGV` under the timers of this file, loaded by path: the working directory
    (this checkout or --code's) supplies every other module."""
    load = (
        "import importlib.util, sys;"
        f"spec = importlib.util.spec_from_file_location('finews_bench_split', {__file__!r});"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module);"
        "module._inside(sys.argv[1:])"
    )
    return [sys.executable, "-c", load, *argv]


def measure(
    small: int, articles: int, repeats: int, work: Path, checkouts: dict[str, str | None]
) -> dict[str, Any]:
    """`checkouts`: label -> the directory whose code the crawls run (None: this one); all
    crawls interleaved, so that every checkout meets the same machine load."""
    from bench import static_site
    from bench.crawl import CRAWL_TIMEOUT, commands, crawler_cpus, record_answers
    from bench.measure import run_measured

    answers = work / "answers.pickle"
    record_answers(articles, 5, answers)
    names = ("ours", "scrapy fetch-only")
    runs: dict[tuple[str, str, int], list[dict]] = {
        (label, name, count): []
        for count in (small, articles)
        for label in checkouts
        for name in names
    }
    with static_site.running_static_site(answers, 0) as site:
        for attempt in range(repeats):
            for label, name, count in runs:
                out = work / f"split-{attempt}-{label}-{count}-{name.replace(' ', '-')}.json"
                crawl = commands(name, site.base_url, count, work)
                measured = run_measured(
                    inside_command(crawl[2:]),
                    timeout=CRAWL_TIMEOUT,
                    cpus=crawler_cpus(),
                    env={OUT_ENV: str(out)},
                    cwd=checkouts[label],
                )
                if not out.exists():
                    raise SystemExit(f"{label} {name} failed: {measured.stderr_tail}")
                spent = json.loads(out.read_text())
                spent["crawl"] = spent["total_cpu"] - spent.get("opened_cpu", 0.0)
                runs[label, name, count].append(spent)
                print(f"  {label} {name} {count}: {spent}", file=sys.stderr)

    def slope(label: str, name: str, key: str) -> float:
        large = statistics.median(run[key] for run in runs[label, name, articles])
        base = statistics.median(run[key] for run in runs[label, name, small])
        return 1000 * (large - base) / (articles - small)

    summaries = {}
    for label in checkouts:
        ours = {key: slope(label, "ours", key) for key in ("crawl", "stages", "writer", "gc")}
        fetch = {key: slope(label, "scrapy fetch-only", key) for key in ("crawl", "gc")}
        pipelines = ours["crawl"] - fetch["crawl"]
        summary = {
            "ours crawl": ours["crawl"],
            "fetch-only crawl": fetch["crawl"],
            "pipelines (ours - fetch-only)": pipelines,
            "stages": ours["stages"],
            "writer": ours["writer"],
            "around": pipelines - ours["stages"] - ours["writer"],
            "gc ours": ours["gc"],
            "gc fetch-only": fetch["gc"],
        }
        summaries[label] = {key: round(value, 3) for key, value in summary.items()}
    return {
        "small": small,
        "articles": articles,
        "repeats": repeats,
        "cpu_ms_per_article": summaries,
        "runs": {" ".join(map(str, key)): spent for key, spent in runs.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--code", help="a checkout whose code the crawls run")
    parser.add_argument("--before", help="an earlier checkout to compare with, interleaved")
    args = parser.parse_args(argv)
    checkouts: dict[str, str | None] = {
        "now": str(Path(args.code).resolve()) if args.code else None
    }
    if args.before:
        checkouts["before"] = str(Path(args.before).resolve())
    from bench.measure import scratch_dir

    with scratch_dir("finews-bench-split-") as work:
        result = measure(args.small, args.articles, args.repeats, work, checkouts)
    print(f"CPU ms per article ({result['small']} -> {result['articles']} articles)")
    print(f"  {'':32s} " + " ".join(f"{label:>8s}" for label in checkouts))
    for key in result["cpu_ms_per_article"]["now"]:
        values = " ".join(f"{result['cpu_ms_per_article'][label][key]:8.3f}" for label in checkouts)
        print(f"  {key:32s} {values}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
