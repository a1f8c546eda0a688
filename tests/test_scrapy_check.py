"""`scrapy check`: every spider has contracts, and they pass against the mock site on loopback
(`@site SETTING PATH`, finews_crawler/crawl/contracts.py) and fail against a host that does
not answer. The check keeps its paging state in a throwaway store, never the default one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from finews_crawler.cli.crawl import spider_classes

PROJECT = Path(__file__).resolve().parents[1]
SCRAPY = Path(sys.executable).parent / "scrapy"
TIMEOUT = 300
HOST_SETTINGS = (
    "FINEWS_SHARE_BASE",
    "FINEWS_FEED_BASE",
    "FINEWS_MARKET_FEED_BASE",
    "FINEWS_EMFAST_BASE",
)


def scrapy_check(base_url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`scrapy check ARGS` in the project folder, every source host set to `base_url`, the
    default store moved to `home` (FINEWS_HOME) so a write to it would show."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FINEWS_")}
    env["FINEWS_HOME"] = str(home)
    settings = [part for name in HOST_SETTINGS for part in ("-s", f"{name}={base_url}")]
    return subprocess.run(
        [str(SCRAPY), "check", *settings, *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_every_spider_has_contracts(tmp_path: Path) -> None:
    done = scrapy_check("http://127.0.0.1:9", tmp_path / "home", "-l")
    assert done.returncode == 0, done.stderr[-3000:]
    listed = {line.strip() for line in done.stdout.splitlines() if not line.startswith(" ")}
    assert listed == set(spider_classes()), done.stdout


def test_contracts_pass_against_the_mock_site(mock_site, tmp_path: Path) -> None:
    done = scrapy_check(mock_site.base_url, tmp_path / "home")
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-3000:]
    assert "\nOK" in report and "FAILED" not in report
    assert not (tmp_path / "home").exists()  # the default store was never opened


def test_contracts_fail_against_a_host_that_does_not_answer(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = scrapy_check(f"http://127.0.0.1:{port}", tmp_path / "home", "-s", "RETRY_TIMES=0")
    report = done.stdout + done.stderr
    assert done.returncode == 1, report[-3000:]
    assert "FAILED" in report
