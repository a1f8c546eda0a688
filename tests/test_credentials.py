"""A password in the store URI never reaches the logs, the spool or the run record."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from mocksite.process import free_port

SECRET = "s3cret-Pa55"


def test_password_stays_out_of_logs_and_spool(mock_site, tmp_path) -> None:
    uri = f"mongodb://reader:{SECRET}@127.0.0.1:{free_port()}/finews"
    spool_dir = tmp_path / "spool"
    env = {**os.environ, "FINEWS_SPOOL": "1", "FINEWS_SPOOL_DIR": str(spool_dir)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "finews_crawler.cli",
            "crawl",
            "newsshare",
            "-a",
            "url=" + ",".join(mock_site.share_url(i) for i in range(3)),
            "-s",
            f"FINEWS_STORE={uri}",
            "-L",
            "DEBUG",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert "spool" in done.stderr.lower(), done.stderr[-2000:]  # it did meet the outage
    assert SECRET not in done.stdout + done.stderr
    spooled = [path.read_text() for path in spool_dir.rglob("*") if path.is_file()]
    assert spooled and all(SECRET not in text for text in spooled)
    records = [json.loads(line) for text in spooled for line in text.splitlines() if line]
    [run] = [record["doc"] for record in records if record["op"] == "run"]
    assert run["spider"] == "newsshare" and run["store"].startswith("mongodb://reader:***@")
