"""Crawl: CPU per article where the crawler is the bottleneck, and a network latency sweep.

Every crawl reads the rolling feed and fetches each article's text API. The answers are first
recorded from the mock site and then served by `static_site` (pre-rendered bytes, on its own
core when there are two, with the crawler on the others), so the site is never the limit: each
run reports the server's own CPU seconds beside the crawler's.

  cpu_bound  ours (`finews crawl emnews`: feed -> text API -> pipelines -> SQLite) and the same
             Scrapy crawl with ITEM_PIPELINES={} (fetch-only), no latency. CPU per article is
             the slope between a small and a large crawl (start-up cost removed), user+sys of
             the crawler process from rusage. CPU-bound, throughput is 1 / CPU per article, so
             ours / fetch-only = fetch-only CPU per article / ours.
  sweep      the same answers delayed by 0, 10, 50 and 200 ms, for ours, fetch-only Scrapy, the
             replaced archive's sequential `requests` loop and an aiohttp fetch-only client at
             our per-host concurrency. articles/s is counted by the server from the first to
             the last request it saw (client start-up excluded for everyone).
"""

from __future__ import annotations

import json
import math
import os
import pickle
import statistics
import sys
from pathlib import Path
from typing import Any

from bench import static_site
from bench.measure import run_measured, scratch_dir
from bench.peers import PAGE, api_url, feed_url
from finews_crawler.settings import CONCURRENT_REQUESTS_PER_DOMAIN
from mocksite.process import running_mock_site

CRAWL_TIMEOUT = 3600
SWEEP_MS = (0, 10, 50, 200)


def feed_crawl_command(store_uri: str, base: str, *extra: str) -> list[str]:
    """`finews crawl emnews` against a mock site, quiet, no progress line."""
    return [
        sys.executable,
        "-m",
        "finews_crawler.cli",
        "--store",
        store_uri,
        "crawl",
        "emnews",
        "-s",
        f"FINEWS_FEED_BASE={base}",
        "-s",
        f"FINEWS_SHARE_BASE={base}",
        "-s",
        "FINEWS_PROGRESS=0",
        "-L",
        "WARNING",
        *extra,
    ]


def _limit(articles: int) -> tuple[str, ...]:
    """Crawl only the first `articles` feed entries (whole feed pages of PAGE)."""
    return ("-a", f"count={PAGE}", "-a", f"max_pages={math.ceil(articles / PAGE)}")


def commands(name: str, base: str, articles: int, work: Path) -> list[str]:
    peer = [sys.executable, "-m", "bench.peers"]
    store = f"sqlite:///{work}/{name}-{os.urandom(4).hex()}.sqlite3"
    if name == "ours":
        return feed_crawl_command(store, base, *_limit(articles))
    if name == "scrapy fetch-only":
        return feed_crawl_command(store, base, *_limit(articles), "-s", "ITEM_PIPELINES={}")
    if name == "requests loop":
        return [*peer, "requests-loop", base, str(articles), str(work / f"posts-{articles}")]
    if name == "aiohttp fetch-only":
        concurrency = str(CONCURRENT_REQUESTS_PER_DOMAIN)
        return [*peer, "aiohttp", base, str(articles), concurrency]
    raise ValueError(name)


def record_answers(articles: int, seed: int, path: Path) -> int:
    """Every answer the crawls ask for (robots.txt, the feed pages, each article's text API),
    rendered once by the mock site and pickled."""
    with running_mock_site(articles, seed) as site:
        pages = [feed_url("", page) for page in range(1, math.ceil(articles / PAGE) + 1)]
        answers = static_site.record(site.base_url, ["/robots.txt", *pages])
        codes = []
        for page in pages:
            body = answers[page].split(b"\r\n\r\n", 1)[1]
            codes += [record["infoCode"] for record in json.loads(body)["records"]]
        answers.update(static_site.record(site.base_url, [api_url("", c) for c in codes]))
    path.write_bytes(pickle.dumps(answers))
    return len(answers)


def crawler_cpus() -> set[int] | None:
    server = static_site.last_cpu()
    return set(os.sched_getaffinity(0)) - server if server else None


def measured(
    site: static_site.StaticSite, name: str, articles: int, work: Path, code: str | None = None
) -> dict:
    """One crawl against the static site: the crawler's CPU and the server's, rate in window.
    `code`: run it on that checkout of the project (its directory), not this one."""
    before = site.stats()
    measure = run_measured(
        commands(name, site.base_url, articles, work),
        timeout=CRAWL_TIMEOUT,
        cpus=crawler_cpus(),
        cwd=code,
    )
    after = site.stats()
    window = max(after["last"] - after["first"], 1e-6)
    # Fetch-only stores nothing, so its feeds end "unfinished" (exit 1) by design: the pager
    # counts a page covered only once the store holds its articles. Its pages are all fetched.
    ok = measure.returncode == 0 or (name == "scrapy fetch-only" and measure.returncode == 1)
    if not ok:
        print(f"  {name} failed: {measure.stderr_tail}", file=sys.stderr)
    return {
        "name": name,
        "articles": articles,
        "ok": ok,
        "wall_s": round(measure.wall_s, 3),
        "cpu_s": round(measure.cpu_s, 3),
        "cpu_ms_per_article_all_in": round(1000 * measure.cpu_s / articles, 3),
        "requests": after["requests"],
        "window_s": round(window, 3),
        "articles_per_s": round(articles / window, 1),
        "server_cpu_s": round(after["cpu_s"] - before["cpu_s"], 3),
        "server_busy": round((after["cpu_s"] - before["cpu_s"]) / window, 3),
        "peak_rss_mb": round(measure.peak_rss_mb, 1),
    }


def cpu_bound(
    answers: Path, work: Path, small: int, large: int, repeats: int, code: str | None = None
) -> dict:
    """Ours and fetch-only, interleaved (small, then `repeats` rounds of one large crawl
    each), so that both meet the same machine load; medians of the large crawls."""
    names = ("ours", "scrapy fetch-only")
    runs: list[dict] = []
    base: dict[str, dict] = {}
    big: dict[str, list[dict]] = {name: [] for name in names}
    with static_site.running_static_site(answers, 0) as site:
        for name in names:
            base[name] = measured(site, name, small, work, code)
        for _ in range(repeats):
            for name in names:
                big[name].append(measured(site, name, large, work, code))
    summary: dict[str, dict] = {}
    for name in names:
        runs += [base[name], *big[name]]
        cpu_large = statistics.median(run["cpu_s"] for run in big[name])
        slope = (cpu_large - base[name]["cpu_s"]) / (large - small)
        summary[name] = {
            "cpu_ms_per_article": round(1000 * slope, 3),
            "startup_cpu_s": round(base[name]["cpu_s"] - small * slope, 2),
            "cpu_ms_per_article_all_in": round(1000 * cpu_large / large, 3),
            "articles_per_s": statistics.median(run["articles_per_s"] for run in big[name]),
            "server_busy": max(run["server_busy"] for run in big[name]),
            "server_cpu_ms_per_article": round(
                1000 * statistics.median(run["server_cpu_s"] for run in big[name]) / large, 3
            ),
        }
        print(f"  cpu-bound {name}: {summary[name]}", file=sys.stderr)
    ours, fetch = summary["ours"], summary["scrapy fetch-only"]
    return {
        "small": small,
        "large": large,
        "repeats": repeats,
        "interleaved": True,
        "crawler_cpus": sorted(crawler_cpus() or []),
        "server_cpu": sorted(static_site.last_cpu() or []),
        "summary": summary,
        "pipeline_cpu_ms_per_article": round(
            ours["cpu_ms_per_article"] - fetch["cpu_ms_per_article"], 3
        ),
        "runs": runs,
        "ratio_cpu": round(fetch["cpu_ms_per_article"] / ours["cpu_ms_per_article"], 3),
        "ratio_throughput": round(ours["articles_per_s"] / fetch["articles_per_s"], 3),
    }


def loop_articles(articles: int, latency_ms: int, budget_s: float) -> int:
    """The sequential loop does fewer articles at high latency (its rate is steady)."""
    return max(10, min(articles, int(budget_s * 1000 / max(latency_ms + 2, 1))))


def sweep(answers: Path, work: Path, articles: int, loop_budget_s: float) -> dict:
    rows = []
    for latency in SWEEP_MS:
        with static_site.running_static_site(answers, latency) as site:
            for name in ("ours", "scrapy fetch-only", "requests loop", "aiohttp fetch-only"):
                count = loop_articles(articles, latency, loop_budget_s)
                count = count if name == "requests loop" else articles
                rows.append({"latency_ms": latency, **measured(site, name, count, work)})
                print(
                    f"  {latency} ms {name}: {rows[-1]['articles_per_s']} articles/s",
                    file=sys.stderr,
                )

    def rate(latency: int, name: str) -> float:
        return next(
            r["articles_per_s"] for r in rows if r["latency_ms"] == latency and r["name"] == name
        )

    ratios = {
        str(latency): {
            "ours / scrapy fetch-only": round(
                rate(latency, "ours") / rate(latency, "scrapy fetch-only"), 3
            ),
            "ours / requests loop": round(
                rate(latency, "ours") / rate(latency, "requests loop"), 2
            ),
            "ours / aiohttp fetch-only": round(
                rate(latency, "ours") / rate(latency, "aiohttp fetch-only"), 3
            ),
        }
        for latency in SWEEP_MS
    }
    return {"articles": articles, "rows": rows, "ratios": ratios}


def run(
    articles: int,
    *,
    small: int,
    repeats: int,
    sweep_articles: int,
    loop_budget_s: float,
    seed: int = 5,
) -> dict[str, Any]:
    with scratch_dir("finews-bench-crawl-") as work:
        answers = work / "answers.pickle"
        count = record_answers(max(articles, sweep_articles), seed, answers)
        print(f"  recorded {count} answers", file=sys.stderr)
        bound = cpu_bound(answers, work, small, articles, repeats)
        curve = sweep(answers, work, sweep_articles, loop_budget_s)
    return {
        "articles": articles,
        "answers": count,
        "cpu_bound": bound,
        "sweep": curve,
        "ratios": {
            "CPU-bound ours / scrapy fetch-only": bound["ratio_cpu"],
            "ours / requests loop at 50 ms": curve["ratios"]["50"]["ours / requests loop"],
        },
        "targets": {
            "CPU-bound ours / scrapy fetch-only": 0.80,
            "ours / requests loop at 50 ms": 10.0,
        },
    }


def instructions(answers: Path, work: Path, small: int, large: int, code: str | None = None):
    """Ours and fetch-only under callgrind: the crawler's instructions per article (the slope
    from a small to a large crawl), which, unlike CPU time, a busy machine does not move."""
    from bench.instructions import callgrind

    names = ("ours", "scrapy fetch-only")
    counts: dict[tuple[str, int], int] = {}
    with static_site.running_static_site(answers, 0) as site:
        for count in (small, large):
            for name in names:
                command = commands(name, site.base_url, count, work)
                # fetch-only ends its feeds "unfinished" by design (see measured)
                counts[name, count] = callgrind(command, code, ok=(0, 1))
                print(f"  {name} {count}: {counts[name, count]:,} instructions", file=sys.stderr)
    per_article = {
        name: (counts[name, large] - counts[name, small]) / (large - small) for name in names
    }
    return {
        "million_instructions_per_article": {k: round(v / 1e6, 3) for k, v in per_article.items()},
        "ratio_instructions": round(per_article["scrapy fetch-only"] / per_article["ours"], 3),
    }


def before_after(answers: Path, work: Path, small: int, large: int, repeats: int, code: str):
    """Ours and fetch-only on this checkout and on `code` (an earlier one), all four
    interleaved; CPU ms per article (slope small -> median of the large crawls) of each."""
    variants = [
        (f"{name} {label}", name, where)
        for label, where in (("now", None), ("before", code))
        for name in ("ours", "scrapy fetch-only")
    ]
    cpu: dict[str, dict[str, list[float]]] = {v[0]: {"small": [], "large": []} for v in variants}
    with static_site.running_static_site(answers, 0) as site:
        for size, count in [("small", small)] + [("large", large)] * repeats:
            for label, name, where in variants:
                cpu[label][size].append(measured(site, name, count, work, where)["cpu_s"])
    slopes = {
        label: round(1000 * (statistics.median(c["large"]) - c["small"][0]) / (large - small), 3)
        for label, c in cpu.items()
    }
    ratios = {
        label: round(slopes[f"scrapy fetch-only {label}"] / slopes[f"ours {label}"], 3)
        for label in ("now", "before")
    }
    return {"cpu_ms_per_article": slopes, "ratio_cpu": ratios, "cpu_s": cpu}


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.crawl [--small N] [--large N] [--repeats N] [--code DIR | --before DIR]
    [--instructions]`: the CPU-bound comparison alone (ours and fetch-only interleaved), for
    profiling work. --code runs the crawls on another checkout of the project; --before runs
    ours and fetch-only on this checkout and on DIR, all four interleaved (a before/after);
    --instructions counts instructions under callgrind (valgrind) instead of CPU time."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--code", help="a checkout whose code the crawls run")
    parser.add_argument("--before", help="an earlier checkout to compare with, interleaved")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions under callgrind instead (one small and one large crawl each)",
    )
    args = parser.parse_args(argv)
    with scratch_dir("finews-bench-crawl-") as work:
        answers = work / "answers.pickle"
        record_answers(args.large, 5, answers)
        if args.instructions:
            code = str(Path(args.code).resolve()) if args.code else None
            print(json.dumps(instructions(answers, work, args.small, args.large, code)))
            return 0
        if args.before:
            result = before_after(
                answers,
                work,
                args.small,
                args.large,
                args.repeats,
                str(Path(args.before).resolve()),
            )
            print(json.dumps(result))
            return 0
        code = str(Path(args.code).resolve()) if args.code else None
        bound = cpu_bound(answers, work, args.small, args.large, args.repeats, code)
    summary = {name: s["cpu_ms_per_article"] for name, s in bound["summary"].items()}
    print(json.dumps({"cpu_ms_per_article": summary, "ratio_cpu": bound["ratio_cpu"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
