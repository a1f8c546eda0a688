"""Run real crawls in child processes (a Twisted reactor cannot restart inside pytest)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CRAWL_TIMEOUT = 300


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str


def write_urls(path: Path, urls: Iterable[str]) -> Path:
    path.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return path


def crawl(
    store_uri: str, spider: str, *args: str, timeout: float = CRAWL_TIMEOUT, env=None
) -> CrawlResult:
    """`finews --store URI crawl SPIDER ARGS...` as a child process, bounded in time."""
    command = [sys.executable, "-m", "finews_crawler.cli", "--store", store_uri, "crawl", spider]
    done = subprocess.run(
        [*command, "-L", "WARNING", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    return CrawlResult(done.returncode, done.stdout, done.stderr)
