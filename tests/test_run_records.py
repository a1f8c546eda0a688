"""A crawl killed with SIGKILL leaves a run record, marked "killed" at the next crawl's start."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime

from finews_crawler.crawl.run_records import mark_killed, this_process
from finews_crawler.storage import open_store
from mocksite.process import stop_process
from tests.crawl_helpers import crawl, crawl_command

ARTICLES = 40
WAIT_SECONDS = 60


def runs_of(store_uri: str) -> list[dict]:
    with open_store(store_uri) as store:
        return list(store.iter_runs())


def test_a_killed_crawl_is_recorded_as_killed_at_the_next_start(start_mock_site, tmp_path):
    site = start_mock_site(articles=ARTICLES, extra_args=("--latency-ms", "3000"))
    store_uri = f"sqlite:///{tmp_path}/runs.sqlite3"
    codes = ",".join(site.corpus.article(i).info_code for i in range(ARTICLES))
    share_base = ("-s", f"FINEWS_SHARE_BASE={site.base_url}")
    victim = subprocess.Popen(
        crawl_command(store_uri, "newsshare", *share_base, "-a", f"info_codes={codes}"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and not (tmp_path / "runs.sqlite3").exists():
            time.sleep(0.2)
        running = []
        while time.monotonic() < deadline and not running:
            running = [run for run in runs_of(store_uri) if run.get("status") == "running"]
            time.sleep(0.2)
        assert victim.poll() is None, "the slow crawl ended before it could be killed"
        (record,) = running
        assert record["pid"] == victim.pid
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=WAIT_SECONDS)
    finally:
        stop_process(victim)

    after_kill = {run["_id"]: run for run in runs_of(store_uri)}
    assert after_kill[record["_id"]]["status"] == "running"  # nobody could say otherwise yet

    code = site.corpus.article(0).info_code
    second = crawl(store_uri, "newsshare", *share_base, "-a", f"info_codes={code}", timeout=120)
    assert second.returncode == 0, second.stderr[-2000:]
    assert record["_id"] in second.stderr  # one line names the killed run
    runs = {run["_id"]: run for run in runs_of(store_uri)}
    assert len(runs) == 2
    killed = runs.pop(record["_id"])
    assert (killed["status"], killed["finish_reason"], killed["exit_status"]) == (
        "killed",
        "killed",
        1,
    )
    (latest,) = runs.values()
    assert (latest["status"], latest["finish_reason"], latest["exit_status"]) == (
        "ended",
        "finished",
        0,
    )


def test_only_runs_whose_process_is_gone_are_marked_killed(tmp_path) -> None:
    """A live process, a reused pid and another host's run, told apart (real SQLite store)."""
    me = this_process()
    assert me["pid_started"] is not None  # Linux: /proc tells when a process started
    started = datetime(2026, 1, 1, tzinfo=UTC)
    records = {
        "alive": me,
        "pid-reused": {**me, "pid_started": me["pid_started"] - 1},
        "other-host": {**me, "host": f"not-{me['host']}", "pid": 1},
        "ended": {**me, "pid": 1},
    }
    with open_store(f"sqlite:///{tmp_path}/runs.sqlite3") as store:
        for run_id, process in records.items():
            status = "ended" if run_id == "ended" else "running"
            store.record_run({"_id": run_id, "started_at": started, "status": status, **process})
        assert mark_killed(store, datetime.now(UTC)) == ["pid-reused"]
        statuses = {run["_id"]: run["status"] for run in store.iter_runs()}
    assert statuses == {
        "alive": "running",
        "pid-reused": "killed",
        "other-host": "running",
        "ended": "ended",
    }
