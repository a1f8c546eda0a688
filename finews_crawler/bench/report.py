"""Bench results: the JSON file, a printed table, and a chart of ratios against targets."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


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
            add(f"extraction {dataset}: {metric}", ours[metric], extraction["targets"][metric])
        add(
            f"extraction {dataset}: speed vs trafilatura",
            data["speed_ratio_vs_trafilatura"],
            extraction["targets"]["speed_ratio_vs_trafilatura"],
        )
    storage = results.get("storage")
    if storage:
        for row in storage["rows"]:
            if "without indexes" not in row["store"]:
                add(f"storage {row['store']}: ours / raw", row["ratio"], storage["target_ratio"])
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


def table(results: dict[str, Any]) -> str:
    lines = [f"{'check':58} {'measured':>10} {'target':>10}  met"]
    for check in results["checks"]:
        sign = ">=" if check["higher_is_better"] else "<="
        lines.append(
            f"{check['check']:58} {check['value']:>10.3f} {sign + str(check['target']):>10}  "
            f"{'yes' if check['met'] else 'NO'}"
        )
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> Path | None:
    """Each check's measured value divided by its target (1.0 = just met), as a bar chart."""
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
    figure, axis = plt.subplots(figsize=(10, 0.38 * len(names) + 1.2))
    colors = ["#2a9d8f" if c["met"] else "#e76f51" for c in checks]
    axis.barh(range(len(names)), scores, color=colors)
    axis.axvline(1.0, color="black", linewidth=1)
    axis.set_yticks(range(len(names)), names, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlabel("measured / target (>= 1 meets the target)")
    axis.set_title(f"finews-crawler benchmarks, {results['started_at'][:16]} UTC")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path | None]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(results["started_at"]).strftime("%Y%m%dT%H%M%SZ")
    json_path = out_dir / f"{stamp}.json"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    return json_path, chart(results, out_dir / f"{stamp}.png")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
