"""Run records that survive a kill: written as "running" at the start, "ended" at the end.

A crawl killed with SIGKILL (OOM killer, a lost machine, `kill -9`) never reaches its end;
its record stays "running". The next crawl on the same store looks at such records and marks
those whose process is gone as "killed" (exit status 1), so `finews runs`, the scheduler and
a reader of the store see that a run did not finish. Only processes of this host can be
checked (pid plus the process start time, so a reused pid is not mistaken for the crawl).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from finews_crawler.storage import Store

RUNNING, ENDED, KILLED = "running", "ended", "killed"
STALE_SCAN = 200  # most recent run records looked at for a stale "running" one


def _start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot, Linux); None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return int(fields[19])  # field 22 of stat(5); fields[0] is field 3
    except (OSError, ValueError, IndexError):
        return None


def this_process() -> dict[str, Any]:
    """The fields a "running" record carries so a later crawl can tell if it is alive."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "pid_started": _start_ticks(pid)}


def process_alive(record: Mapping[str, Any]) -> bool | None:
    """Whether the process that wrote a run record still runs; None when it cannot be told
    (another host, no pid)."""
    pid = record.get("pid")
    if record.get("host") != socket.gethostname() or not isinstance(pid, int) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    started = record.get("pid_started")  # differs when the pid now names another process
    return started is None or _start_ticks(pid) in (None, started)


def mark_killed(store: Store, now: datetime) -> list[str]:
    """Mark this host's "running" records whose process is gone as "killed"; their ids."""
    killed = []
    for run in list(store.iter_runs(limit=STALE_SCAN)):
        if run.get("status") != RUNNING or process_alive(run) is not False:
            continue
        store.record_run(
            {
                **run,
                "status": KILLED,
                "finish_reason": KILLED,
                "killed_noticed_at": now,
                "exit_status": 1,
            }
        )
        killed.append(run["_id"])
    return killed
