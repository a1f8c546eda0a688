"""A feed crawl against a failing mock site (issue 11, row 4): nothing missing without a record.

10% transient and 5% permanent faults over every URL (feed pages and text API alike), plus
one feed page that fails every attempt. The test rebuilds the mock's FaultPlan to know which
feed pages and articles are doomed, so the truth comes from the generator and the plan.
"""

from __future__ import annotations

from finews_crawler.sources.eastmoney import FEEDS, feed_url
from mocksite.corpus import MockCorpus
from mocksite.faults import parse_faults
from tests.test_faults import FETCH_KILLERS, api_path
from tests.test_feeds import failure_records, feed_page_ids, run_crawl, stored_ids

ARTICLES, COUNT, SEED = 500, 50, 0
SPEC = "transient=0.1,permanent=0.05,hold=3,slow=0.5"
RULE = r"type=102.*page=3$=http503"
# Permanent kinds that leave a feed page unreadable (wrong-type: not a text response).
FEED_KILLERS = FETCH_KILLERS | {"empty", "malformed", "wrong-type"}


def feed_path(page: int) -> str:
    return feed_url("", FEEDS["emnews"], page, COUNT)


def test_every_missing_article_has_a_record_and_healing_completes(start_mock_site, tmp_path):
    corpus = MockCorpus(7, ARTICLES)
    plan = parse_faults(SPEC, seed=SEED, rules=[RULE])
    pages = -(-ARTICLES // COUNT)
    dead_pages = {
        page
        for page in range(1, pages + 2)
        if (fault := plan.fault_for(feed_path(page)))
        and fault.attempts is None
        and fault.kind in FEED_KILLERS
    }
    assert 3 in dead_pages  # the rule's page, at least
    unlisted = set().union(*(feed_page_ids(corpus, page, COUNT) for page in dead_pages))
    doomed = set()
    for i in range(ARTICLES):
        fault = plan.fault_for(api_path(corpus.article(i).info_code))
        if (
            fault
            and fault.attempts is None
            and fault.kind in FETCH_KILLERS | {"empty", "malformed"}
        ):
            doomed.add(corpus.article_id(i))
    truth = {corpus.article_id(i) for i in range(ARTICLES)}
    assert doomed - unlisted, "the plan should doom some listed articles too"

    site = start_mock_site(
        articles=ARTICLES,
        extra_args=("--faults", SPEC, "--fault-seed", str(SEED), "--fault-rule", RULE),
    )
    store = tmp_path / "faults.sqlite3"
    settings = ("-s", "DOWNLOAD_TIMEOUT=2", "-a", f"count={COUNT}")
    first = run_crawl(store, "emnews", site.base_url, *settings)
    assert first.returncode == 1, first.stderr[-3000:]
    assert "unfinished feeds 1" in first.stderr
    stored = stored_ids(store)
    assert stored == truth - unlisted - doomed
    records = failure_records(store)
    recorded_articles = {record["article_id"] for record in records if record["article_id"]}
    recorded_pages = {
        int(record["url"].rsplit("page=", 1)[1]) for record in records if "webapi" in record["url"]
    }
    assert recorded_pages == dead_pages
    assert recorded_articles == doomed - unlisted  # each listed, missing article: its record
    site.stop()

    healed = start_mock_site(articles=ARTICLES)
    for _ in range(2):  # at most two more plain runs
        again = run_crawl(store, "emnews", healed.base_url, *settings)
        if again.returncode == 0:
            break
    assert again.returncode == 0, again.stderr[-3000:]
    assert stored_ids(store) == truth and failure_records(store) == []
