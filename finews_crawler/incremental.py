"""Incremental feed paging: fetch only what is new, stop as soon as a feed page is all old news.

Feeds list articles newest first, so a page whose articles are all in the store means every
later page is old too, and paging stops there. That rule is only safe when the previous run
got through everything it paged over; otherwise (killed, a feed page failed, articles left
unstored) the next run must first catch up. Each feed therefore keeps a checkpoint in the
store: "unfinished down to <time>", the publish time of the oldest entry that may still be
missing. While a page's entries are newer than that, paging goes on even over known pages.
The checkpoint lives in the store, not in JOBDIR, so it survives SIGKILL, works without JOBDIR
and is shared by distributed workers.

Options (spider arguments): `-a since=2024-05-01|6h|2d` skips and stops at older entries,
`-a max_pages=N` bounds paging, `-a refresh=1` re-fetches known articles (edits are detected
by the store's content hash). With `since` or `refresh` the stop-at-known-page rule is off:
paging goes down to `since` (a backfill window) or to max_pages / the end of the feed.
Counters go to the stats as `incremental/*`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from finews_crawler.cron import parse_duration
from finews_crawler.flags import flag
from finews_crawler.parsing.dates import DateParseError, parse_datetime
from finews_crawler.sources import FollowUp
from finews_crawler.storage import Store

logger = logging.getLogger("finews.incremental")

STATS_PREFIX = "incremental/"
CHECKPOINT_PREFIX = "incremental/"
# Stop reasons that mean the feed was paged as far as this run wanted.
COMPLETE_STOPS = frozenset({"known", "since", "end_of_feed", "max_pages"})


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """`since` as an aware UTC datetime: a date/time (Beijing time unless an offset is
    given) or a look-back like 90m, 6h, 2d, 1w."""
    if not value:
        return None
    look_back = parse_duration(value, unit_required=True)
    if look_back is not None:
        return (now or datetime.now(UTC)) - look_back
    try:
        return parse_datetime(value)
    except DateParseError as exc:
        raise ValueError(
            f"since={value!r}: {exc} (use 2024-05-01, 2024-05-01 08:00 or 6h)"
        ) from None


@dataclass
class PagingOptions:
    """What the operator asked for; built from spider arguments."""

    since: datetime | None = None
    max_pages: int | None = None
    refresh: bool = False

    @classmethod
    def from_args(
        cls, since: str | None = None, max_pages: Any = None, refresh: Any = None
    ) -> PagingOptions:
        pages = int(max_pages) if max_pages not in (None, "", "0", 0) else None
        if pages is not None and pages < 1:
            raise ValueError(f"max_pages must be a positive number, got {max_pages!r}")
        return cls(since=parse_since(since), max_pages=pages, refresh=flag(refresh))


@dataclass
class PageDecision:
    """What to do with one feed page: the article requests to make, and whether to page on."""

    follow: list[FollowUp] = field(default_factory=list)
    refresh: list[FollowUp] = field(default_factory=list)  # known articles fetched again
    next_page: bool = False


@dataclass
class _FeedState:
    target: datetime | None = None  # catch up through entries newer than this
    run_oldest: datetime | None = None  # oldest entry time seen in this run
    stop_reason: str | None = None
    pages: int = 0


def _published(follow_up: FollowUp) -> datetime | None:
    value = follow_up.context.get("feed_published")
    try:
        return parse_datetime(value) if value else None
    except DateParseError:
        return None


def _earliest(*values: datetime | None) -> datetime | None:
    present = [value for value in values if value is not None]
    return min(present) if present else None


class FeedPager:
    """Per-crawl paging policy over any number of feeds, backed by the store."""

    def __init__(self, store: Store, options: PagingOptions, stats: Any = None) -> None:
        self.store = store
        self.options = options
        self.stats = stats
        self.feeds: dict[str, _FeedState] = {}
        # Articles requested in this run and not yet through the pipelines: id -> (feed,
        # published). Settled ones leave (the store knows them), so memory stays flat.
        self.requested: dict[str, tuple[str, datetime | None]] = {}

    # ---- bookkeeping ---------------------------------------------------------------------

    def settled(self, article_id: str) -> None:
        """The article reached the store (or was a duplicate of one that did)."""
        self.requested.pop(article_id, None)

    def count(self, key: str, amount: int = 1) -> None:
        if self.stats is not None and amount:
            self.stats.inc_value(STATS_PREFIX + key, amount)

    def checkpoint_name(self, feed: str) -> str:
        return f"{CHECKPOINT_PREFIX}{feed}"  # per feed, whichever spider pages it

    def state(self, feed: str) -> _FeedState:
        """The feed's state, loading its catch-up target from the store on first use."""
        if feed not in self.feeds:
            saved = self.store.get_checkpoint(self.checkpoint_name(feed)) or {}
            target = saved.get("unfinished_down_to")
            state = _FeedState(target=datetime.fromisoformat(target) if target else None)
            if state.target is not None:
                logger.info(
                    "%s: the previous run left entries down to %s unfinished: catching up",
                    feed,
                    state.target.isoformat(),
                )
                self.count("catch_up_feeds")
            self.feeds[feed] = state
        return self.feeds[feed]

    def _save(self, feed: str, down_to: datetime | None) -> None:
        self.store.set_checkpoint(
            self.checkpoint_name(feed),
            {
                "unfinished_down_to": down_to.isoformat() if down_to else None,
                "updated_at": datetime.now(UTC).isoformat(),
            },
        )

    # ---- the rule ------------------------------------------------------------------------

    def decide(self, feed: str, page: int, entries: list[FollowUp]) -> PageDecision:
        """Which entries of page `page` to fetch, and whether to request the next page."""
        state = self.state(feed)
        state.pages += 1
        self.count("pages")
        self.count("entries", len(entries))
        if not entries:
            return self._stop(feed, state, PageDecision(), "end_of_feed")
        dated = [(entry, entry.context.get("article_id"), _published(entry)) for entry in entries]
        known = self.store.known_ids(aid for _, aid, _ in dated if aid)
        decision = PageDecision()
        page_done = True  # every entry with an id is stored or already handled in this run
        for entry, aid, published in dated:
            if aid and aid in self.requested:  # in flight: met earlier in this run
                self.count("already_requested")
                continue
            is_known = bool(aid) and aid in known
            if aid and not is_known:
                page_done = False
            if self.options.since and published and published < self.options.since:
                self.count("older_than_since")
                continue
            if is_known and not self.options.refresh:
                self.count("known")
                continue
            if is_known:
                decision.refresh.append(entry)
                self.count("refreshed")
            else:
                decision.follow.append(entry)
                self.count("new" if aid else "without_id")
            if aid:
                self.requested[aid] = (feed, published)
        oldest = _earliest(*(published for _, _, published in dated))
        state.run_oldest = _earliest(state.run_oldest, oldest)
        catching_up = state.target is not None and (oldest is None or oldest > state.target)
        self._save(feed, _earliest(state.target, state.run_oldest))
        if self.options.max_pages and page >= self.options.max_pages:
            return self._stop(feed, state, decision, "max_pages")
        if self.options.since and oldest and oldest < self.options.since:
            return self._stop(feed, state, decision, "since")
        if page_done and not (self.options.refresh or self.options.since) and not catching_up:
            return self._stop(feed, state, decision, "known")
        if catching_up and page_done:
            self.count("catch_up_pages")
        decision.next_page = True
        return decision

    def _stop(self, feed: str, state: _FeedState, decision: PageDecision, reason: str):
        state.stop_reason = reason
        self.count(f"stop/{reason}")
        logger.info("%s: paging stopped after %d page(s): %s", feed, state.pages, reason)
        return decision

    def close(self, reason: str) -> None:
        """At the end of a crawl, keep as the next run's catch-up target whatever is missing:
        articles requested but not stored, pages never reached, an unmet older target."""
        if reason != "finished":
            return  # the per-page checkpoints already say how far this run got
        unstored_by_feed: dict[str, list[datetime | None]] = {}
        missing = set(self.requested) - self.store.known_ids(self.requested)
        for aid in missing:
            feed, published = self.requested[aid]
            unstored_by_feed.setdefault(feed, []).append(published)
        self.count("unstored", len(missing))
        for feed, state in self.feeds.items():
            unstored = unstored_by_feed.get(feed, [])
            down_to = _earliest(*unstored)
            if unstored and None in unstored:
                down_to = _earliest(down_to, state.run_oldest)
            if state.stop_reason not in COMPLETE_STOPS:
                down_to = _earliest(down_to, state.run_oldest)  # a feed page failed
            target_met = state.target is None or state.stop_reason in ("since", "end_of_feed")
            if not target_met and state.run_oldest is not None:
                target_met = state.run_oldest <= state.target
            if not target_met:
                down_to = _earliest(down_to, state.target)
            self._save(feed, down_to)
