"""Bench results: the JSON file, Markdown tables, and a chart of ratios against targets."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import tables


def machine() -> dict[str, Any]:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": model,
        "cpus": os.cpu_count(),
    }


def ratio_checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the run as (name, measured, target, higher_is_better, met)."""
    checks: list[dict[str, Any]] = []

    def add(name: str, value: float, target: float, higher: bool = True) -> None:
        met = value >= target if higher else value <= target
        checks.append(
            {
                "check": name,
                "value": value,
                "target": target,
                "higher_is_better": higher,
                "met": met,
            }
        )

    crawl = results.get("crawl")
    if crawl:
        for name, target in crawl["targets"].items():
            add(f"crawl: {name}", crawl["ratios"][name], target)
    extraction = results.get("extraction", {})
    for dataset in ("mock", "real"):
        data = extraction.get(dataset, {})
        if "rows" not in data:
            continue
        ours = data["rows"]["ours"]
        for metric in ("body_f1", "title_exact", "date_exact", "stock_precision", "stock_recall"):
            value = ours[metric] if ours[metric] is not None else 0.0
            add(f"extraction {dataset}: {metric}", value, extraction["targets"][metric])
        add(
            f"extraction {dataset}: speed vs trafilatura",
            data["speed_ratio_vs_trafilatura"],
            extraction["targets"]["speed_ratio_vs_trafilatura"],
        )
    storage = results.get("storage")
    if storage:  # SQLite only: MongoDB is measured on an emulator (see the storage table)
        for row in storage["rows"]:
            if row["store"] == "sqlite":
                add(
                    f"storage sqlite {row['path']}: ours / raw",
                    row["ratio"],
                    storage["target_ratio"],
                )
    memory = results.get("memory")
    if memory:
        largest = memory["rows"][-1]["articles"]
        smallest = memory["rows"][0]["articles"]
        add(
            f"memory: peak {largest:,} / peak {smallest:,}",
            memory["ratio_largest_to_smallest"],
            memory["target_ratio"],
            higher=False,
        )
    return checks


def chart(results: dict[str, Any], path: Path) -> Path | None:
    """Each check's measured value divided by its target (1.0 = just met), as a bar chart,
    and beside it the latency sweep: articles/s of each crawler against latency."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    checks = results["checks"]
    names = [check["check"] for check in checks]
    scores = [
        (c["value"] / c["target"])
        if c["higher_is_better"]
        else (c["target"] / max(c["value"], 1e-9))
        for c in checks
    ]
    sweep = results.get("crawl", {}).get("sweep")
    height = 0.38 * len(names) + 1.2
    if sweep:
        figure, (axis, curve) = plt.subplots(
            1, 2, figsize=(16, max(height, 4.5)), gridspec_kw={"width_ratios": [3, 2]}
        )
    else:
        figure, axis = plt.subplots(figsize=(10, height))
    colors = ["#2a9d8f" if c["met"] else "#e76f51" for c in checks]
    axis.barh(range(len(names)), scores, color=colors)
    axis.axvline(1.0, color="black", linewidth=1)
    axis.set_yticks(range(len(names)), names, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlabel("measured / target (>= 1 meets the target)")
    axis.set_title(f"finews-crawler benchmarks, {results['started_at'][:16]} UTC")
    if sweep:
        latencies = sorted({r["latency_ms"] for r in sweep["rows"]})
        for name in dict.fromkeys(r["name"] for r in sweep["rows"]):
            rates = [
                next(
                    r["articles_per_s"]
                    for r in sweep["rows"]
                    if r["name"] == name and r["latency_ms"] == ms
                )
                for ms in latencies
            ]
            curve.plot(range(len(latencies)), rates, marker="o", label=name)
        curve.set_xticks(range(len(latencies)), [f"{ms} ms" for ms in latencies])
        curve.set_yscale("log")
        curve.set_xlabel("latency the site adds to every answer")
        curve.set_ylabel("articles/s")
        curve.set_title("crawl throughput against latency")
        curve.legend(fontsize=8)
        curve.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path | None]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(results["started_at"]).strftime("%Y%m%dT%H%M%SZ")
    json_path = out_dir / f"{stamp}.json"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    json_path.with_suffix(".md").write_text(tables.markdown(results))
    return json_path, chart(results, out_dir / f"{stamp}.png")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
