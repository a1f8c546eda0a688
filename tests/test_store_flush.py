"""The store pipeline writes on a timer, not only when the next article arrives.

A feed crawl whose article stream pauses (the next feed page is held by the mock site, then
its connection is reset and the page fetched again) must have the articles it already has
in the store during the pause. The test reads the real SQLite file while the crawl runs
and asks the mock site's request log whether the held page has been asked for again yet:
an ordering fact (stored before the page came back), not a duration.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.test_feeds import crawl_command

PAGE = 20
HOLD_SECONDS = 20  # how long the mock site holds the first attempt at feed page 2


def stored_ids(path: Path) -> set[str]:
    if not path.exists():
        return set()
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return {row[0] for row in db.execute("SELECT _id FROM articles")}
    except sqlite3.OperationalError:  # the crawl has not created the schema yet
        return set()


def page_two_requests(site: Any) -> int:
    log = site.get_json("/_log")["requests"]
    return sum(n for path, n in log.items() if "type=102" in path and path.endswith("page=2"))


def test_articles_are_stored_while_the_article_stream_pauses(
    start_mock_site: Callable[..., Any], tmp_path: Path
) -> None:
    site = start_mock_site(
        articles=2 * PAGE,
        seed=31,
        extra_args=(
            "--faults",
            f"hold={HOLD_SECONDS}",
            "--fault-rule",
            r"type=102&.*page=2$=timeout:1",
        ),
    )
    store = tmp_path / "flush.sqlite3"
    command = crawl_command(
        store, "emnews", site.base_url, "-a", f"count={PAGE}", "-s", "DOWNLOAD_TIMEOUT=60"
    )
    first_page = {site.corpus.article_id(i) for i in range(PAGE, 2 * PAGE)}  # newest first
    crawler = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and crawler.poll() is None:
            if first_page <= stored_ids(store):
                break
            time.sleep(0.2)
        requests_of_page_two = page_two_requests(site)
        running = crawler.poll() is None
        _, stderr = crawler.communicate(timeout=180)
    finally:
        if crawler.poll() is None:
            crawler.kill()
            crawler.wait(timeout=10)
    # Page 1's articles were in the store while page 2's first attempt was still held.
    assert running, stderr[-3000:]
    assert first_page <= stored_ids(store)
    assert requests_of_page_two == 1, stderr[-3000:]
    # and the crawl went on to store the rest once the page came back
    assert crawler.returncode == 0, stderr[-3000:]
    assert stored_ids(store) == {site.corpus.article_id(i) for i in range(2 * PAGE)}
