"""`finews bench --quick` starts and writes valid results (the benchmarks themselves run in
`make bench`, never in the test suite)."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.runner import QUICK


def test_quick_bench_writes_valid_json(tmp_path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "finews_crawler.cli",
            "bench",
            "--quick",
            "--only",
            "extraction",
            "storage",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [result_file] = tmp_path.glob("*.json")
    results = json.loads(result_file.read_text())
    assert results["quick"] is True
    assert {"extraction", "storage", "checks", "machine"} <= set(results)
    assert results["extraction"]["mock"]["rows"]["ours"]["articles"] == QUICK["extraction"]
    assert results["storage"]["rows"][0]["store"] == "sqlite"
    assert all({"check", "value", "target", "met"} <= set(c) for c in results["checks"])
    assert {row["path"] for row in results["storage"]["rows"]} == {"insert", "unchanged", "updated"}
    assert "storage sqlite updated: ours / raw" in done.stdout
