"""The suite's network guard: no test process may send a packet outside 127.0.0.0/8.

`guard_session()` patches this process's sockets and puts the guard on every Python child's
path (as `sitecustomize`, see sitecustomize.py); conftest fails a test whose processes
tried, from the lines the guard appends to the log.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tests.netguard.sitecustomize import LOG_ENV, install

SITE_DIR = Path(__file__).resolve().parent


def guard_session() -> Path:
    """Guard this process and its Python children; the path of the violations log."""
    if not os.environ.get(LOG_ENV):
        handle, path = tempfile.mkstemp(prefix="finews-netguard-", suffix=".log")
        os.close(handle)
        os.environ[LOG_ENV] = path
    paths = [str(SITE_DIR), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(filter(None, paths)))
    install()
    return Path(os.environ[LOG_ENV])


def violations_since(log: Path, offset: int) -> str:
    """What the guard refused after `offset` bytes of its log (empty: nothing)."""
    with open(log, encoding="utf-8", errors="replace") as handle:
        handle.seek(offset)
        return handle.read()
