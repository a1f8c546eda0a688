"""The reduced chaos suite (`make chaos QUICK=1`) as part of `make test`.

Each row is a real crawl of the mock site into a real SQLite file, disrupted (a kill -9 of
the crawler mid-way, a feed page failing every attempt and then healed, 10% transient
faults), followed by at most two plain crawls. The row passes when the store, read raw and
compared with the mock site's truth, holds every article exactly once and the faulty run
did not exit 0 with work unfinished. The full suite is `make chaos` (tests/chaos/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.runner import Context, run_scenario
from tests.chaos.scenarios import Scenario, catalogue
from tests.chaos.services import SharedMongo
from tests.chaos.table import render


@pytest.mark.parametrize("scenario", catalogue(quick=True), ids=lambda s: s.key)
def test_no_article_lost_or_doubled(scenario: Scenario, tmp_path: Path) -> None:
    context = Context(tmp_path, SharedMongo(tmp_path / "secantusdb"))
    try:
        row = run_scenario(scenario, context)
    finally:
        context.mongo.stop()
    if row.skipped:
        pytest.skip(row.skipped)
    assert row.final is not None and row.final.expected == scenario.articles, render([row])
    assert row.verdict == "ok", render([row])
