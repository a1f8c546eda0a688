"""A MongoDB for the storage benchmark: FINEWS_BENCH_MONGO_URI, else a local SecantusDB."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_mongo() -> Iterator[str | None]:
    """Yield a MongoDB URI, or None (with a note on stderr) when none can be had."""
    given = os.environ.get("FINEWS_BENCH_MONGO_URI")
    if given:
        yield given
        return
    beside_python = Path(sys.executable).parent / "secantusd-py"  # the venv's, off PATH
    binary = shutil.which("secantusd-py") or (
        str(beside_python) if beside_python.exists() else None
    )
    if binary is None:
        print("[bench] no MongoDB: pip install secantusdb or set FINEWS_BENCH_MONGO_URI")
        yield None
        return
    work = Path(tempfile.mkdtemp(prefix="finews-bench-mongo-"))
    (work / "empty.toml").write_text("")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--config",
            str(work / "empty.toml"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(work / "data"),
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    try:
        import pymongo

        deadline = time.monotonic() + 20
        while True:
            try:
                pymongo.MongoClient(uri, serverSelectionTimeoutMS=500).admin.command("ping")
                break
            except pymongo.errors.PyMongoError:
                if time.monotonic() > deadline or process.poll() is not None:
                    print("[bench] SecantusDB did not start; MongoDB storage not measured")
                    uri = None
                    break
                time.sleep(0.2)
        yield uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(work, ignore_errors=True)
