"""The results of a run as Markdown tables, ready for BENCHMARKS.md (printed and saved)."""

from __future__ import annotations

from typing import Any

PEERS = ("ours", "scrapy fetch-only", "requests loop", "aiohttp fetch-only")


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join("-" if v is None else str(v) for v in row) + " |" for row in rows]
    return lines


def crawl(data: dict[str, Any]) -> list[str]:
    bound = data["cpu_bound"]
    rows = []
    for name, s in bound["summary"].items():
        rows.append(
            [
                name,
                f"**{s['cpu_ms_per_article']:.2f}**",
                f"{s['cpu_ms_per_article_all_in']:.2f}",
                f"{s['startup_cpu_s']:.2f}",
                f"{s['articles_per_s']:.0f}",
                f"{s['server_cpu_ms_per_article']:.3f}",
                f"{100 * s['server_busy']:.0f}%",
            ]
        )
    out = [
        f"### Crawl, CPU-bound ({bound['large']:,} articles, no latency, "
        f"crawler on core(s) {bound['crawler_cpus']}, server on {bound['server_cpu']})",
        "",
        *_table(
            [
                "crawler",
                "CPU ms / article",
                f"CPU ms / article incl. start-up ({bound['large']:,})",
                "start-up CPU s",
                "articles/s",
                "server CPU ms / article",
                "server busy (max)",
            ],
            rows,
        ),
        "",
        f"ours / fetch-only, CPU-bound (fetch-only CPU per article / ours): "
        f"**{bound['ratio_cpu']:.3f}**; measured throughput ratio on one core: "
        f"{bound['ratio_throughput']:.3f}; our pipelines cost "
        f"{bound['pipeline_cpu_ms_per_article']:.2f} ms of CPU per article.",
        "",
    ]
    sweep = data["sweep"]
    rows = []
    for latency in sorted({r["latency_ms"] for r in sweep["rows"]}):
        rates = {r["name"]: r for r in sweep["rows"] if r["latency_ms"] == latency}
        ratios = sweep["ratios"][str(latency)]
        rows.append(
            [
                f"{latency} ms",
                *(
                    f"{rates[p]['articles_per_s']:.0f}"
                    + (f" ({rates[p]['articles']})" if p == "requests loop" else "")
                    for p in PEERS
                ),
                f"{ratios['ours / scrapy fetch-only']:.2f}",
                f"{ratios['ours / requests loop']:.1f}x",
                f"{ratios['ours / aiohttp fetch-only']:.2f}",
            ]
        )
    out += [
        f"### Crawl, latency sweep (articles/s; {sweep['articles']:,} articles, the loop fewer: "
        "in brackets)",
        "",
        *_table(
            [
                "latency",
                *PEERS,
                "ours / fetch-only",
                "ours / loop",
                "ours / aiohttp",
            ],
            rows,
        ),
        "",
    ]
    return out


def extraction(data: dict[str, Any]) -> list[str]:
    rows = []
    for dataset in ("mock", "real"):
        part = data.get(dataset, {})
        if "rows" not in part:
            rows.append([dataset, f"skipped: {part.get('skipped')}", *[None] * 8])
            continue
        for name, r in part["rows"].items():
            stocks = (
                f"{r['stock_precision']:.3f} / {r['stock_recall']:.3f}"
                if "stock_precision" in r
                else None
            )
            rows.append(
                [
                    f"{dataset} ({r['articles']})",
                    name,
                    f"{r['body_f1']:.3f}",
                    f"{r['body_f1_min']:.3f}",
                    f"{r['title_exact']:.3f}",
                    f"{r['title_raw_exact']:.3f}",
                    None if r["date_exact"] is None else f"{r['date_exact']:.3f}",
                    f"{r['date_day']:.3f}",
                    stocks,
                    f"{r['articles_per_s']:.0f}",
                ]
            )
    head = ["dataset", "extractor", "body F1", "min F1", "title", "title raw"]
    head += ["date (minute)", "date (day)", "stocks P / R", "articles/s (CPU)"]
    return ["### Extraction", "", *_table(head, rows), ""]


def storage(data: dict[str, Any]) -> list[str]:
    rows = [
        [
            r["store"] + (" (emulator)" if r["store"] == "mongodb" else ""),
            r["path"],
            f"{r['ours_per_s']:,}",
            f"{r['raw_per_s']:,}",
            f"**{r['ratio']:.2f}**",
            f"{r['ratio_cpu']:.2f}",
            f"{r['ours_client_cpu_ms_per_article']:.3f}",
            f"{r['raw_client_cpu_ms_per_article']:.3f}",
            f"{r['ratio_store_hashes']:.2f}" if "ratio_store_hashes" in r else "-",
        ]
        for r in data["rows"]
    ]
    head = ["store", "path", "ours/s", "raw driver/s", "ours / raw", "ours / raw (CPU)"]
    head += ["ours client CPU ms / article", "raw client CPU ms / article"]
    head += ["ours / raw, the store hashing"]
    return [
        f"### Storage (SQLite: {data['articles']:,} articles, best of {data['repeats_sqlite']}; "
        f"MongoDB: {data['mongodb_articles']:,} articles on {data['mongodb']}; "
        f"batches of {data['batch']})",
        "",
        *_table(head, rows),
        "",
        "Ours takes the records as the store pipeline hands them, each with the content hash "
        "the dedupe stage computed (not timed here: the crawl pays it in dedupe); the last "
        "column is ours on plain records, the store hashing each one itself.",
        "",
    ]


def memory(data: dict[str, Any]) -> list[str]:
    rows = [
        [f"{r['articles']:,}", f"{r['peak_rss_mb']:.1f} MB", f"{r['articles_per_s']:.0f}"]
        for r in data["rows"]
    ]
    return [
        "### Memory (peak RSS of `finews crawl emnews` into SQLite, mock site, no latency)",
        "",
        *_table(["articles", "peak RSS", "articles/s"], rows),
        "",
        f"Bytes per article beyond the fixed start-up: **{data['bytes_per_article']:,}** "
        f"(least-squares slope; fixed part {data['fixed_mb']:.1f} MB); largest / smallest peak "
        f"{data['ratio_largest_to_smallest']:.3f}.",
        "",
    ]


def profile(data: dict[str, Any], top: int = 12) -> list[str]:
    if not data.get("pipeline_stages"):
        return []

    def row(entry: dict) -> list[str]:
        return [
            f"`{entry['function']}`",
            f"{100 * entry['share']:.1f}%",
            f"{entry.get('cpu_ms_per_article', 0):.3f}",
        ]

    stages = [row(s) for s in data["pipeline_stages"]]
    selves = [row(s) for s in data["ours_self"][:top]]
    return [
        f"### Profile of the CPU-bound crawl ({data['articles']:,} articles, pyinstrument, "
        f"{data['duration_s']} s sampled, {data.get('cpu_s', 0)} s CPU; share of the samples, "
        "and that share of the process's CPU per article)",
        "",
        *_table(["pipeline stage (total)", "share", "≈ CPU ms / article"], stages),
        "",
        *_table(["our function (own time)", "share", "≈ CPU ms / article"], selves),
        "",
    ]


def wires(data: dict[str, Any] | None = None) -> list[str]:
    if data is None:
        rows = [["wire items/s, feed JSON -> store", "not measured in this run (part `wires`)"]]
        return ["### Wires", "", *_table(["measure", "result"], rows), ""]
    rows = [
        [r["path"], r["items"], r["stored"], r["cpu_seconds"], f"**{r['items_per_s']}**"]
        for r in data["rows"]
    ]
    head = ["path (page -> SQLite, whole chain)", "items", "stored", "CPU s", "items/s"]
    return ["### Wires", "", *_table(head, rows), ""]


def markdown(results: dict[str, Any]) -> str:
    lines = [f"## Results of `finews bench{' --quick' if results['quick'] else ''}`", ""]
    lines += [f"Started {results['started_at']}; {results['machine']}", ""]
    for part, render in (
        ("crawl", crawl),
        ("extraction", extraction),
        ("storage", storage),
        ("memory", memory),
        ("profile", profile),
    ):
        if part in results:
            lines += render(results[part])
    lines += wires(results.get("wires"))
    checks = [
        [
            c["check"],
            f"**{c['value']:.3f}**",
            f"{'>=' if c['higher_is_better'] else '<='} {c['target']}",
            "yes" if c["met"] else "NO",
        ]
        for c in results["checks"]
    ]
    lines += ["### Targets", "", *_table(["check", "measured", "target", "met"], checks)]
    return "\n".join(lines) + "\n"
