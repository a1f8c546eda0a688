"""Feed coverage: the publish-time ranges in which every entry of a feed is known to be stored.

A feed's durable paging state is a set of half-open intervals (lo, hi] in microseconds since
the epoch, plus a floor: how deep the store must be complete. Intervals are only ever added
(never replaced), so several workers writing at once merge instead of overwriting each other;
readers take the union. Times are integers so that "one microsecond before" is exact: items
that share a second are either all inside an interval or the interval stops short of them.
Pure and unit-testable: no store, no Scrapy.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from finews_crawler.storage.intervals import Interval, merge_intervals

# Below every real publish time: "complete down to the end of the feed".
NEG_INF = -(2**62)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


def to_us(value: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact, no float rounding)."""
    return (value - _EPOCH) // _ONE_US


def from_us(value: int) -> datetime | None:
    """The datetime of a microsecond time; None for NEG_INF (the end of the feed)."""
    return None if value <= NEG_INF else _EPOCH + value * _ONE_US


def show(value: int | None) -> str:
    """A microsecond time for log lines and records."""
    if value is None:
        return "unknown"
    when = from_us(value)
    return "the end of the feed" if when is None else when.isoformat()


class FeedCoverage:
    """Union of covered intervals plus the floor (None until a run first reached its depth)."""

    def __init__(self, floor: int | None = None, intervals: Iterable[Interval] = ()) -> None:
        self.floor = floor
        self.intervals = merge_intervals(intervals)

    def __repr__(self) -> str:
        return f"FeedCoverage(floor={self.floor}, intervals={self.intervals})"

    def add(self, lo: int, hi: int) -> None:
        self.intervals = merge_intervals([*self.intervals, (lo, hi)])

    def union(self, other: FeedCoverage) -> FeedCoverage:
        floors = [f for f in (self.floor, other.floor) if f is not None]
        return FeedCoverage(min(floors) if floors else None, [*self.intervals, *other.intervals])

    def covers(self, lo: int, hi: int) -> bool:
        """Whether every point of (lo, hi] is covered (an empty range always is)."""
        if hi <= lo:
            return True
        index = bisect_right([start for start, _ in self.intervals], lo) - 1
        return index >= 0 and self.intervals[index][1] >= hi

    def gaps(self, lo: int, hi: int) -> list[Interval]:
        """The uncovered parts of (lo, hi], oldest first."""
        found: list[Interval] = []
        position = lo
        for start, end in self.intervals:
            if end <= position:
                continue
            if start >= hi:
                break
            if start > position:
                found.append((position, start))
            position = max(position, end)
            if position >= hi:
                break
        if position < hi:
            found.append((position, hi))
        return found
