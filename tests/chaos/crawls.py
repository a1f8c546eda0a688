"""`finews crawl` child processes for a scenario: commands, environment, bounded waits, kills.

Every host setting points at the mock site (the defaults name real hosts), the environment
is stripped of the caller's FINEWS_* variables, and every wait has a timeout.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from finews_crawler.sources.eastmoney import SHARE_PATH, TEXT_API_PATH
from tests.crawl_helpers import crawl_command

ROOT = Path(__file__).resolve().parents[2]
CRAWL_TIMEOUT = 180.0  # one crawl; a hung crawl is killed and the row reported as an error
HOSTS = ("FINEWS_FEED_BASE", "FINEWS_MARKET_FEED_BASE", "FINEWS_SHARE_BASE")
# A "timeout" fault holds its connection 3 s: the crawler must give up before that.
SETTINGS = ("DOWNLOAD_TIMEOUT=2", "FINEWS_REDIS_IDLE_SECONDS=2")
TIMED_OUT = "timeout"
_ARTICLE_PREFIXES = (f"{TEXT_API_PATH}?id=NW", f"{SHARE_PATH}?infoCode=NW")


@dataclass
class CrawlSpec:
    """How to start this row's crawl (the same command for the faulty and the plain runs)."""

    store_uri: str
    spider: str
    base_url: str
    workdir: Path
    spider_args: tuple[str, ...] = ()
    redis_url: str = ""
    deadline: float = math.inf  # time.monotonic() by which the whole suite must be done

    def timeout(self) -> float:
        """CRAWL_TIMEOUT, shortened to what is left of the suite's time budget."""
        return max(1.0, min(CRAWL_TIMEOUT, self.deadline - time.monotonic()))

    def command(self) -> list[str]:
        settings = [f"{name}={self.base_url}" for name in HOSTS] + list(SETTINGS)
        options = [arg for setting in settings for arg in ("-s", setting)]
        return crawl_command(self.store_uri, self.spider, *options, *self.spider_args)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FINEWS_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["FINEWS_PROGRESS"] = "0"
        env["FINEWS_SPOOL_DIR"] = str(self.workdir / "spool")
        if self.redis_url:
            env["FINEWS_REDIS_URL"] = self.redis_url
        return env


class Crawl:
    """One running crawl; its output goes to a log file in the row's work directory."""

    def __init__(self, spec: CrawlSpec, label: str) -> None:
        self.spec = spec
        self.log_path = spec.workdir / f"{label}.log"
        with self.log_path.open("w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                spec.command(),
                cwd=spec.workdir,
                env=spec.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """kill -9 of this crawl (its own pid only)."""
        if self.running():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def wait(self) -> int | str:
        """Its exit status, or "timeout" after killing a crawl that would not end in time."""
        try:
            return self.process.wait(timeout=self.spec.timeout())
        except subprocess.TimeoutExpired:
            self.kill()
            return TIMED_OUT

    def tail(self, chars: int = 300) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]


def run(spec: CrawlSpec, label: str) -> tuple[int | str, Crawl]:
    crawl = Crawl(spec, label)
    return crawl.wait(), crawl


def articles_requested(log: dict) -> int:
    """How many distinct articles the mock served a share page or text API answer for."""
    codes = set()
    for path in log["requests"]:
        for prefix in _ARTICLE_PREFIXES:
            if path.startswith(prefix):
                codes.add(path[len(prefix) :].partition("&")[0])
    return len(codes)


def wait_until(condition: Callable[[], bool], alive: Callable[[], bool], timeout: float) -> bool:
    """Poll `condition` while `alive()`; False when the crawl ended or time ran out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        if condition():
            return True
        time.sleep(0.05)
    return False
