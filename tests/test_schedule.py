"""`finews schedule`: cron parsing, incremental scheduled runs, no overlap, graceful SIGTERM.

Overlap and SIGTERM are made deterministic with a "gate" feed server on loopback: the crawl's
first feed request blocks until the test opens the gate, so "a run is still going" is a fact
the test controls, not a race it hopes to win.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from finews_crawler.scheduling.cron import Cron, parse_every
from finews_crawler.scheduling.locks import RunLock
from finews_crawler.storage import open_store
from tests.crawl_helpers import finews_command
from tests.stub_server import stub_server
from tests.test_feeds import text_api_counts

TIMEOUT = 120


def test_cron_expressions():
    every5 = Cron.parse("*/5 * * * *")
    assert every5.next_after(datetime(2024, 5, 1, 12, 3, 30)) == datetime(2024, 5, 1, 12, 5)
    assert every5.next_after(datetime(2024, 5, 1, 23, 55)) == datetime(2024, 5, 2, 0, 0)
    weekdays = Cron.parse("30 9-17/4 * * mon-fri")  # 09:30, 13:30, 17:30 on weekdays
    assert weekdays.next_after(datetime(2024, 5, 3, 17, 31)) == datetime(2024, 5, 6, 9, 30)
    assert weekdays.next_after(datetime(2024, 5, 6, 9, 30)) == datetime(2024, 5, 6, 13, 30)
    # day-of-month OR day-of-week when both are restricted (Vixie cron)
    either = Cron.parse("0 0 1 * 0")
    assert either.next_after(datetime(2024, 5, 1, 0, 0)) == datetime(2024, 5, 5, 0, 0)
    assert Cron.parse("0 0 29 feb *").next_after(datetime(2024, 3, 1)) == datetime(2028, 2, 29)
    for bad in ("* * * *", "60 * * * *", "*/0 * * * *", "5-1 * * * *", "0 0 * foo *"):
        with pytest.raises(ValueError, match="cron"):
            Cron.parse(bad)
    assert parse_every("5m") == 300 and parse_every("90s") == 90 and parse_every("1h") == 3600
    with pytest.raises(ValueError):
        parse_every("0m")


def test_a_lock_left_by_a_dead_process_is_not_a_lock(tmp_path):
    path = tmp_path / "crawl.lock"
    path.write_text(json.dumps({"pid": 999999999, "started_at": "2020-01-01T00:00:00"}))
    lock = RunLock(path)
    assert lock.acquire(started_at="now")
    assert RunLock(path).acquire() is False  # held now
    lock.release()


# ---- helpers --------------------------------------------------------------------------------


def schedule_command(store: Path, base: str, *options: str) -> list[str]:
    return finews_command(
        f"sqlite:///{store}",
        "schedule",
        *options,
        "--lock",
        str(store.parent / "emnews.lock"),
        "--record",
        str(store.parent / "emnews.jsonl"),
        "--",
        "emnews",
        "-s",
        f"FINEWS_FEED_BASE={base}",
        "-s",
        f"FINEWS_SHARE_BASE={base}",
        "-a",
        "count=50",
        "-L",
        "WARNING",
    )


def records(store: Path) -> list[dict]:
    path = store.parent / "emnews.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class Gate:
    """A feed host whose feed requests wait until `release` is set; answers an empty feed."""

    def __init__(self) -> None:
        self.hit = threading.Event()
        self.release = threading.Event()
        self._server = stub_server(self._respond)
        self.base_url = self._server.__enter__()

    def _respond(self, path: str) -> tuple[int, str, bytes]:
        if path == "/robots.txt":
            return 404, "text/plain", b""
        self.hit.set()
        self.release.wait(TIMEOUT)
        return 200, "application/json", b'{"records": []}'

    def close(self) -> None:
        self.release.set()
        self._server.__exit__(None, None, None)


@pytest.fixture
def gate() -> Iterator[Gate]:
    server = Gate()
    try:
        yield server
    finally:
        server.close()


def start(command: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(process: subprocess.Popen) -> str:
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    return output


# ---- scheduled runs -------------------------------------------------------------------------


def test_a_scheduled_run_picks_up_exactly_what_was_added(start_mock_site, tmp_path):
    site = start_mock_site(articles=120)
    store = tmp_path / "sched.sqlite3"
    command = schedule_command(store, site.base_url, "--once")
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert first.returncode == 0, first.stderr[-3000:]
    site.get_json("/_admin/add?n=25")
    before = text_api_counts(site.get_json("/_log"))
    second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert second.returncode == 0, second.stderr[-3000:]

    added = {site.get_json("/_truth?offset=120&limit=25")[i]["id"] for i in range(25)}
    fetched = text_api_counts(site.get_json("/_log")) - before
    assert set(fetched) == added and set(fetched.values()) == {1}
    with open_store(f"sqlite:///{store}") as opened:
        assert opened.count_articles() == 145
        runs = list(opened.iter_runs())
    assert [run["counts"]["new"] for run in runs] == [25, 120]  # newest first
    ticks = records(store)
    assert [tick["action"] for tick in ticks] == ["run", "run"]
    assert [tick["exit_status"] for tick in ticks] == [0, 0]
    assert ticks[1]["counts"]["new"] == 25 and ticks[1]["run_id"] == runs[0]["_id"]
    assert ticks[1]["started_at"] <= ticks[1]["finished_at"]


def test_overlapping_ticks_one_runs_one_skips(gate, tmp_path):
    store = tmp_path / "overlap.sqlite3"
    command = schedule_command(store, gate.base_url, "--once")
    running = start(command, tmp_path)
    try:
        assert gate.hit.wait(TIMEOUT), "the first run never reached the feed"
        second = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT
        )
    finally:
        gate.release.set()
    output = finish(running)
    assert running.returncode == 0, output[-3000:]
    assert second.returncode == 0
    assert "skipped: a run is still going" in second.stderr
    ticks = records(store)
    assert sorted(tick["action"] for tick in ticks) == ["run", "skip"]
    skip = next(tick for tick in ticks if tick["action"] == "skip")
    assert skip["holder"]["pid"] == running.pid
    with open_store(f"sqlite:///{store}") as opened:
        assert len(list(opened.iter_runs())) == 1  # one crawl ran


def test_sigterm_stops_the_schedule_after_the_current_run(gate, tmp_path):
    store = tmp_path / "term.sqlite3"
    scheduler = start(schedule_command(store, gate.base_url, "--every", "1s"), tmp_path)
    try:
        assert gate.hit.wait(TIMEOUT), "the run never reached the feed"
        scheduler.send_signal(signal.SIGTERM)
        gate.release.set()
        output = finish(scheduler)
    finally:
        gate.release.set()
    assert scheduler.returncode == 0, output[-3000:]
    assert "stopping after the current run" in output
    ticks = records(store)
    assert [(tick["action"], tick["exit_status"]) for tick in ticks] == [("run", 0)]
    assert ticks[0]["finish_reason"] == "finished"  # the crawl itself was not interrupted
    assert not os.path.exists(tmp_path / "data")  # nothing written outside the given paths


# ---- credentials ----------------------------------------------------------------------------


def test_no_password_in_logs_records_or_the_crawl_command(
    auth_mongo_server, start_mock_site, tmp_path
):
    """`-s FINEWS_STORE=mongodb://user:PASSWORD@...` reaches the crawl (it stores into a
    server that requires that login) but no log line, tick record, run record, file or
    crawl command line holds the password."""
    site = start_mock_site(articles=30)
    password = auth_mongo_server.password
    store_uri = auth_mongo_server.uri("scheduled")
    record = tmp_path / "ticks.jsonl"
    command = [
        *finews_command("sqlite:///unused.sqlite3", "schedule", "--once"),
        *("--lock", str(tmp_path / "emnews.lock"), "--record", str(record), "--"),
        *("emnews", "-a", "count=50", "-L", "INFO"),
        *("-s", f"FINEWS_STORE={store_uri}", "--set", f"FINEWS_FEED_BASE={site.base_url}"),
        *("-s", f"FINEWS_SHARE_BASE={site.base_url}"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINEWS_")}
    env.update(FINEWS_PROGRESS="0", FINEWS_SPOOL_DIR=str(tmp_path / "spool"))
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "scheduling `finews crawl emnews" in output and "finews:***@" in output
    assert password not in output  # the scheduler's log lines and the crawl's own
    (tick,) = [json.loads(line) for line in record.read_text().splitlines()]
    assert tick["exit_status"] == 0 and tick["counts"]["new"] == 30  # read from that store
    assert password not in json.dumps(tick) and password not in " ".join(tick["command"])
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
    with open_store(store_uri) as opened:
        assert opened.count_articles() == 30
        (run,) = opened.iter_runs()
    assert password not in json.dumps(run, default=str)


def test_lock_and_record_default_to_the_project_not_the_current_folder(tmp_path):
    """Without --lock/--record they go to data/schedule in the project ($FINEWS_HOME here), as
    the default store does: a scheduler started from another folder shares the project's lock
    and leaves nothing where it was started."""
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    env = {**os.environ, "FINEWS_HOME": str(home)}
    env.pop("FINEWS_STORE", None)
    command = finews_command(f"sqlite:///{home / 'x.sqlite3'}", "schedule", "--once", "--")
    done = subprocess.run(
        [*command, "nosuchspider"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 2, done.stdout + done.stderr  # the crawl refused the spider
    (tick,) = [
        json.loads(line)
        for line in (home / "data" / "schedule" / "nosuchspider.jsonl").read_text().splitlines()
    ]
    assert tick["exit_status"] == 2
    assert (home / "data" / "schedule" / "nosuchspider.lock").is_file()
    assert list(elsewhere.iterdir()) == []
