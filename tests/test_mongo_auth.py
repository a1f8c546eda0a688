"""A MongoDB that refuses the login: one line naming the problem, exit 2, no password shown.

The server is a real SecantusDB with `--auth` (tests/mongo_server.py `auth_mongo_server`): the
refusal is the server's own SCRAM answer, not a stand-in.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.crawl_helpers import crawl_command, finews_command, write_urls
from tests.mongo_server import AuthServer

WRONG = "Wrong-9d1e5b-password"
TIMEOUT = 120


@pytest.mark.parametrize("spool", ["", "1"])
def test_a_wrong_password_is_one_line_and_exit_2(
    auth_mongo_server: AuthServer, tmp_path: Path, spool: str
) -> None:
    uri = auth_mongo_server.uri("refused", password=WRONG)
    urls = write_urls(tmp_path / "urls.txt", ["http://127.0.0.1:9/html_News/NewsShare.html"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINEWS_")}
    env.update(FINEWS_SPOOL=spool, FINEWS_SPOOL_DIR=str(tmp_path / "spool"))
    commands = {
        "count": finews_command(uri, "count"),
        "crawl": crawl_command(uri, "newsshare", "-a", f"urls_file={urls}"),
        "replay": finews_command(uri, "replay"),
    }
    for name, command in commands.items():
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
        output = done.stdout + done.stderr
        assert done.returncode == 2, (name, output[-3000:])
        assert len(done.stderr.strip().splitlines()) == 1, (name, output[-3000:])
        assert "refused the login of user 'finews'" in done.stderr, (name, output)
        assert "authentication failed" in done.stderr, (name, output)
        assert WRONG not in output and "Traceback" not in output, (name, output)
    assert not (tmp_path / "spool").exists() or not any((tmp_path / "spool").iterdir())


def test_the_right_password_works(auth_mongo_server: AuthServer, tmp_path: Path) -> None:
    done = subprocess.run(
        finews_command(auth_mongo_server.uri("accepted"), "count"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "0"), done.stderr[-3000:]
