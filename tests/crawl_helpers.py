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


def finews_command(store_uri: str, *args: str) -> list[str]:
    """`finews --store URI ARGS...` run by this interpreter."""
    return [sys.executable, "-m", "finews_crawler.cli", "--store", store_uri, *args]


def crawl_command(store_uri: str, spider: str, *args: str) -> list[str]:
    """`finews --store URI crawl SPIDER -L WARNING ARGS...` (later -L/-s arguments win)."""
    return finews_command(store_uri, "crawl", spider, "-L", "WARNING", *args)


def crawl(
    store_uri: str, spider: str, *args: str, timeout: float = CRAWL_TIMEOUT, env=None, cwd=None
) -> CrawlResult:
    """A crawl as a child process, bounded in time."""
    done = subprocess.run(
        crawl_command(store_uri, spider, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
        cwd=cwd,
    )
    return CrawlResult(done.returncode, done.stdout, done.stderr)
