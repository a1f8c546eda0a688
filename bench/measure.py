"""Timing and memory of child processes: wall time, CPU time, peak RSS."""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ProcessMeasure:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int
    stderr_tail: str


def _peak_rss_kb(pid: int) -> int | None:
    """VmHWM (the peak resident set so far) of a live process, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def run_measured(
    command: list[str],
    *,
    timeout: float,
    env: dict | None = None,
    cpus: set[int] | None = None,
    cwd: str | Path | None = None,
) -> ProcessMeasure:
    """Run a command to completion; CPU from rusage of children, peak RSS polled from /proc.
    `cpus`: the cores it may run on (sched_setaffinity), e.g. all but the test server's;
    `cwd`: its working directory (`python -m` finds that checkout's modules first)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, **(env or {})},
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
            cwd=cwd,
        )
        peak_kb = 0
        deadline = started + timeout
        while process.poll() is None:
            peak_kb = max(peak_kb, _peak_rss_kb(process.pid) or 0)
            if time.perf_counter() > deadline:
                process.kill()
                break
            time.sleep(0.05)
        process.wait()
        stderr.seek(0)
        stderr_text = stderr.read()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ProcessMeasure(
        wall_s=wall,
        cpu_s=cpu,
        peak_rss_mb=peak_kb / 1024,
        returncode=process.returncode,
        stderr_tail=stderr_text[-1500:],
    )


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary working directory for one benchmark part, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        yield Path(work)


def cpu_time() -> float:
    """CPU seconds of this process (for in-process comparisons)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
