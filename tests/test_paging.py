"""The paging state machine on its own: coverage algebra and the per-page rule, case by case.

Truth here is written rules (the docstring of finews_crawler/crawl/paging/rule.py), checked on small
hand-made feeds where the right answer can be read off: which range a page proves, when
paging stops, what a failed or repeated page does, and what items sharing a second get.
"""

from __future__ import annotations

from datetime import UTC, datetime

from finews_crawler.crawl.paging import (
    CURSOR,
    NEG_INF,
    PAGE_NUMBER,
    TIME_CURSOR,
    Carry,
    Entry,
    FeedCoverage,
    Limits,
    merge_intervals,
    plan_failed_page,
    plan_page,
    to_us,
)
from finews_crawler.crawl.paging.coverage import from_us

S = 1_000_000  # one second in microseconds


def entries(*times: int, prefix: str = "a") -> list[Entry]:
    """Entries newest first with ids a<time>[-n] (several may share a time)."""
    seen: dict[int, int] = {}
    made = []
    for t in times:
        seen[t] = seen.get(t, 0) + 1
        made.append(Entry(f"{prefix}{t}-{seen[t]}", t * S))
    return made


def plan(kind=PAGE_NUMBER, number=1, page=(), *, clean=True, prev=None, known=(), cov=None, **lim):
    return plan_page(
        kind,
        number,
        list(page),
        clean=clean,
        prev=prev,
        known=set(known),
        requested=set(),
        coverage=cov or FeedCoverage(),
        limits=Limits(**lim),
    )


# ---- coverage ---------------------------------------------------------------------------


def test_intervals_merge_when_they_overlap_or_touch_only():
    assert merge_intervals([(5, 9), (0, 5), (12, 20), (9, 10), (3, 3)]) == [(0, 10), (12, 20)]
    cov = FeedCoverage(None, [(0, 10), (12, 20)])
    assert cov.covers(0, 10) and cov.covers(2, 7) and cov.covers(15, 15)
    assert not cov.covers(9, 11)  # 11 and 12 are not covered
    assert not cov.covers(-1, 5)
    assert cov.gaps(-5, 25) == [(-5, 0), (10, 12), (20, 25)]
    assert cov.gaps(0, 20) == [(10, 12)] and cov.gaps(1, 9) == []
    cov.add(10, 12)
    assert cov.intervals == [(0, 20)] and cov.covers(0, 20)


def test_times_are_exact_microseconds():
    moment = datetime(2024, 5, 20, 9, 30, 1, 123456, tzinfo=UTC)
    assert from_us(to_us(moment)) == moment
    assert to_us(moment) - to_us(moment.replace(microsecond=123455)) == 1
    assert from_us(NEG_INF) is None


# ---- pages that were read ---------------------------------------------------------------


def test_first_run_pages_to_the_default_depth_and_sets_the_floor_there():
    first = plan(page=entries(50, 40, 30), default_max_pages=2)
    assert first.interval == (30 * S, 50 * S) and first.next_page
    assert first.follow == [0, 1, 2] and first.confirm == {"a50-1", "a40-1", "a30-1"}
    second = plan(number=2, page=entries(20, 10), prev=first.carry, default_max_pages=2)
    assert second.interval == (10 * S, 30 * S)  # down to page 1's oldest, inclusive
    assert second.confirm >= {"a30-1"}  # page 1's boundary entry is waited for too
    assert second.stop == "max_pages" and second.floor == 10 * S and not second.next_page


def test_a_plain_run_stops_once_everything_below_is_covered():
    cov = FeedCoverage(0, [(0, 45 * S)])
    top = plan(page=entries(60, 50, 40), known={"a40-1"}, cov=cov)
    assert top.follow == [0, 1] and top.stop == "complete"  # (0, 40s] is covered
    gap = FeedCoverage(0, [(0, 20 * S), (30 * S, 45 * S)])
    more = plan(page=entries(60, 50, 40), known={"a40-1"}, cov=gap)
    assert more.next_page and more.stop is None  # (20s, 30s] still to page through
    assert plan(page=entries(60, 50, 40), cov=gap, refresh=True).next_page  # refresh: no stop


def test_a_covered_page_needs_no_fetches_but_paging_reaches_the_gap():
    cov = FeedCoverage(0, [(0, 10 * S), (20 * S, 60 * S)])
    known = {f"a{t}-1" for t in (50, 40, 30)}
    page = plan(number=3, page=entries(50, 40, 30), known=known, cov=cov, prev=Carry(oldest=55 * S))
    assert page.follow == [] and page.refresh == [] and page.next_page
    assert page.interval == (30 * S, 55 * S) and page.confirm == set()


def test_after_a_failed_page_the_boundary_time_is_not_assumed():
    failed = plan_failed_page(PAGE_NUMBER, 4, Carry(oldest=90 * S), FeedCoverage(), Limits())
    assert failed.next_page and failed.carry.oldest is None and failed.carry.failed_in_row == 1
    after = plan(number=5, page=entries(70, 60), prev=failed.carry)
    assert after.interval == (60 * S, 70 * S - 1)  # (oldest, newest - 1us]


def test_failed_pages_in_a_row_end_paging_and_cursor_feeds_stop_at_once():
    limits = Limits(max_failed_in_row=3)
    carry = None
    for number in (1, 2):
        step = plan_failed_page(PAGE_NUMBER, number, carry, FeedCoverage(), limits)
        assert step.next_page
        carry = step.carry
    assert plan_failed_page(PAGE_NUMBER, 3, carry, FeedCoverage(), limits).stop == "failed_pages"
    for kind in (CURSOR, TIME_CURSOR):
        assert plan_failed_page(kind, 2, None, FeedCoverage(), limits).stop == "page_failed"


def test_items_sharing_a_second_across_pages():
    # Page 1 ends with two items at 30s; page 2 starts with a third one at 30s.
    first = plan(page=entries(50, 30, 30))
    assert set(first.carry.boundary) == {"a30-1", "a30-2"}
    second = plan(number=2, page=entries(30, 20, prefix="b"), prev=first.carry)
    assert second.interval == (20 * S, 30 * S) and {"a30-1", "a30-2", "b30-1"} <= second.confirm
    # A time cursor that asks strictly below 30s never lists b30: the point is not claimed.
    strict = plan(TIME_CURSOR, 2, entries(20, 10, prefix="b"), prev=first.carry)
    assert strict.interval == (10 * S, 30 * S - 1)
    # One that asks for the 30s second again lists it: the point is claimed.
    again = plan(TIME_CURSOR, 2, entries(30, 20, prefix="b"), prev=first.carry)
    assert again.interval == (20 * S, 30 * S)


def test_an_unclean_page_proves_nothing_and_its_successor_stops_short():
    bad = plan(page=entries(50, 40), clean=False)
    assert bad.interval is None and bad.follow == [0, 1] and bad.next_page
    after = plan(number=2, page=entries(30, 20), prev=bad.carry)
    assert after.interval == (20 * S, 30 * S - 1)


def test_end_of_feed_covers_everything_older():
    first = plan(page=entries(50, 40))
    end = plan(number=2, page=[], prev=first.carry)
    assert end.stop == "end_of_feed" and end.floor == NEG_INF
    assert end.interval == (NEG_INF, 40 * S) and end.confirm == {"a40-1"}


def test_since_backfills_to_since_and_claims_nothing_older():
    cov = FeedCoverage(35 * S, [(35 * S, 60 * S)])
    page = plan(
        number=2, page=entries(30, 20, 10), prev=Carry(oldest=35 * S), cov=cov, since=20 * S
    )
    assert page.follow == [0, 1] and page.counts["older_than_since"] == 1
    assert page.interval == (20 * S - 1, 35 * S)  # t >= since
    assert page.stop == "since" and page.floor == 20 * S - 1
    deep = plan(number=60, page=entries(90, 80), since=20 * S, default_max_pages=50)
    assert deep.next_page  # a backfill is bounded by the hard cap, not the default depth


def test_a_page_repeating_the_previous_one_stops_paging():
    first = plan(page=entries(50, 40))
    repeated = plan(number=2, page=entries(50, 40), prev=first.carry, since=0)
    assert repeated.stop == "repeated" and not repeated.next_page and repeated.interval is None
    refresh = plan(number=2, page=entries(50, 40), prev=first.carry, refresh=True)
    assert refresh.stop == "repeated"
