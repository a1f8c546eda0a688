"""The per-page paging rule: which entries to fetch, which range a page proves, when to stop.

Pure (no store, no Scrapy), so every case is unit-testable. The caller reads the store (known
ids, coverage), calls `plan_page` or `plan_failed_page`, and carries `PagePlan.carry` to the
next page's request, so the rule needs no shared memory and works across workers.

How a page's range is claimed (times in microseconds, ranges (lo, hi]):
- page 1 covers (oldest, newest]; page k covers (oldest_k, oldest_(k-1)] when page k-1 was read
  cleanly in this chain (the point oldest_(k-1) may be split over both pages, so page k also
  waits for page k-1's entries at that time: `Carry.boundary`);
- after a failed, unread or unclean page (a bad entry of unknown time), only
  (oldest, newest - 1us]: items sharing a time across the boundary are never assumed;
- a time-cursor feed (cls `last_time`) claims the boundary point only when the page lists it
  again (its newest entry is at or above oldest_(k-1)); its adapter must ask for the boundary
  second again, or the point stays uncovered and the feed unfinished; the repeats are known
  or already requested, so they are not fetched twice; a page holding only repeats of that
  second, shorter than the page before, is the end of the feed;
- the end of the feed (an empty page) covers everything older than the last page read;
- with `since`, nothing below since - 1us is claimed (older entries are not fetched).
A claimed range counts only once every id in `PagePlan.confirm` is in the store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from finews_crawler.crawl.paging.coverage import NEG_INF, FeedCoverage, Interval
from finews_crawler.sources.base import (  # noqa: F401  (the feed contract, re-exported)
    CURSOR,
    FEED_ONLY_CONTEXT,
    PAGE_NUMBER,
    PAGING_KINDS,
    TIME_CURSOR,
    FeedListing,
)

# Stop reasons after which the feed was paged as deep as this run had to.
REACHED = frozenset({"end_of_feed", "since", "complete", "max_pages"})


@dataclass(frozen=True)
class Entry:
    """One usable feed entry as the rule sees it."""

    article_id: str
    published: int | None  # microseconds; None when the entry gives no readable time


@dataclass
class Limits:
    """What the operator asked for, and the depth bounds."""

    since: int | None = None  # microseconds
    refresh: bool = False
    max_pages: int | None = None  # explicit -a max_pages
    default_max_pages: int = 50  # a first run (no floor yet) and refresh runs
    hard_max_pages: int = 2000  # gap filling down to the floor, backfills with since
    max_failed_in_row: int = 3  # page-number feeds: consecutive failed pages before giving up

    def target(self, coverage: FeedCoverage) -> int | None:
        """Down to where this run must find the store complete (None: not known yet)."""
        return self.since - 1 if self.since is not None else coverage.floor

    def bound(self, coverage: FeedCoverage) -> int:
        if self.max_pages:
            return self.max_pages
        if self.since is not None:
            return self.hard_max_pages
        if self.refresh or coverage.floor is None:
            return self.default_max_pages
        return self.hard_max_pages


@dataclass
class Carry:
    """What page k tells page k+1 (travels in the request context as a plain dict)."""

    oldest: int | None = None
    boundary: list[str] = field(default_factory=list)  # ids at `oldest` (or undated) not stored
    ids: list[str] = field(default_factory=list)  # every id of page k (repeat detection)
    clean: bool = True  # page k had no entry of unknown time that could not be followed
    failed_in_row: int = 0  # failed pages just before this one

    def to_context(self) -> dict[str, Any]:
        return {
            "oldest": self.oldest,
            "boundary": self.boundary,
            "ids": self.ids,
            "clean": self.clean,
            "failed_in_row": self.failed_in_row,
        }

    @classmethod
    def from_context(cls, value: Any) -> Carry | None:
        if not isinstance(value, dict):
            return None
        return cls(
            oldest=value.get("oldest"),
            boundary=list(value.get("boundary") or []),
            ids=list(value.get("ids") or []),
            clean=bool(value.get("clean", True)),
            failed_in_row=int(value.get("failed_in_row") or 0),
        )


@dataclass
class PagePlan:
    """The decision for one page."""

    follow: list[int] = field(default_factory=list)  # entry indices to fetch (not stored)
    refresh: list[int] = field(default_factory=list)  # stored, fetched again (refresh=1)
    interval: Interval | None = None  # the range this page proves once `confirm` is stored
    confirm: set[str] = field(default_factory=set)
    next_page: bool = False
    carry: Carry | None = None  # for the next page's request
    stop: str | None = None
    floor: int | None = None  # lower the feed's floor to this
    newest: int | None = None
    counts: Counter[str] = field(default_factory=Counter)


def plan_page(
    kind: str,
    number: int,
    entries: list[Entry],
    *,
    clean: bool,
    prev: Carry | None,
    known: set[str],
    requested: set[str],
    coverage: FeedCoverage,
    limits: Limits,
) -> PagePlan:
    """Decide page `number` of a feed. `clean` is False when the page had entries that could
    not be followed (failure records): then it proves no range. `requested`: ids this process
    already asked for in this run (not fetched again, still waited for)."""
    plan = PagePlan()
    plan.counts["pages"] += 1
    plan.counts["entries"] += len(entries)
    since = limits.since
    carried = prev if prev is not None and prev.oldest is not None and prev.clean else None
    ids = [entry.article_id for entry in entries]

    if not entries and clean:
        plan.stop = "end_of_feed"
        plan.floor = NEG_INF if since is None else since - 1
        if carried is not None or number == 1:
            lo = NEG_INF if since is None else since - 1
            if carried is not None and carried.oldest is not None and carried.oldest > lo:
                plan.interval = (lo, carried.oldest)
                plan.confirm = set(carried.boundary)
        return plan

    if prev is not None and prev.ids and ids and set(ids) <= set(prev.ids):
        if kind == TIME_CURSOR and _only_boundary_again(entries, prev) and clean:
            # Asked from the boundary second again, the host had nothing older: the end.
            return plan_page(
                kind, number, [], clean=True, prev=prev, known=known, requested=requested,
                coverage=coverage, limits=limits,
            )  # fmt: skip
        plan.stop = "repeated"
        return plan

    dated = [entry.published for entry in entries if entry.published is not None]
    oldest = min(dated) if dated else None
    newest = max(dated) if dated else None
    plan.newest = newest
    for index, entry in enumerate(entries):
        if since is not None and entry.published is not None and entry.published < since:
            plan.counts["older_than_since"] += 1
            continue
        aid = entry.article_id
        if aid in known:
            if limits.refresh and aid not in requested:
                plan.refresh.append(index)
                plan.counts["refreshed"] += 1
            else:
                plan.counts["known"] += 1
            continue
        plan.confirm.add(aid)
        if aid in requested:
            plan.counts["already_requested"] += 1
        else:
            plan.follow.append(index)
            plan.counts["new"] += 1

    if clean and oldest is not None and newest is not None:
        lo = oldest if since is None else max(oldest, since - 1)
        if number == 1 and prev is None:
            hi = newest
        elif carried is not None and carried.oldest is not None:
            hi = carried.oldest
            if kind == TIME_CURSOR and newest < carried.oldest:
                hi = carried.oldest - 1
            plan.confirm |= set(carried.boundary)
        else:
            hi = newest - 1
        if hi > lo:
            plan.interval = (lo, hi)
    if plan.interval is None:
        plan.confirm = set()  # nothing to prove: no need to wait for the store

    plan.carry = Carry(
        oldest=oldest,
        boundary=[
            entry.article_id
            for entry in entries
            if entry.article_id not in known and (entry.published in (None, oldest))
        ],
        ids=ids,
        clean=clean,
        failed_in_row=0,
    )
    target = limits.target(coverage)
    if since is not None and oldest is not None and oldest < since:
        plan.stop, plan.floor = "since", since - 1
    elif number >= limits.bound(coverage):
        plan.stop = "max_pages"
        if coverage.floor is None and oldest is not None:
            plan.floor = oldest if since is None else max(oldest, since - 1)
    elif (
        target is not None
        and oldest is not None
        and not limits.refresh
        and coverage.covers(target, oldest)
    ):
        plan.stop = "complete"
    else:
        plan.next_page = True
    return plan


def _only_boundary_again(entries: list[Entry], prev: Carry) -> bool:
    """A time-cursor page that lists again only (part of) the previous page's oldest second,
    fewer entries than that page: the host had nothing older. A page as long as the previous
    one, all in one second, is a cursor that cannot move: `repeated`."""
    return len(entries) < len(prev.ids) and all(entry.published == prev.oldest for entry in entries)


def plan_failed_page(
    kind: str, number: int, prev: Carry | None, coverage: FeedCoverage, limits: Limits
) -> PagePlan:
    """A page that could not be read (HTTP error after retries, not a feed, unreadable).

    Its range stays uncovered. A page-number feed goes on with the next page (whose range then
    stops short of its newest time), up to `max_failed_in_row` failures in a row; a cursor
    feed has no next cursor, so its paging ends here, unfinished."""
    plan = PagePlan()
    plan.counts["failed_pages"] += 1
    failed_in_row = (prev.failed_in_row if prev else 0) + 1
    if kind != PAGE_NUMBER:
        plan.stop = "page_failed"
    elif failed_in_row >= limits.max_failed_in_row:
        plan.stop = "failed_pages"
    elif number >= limits.bound(coverage):
        plan.stop = "max_pages"
    else:
        plan.next_page = True
        plan.carry = Carry(failed_in_row=failed_in_row)
    return plan
