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

from tests.chaos import ledger
from tests.chaos.ledger import Contents, Truth
from tests.chaos.runner import Context, poison_targets, run_scenario
from tests.chaos.scenarios import Poison, Scenario, catalogue
from tests.chaos.services import SharedMongo, unknown_kinds
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


def test_the_ledger_counts_losses_and_doublings_by_the_truth() -> None:
    """The harness's own counting, on store contents written out by hand."""
    ids = [f"20240501{2300000000 + n:010d}" for n in range(5)]
    truth = Truth({aid: f"NW{aid}" for aid in ids})
    share = "http://127.0.0.1:1/html_News/NewsShare.html?infoCode="
    contents = Contents(
        articles=[
            {"_id": ids[0], "info_code": f"NW{ids[0]}"},
            {"_id": "x1", "info_code": f"NW{ids[0]}"},  # the same article under a second id
            {"_id": "x2", "url": f"{share}NW{ids[1]}"},  # known only by its URL
            {"_id": "x3", "url": f"{share}NW{'9' * 18}"},  # no article of the mock
        ],
        failures=[
            {"url": f"{share}NW{ids[2]}", "article_id": None},
            {"url": "http://127.0.0.1:1/web/webapi?type=102&page=5", "article_id": ids[3]},
        ],
    )
    tally = ledger.tally(contents, truth)
    assert (tally.expected, tally.stored, tally.doubled, tally.stray) == (5, 2, 1, 1)
    assert (tally.lost_recorded, tally.lost_unrecorded, tally.failures) == (2, 1, 2)
    assert not tally.complete
    (page_5,) = poison_targets(Poison("http500", "feed", (5,)), "emnews", 5)
    (page_50,) = poison_targets(Poison("http500", "feed", (50,)), "emnews", 5)
    assert ledger.unrecorded(contents.failures, [page_5], truth) == 0
    assert ledger.unrecorded(contents.failures, [page_50], truth) == 1
    assert ledger.unrecorded(contents.failures, [(page_50[0], ids[2])], truth) == 0


def test_rows_whose_fault_kind_the_mock_lacks_are_skipped_not_run(tmp_path: Path) -> None:
    assert unknown_kinds({"http500", "deepjson", "no-such-kind"}) == {"no-such-kind"}
    row = run_scenario(
        Scenario("unknown", "sqlite", "emnews", poison=Poison("no-such-kind", "feed", (1,))),
        Context(tmp_path, SharedMongo(tmp_path / "secantusdb")),
    )
    assert row.verdict == "skip" and "no-such-kind" in row.skipped
