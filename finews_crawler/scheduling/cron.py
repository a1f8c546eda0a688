"""When scheduled runs happen: `--every` durations and 5-field cron expressions.

Our own small parser (about 60 lines): croniter, the usual library, is no longer maintained.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.I)
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, *, unit_required: bool = False) -> timedelta | None:
    """'90s', '5m', '1h', '2d', '1w' (or plain seconds) -> timedelta; None if not a duration."""
    match = _DURATION.match(text)
    if not match or (unit_required and not match.group(2)):
        return None
    return timedelta(seconds=float(match.group(1)) * _SECONDS[match.group(2).lower()])


def parse_every(text: str) -> float:
    """`--every`: a positive duration in seconds."""
    duration = parse_duration(text)
    if duration is None or duration.total_seconds() <= 0:
        raise ValueError(f"--every {text!r}: use a positive duration like 30s, 5m, 1h")
    return duration.total_seconds()


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAMES = {
    3: {name: number for number, name in enumerate(_MONTHS, 1)},
    4: {name: number for number, name in enumerate(_WEEKDAYS)},
}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _field(text: str, index: int) -> frozenset[int]:
    lo, hi = _RANGES[index]
    names = _NAMES.get(index, {})
    values: set[int] = set()

    def number(token: str) -> int:
        value = names.get(token.lower()) if token.isalpha() else int(token)
        if value is None or not lo <= value <= hi:
            raise ValueError(f"{token!r} out of range {lo}-{hi}")
        return value

    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in {part!r}")
        if body == "*":
            start, end = lo, hi
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = number(first), number(last)
        else:
            start = number(body)
            end = hi if step_text else start
        if start > end:
            raise ValueError(f"empty range {part!r}")
        values.update(range(start, end + 1, step))
    if index == 4 and 7 in values:  # 7 is Sunday too
        values = (values - {7}) | {0}
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """A 5-field cron expression (minute hour day-of-month month day-of-week), local time.

    Supports *, lists, ranges, steps and month/day names; like Vixie cron, when both
    day-of-month and day-of-week are restricted a day matching either one fires.
    """

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        fields = expression.split()
        if len(fields) != 5:
            raise ValueError(f"cron {expression!r}: need 5 fields (minute hour dom month dow)")
        try:
            parsed = [_field(text, index) for index, text in enumerate(fields)]
        except ValueError as exc:
            raise ValueError(f"cron {expression!r}: {exc}") from None
        minutes, hours, days, months, weekdays = parsed
        return cls(
            minutes,
            hours,
            days,
            months,
            weekdays,
            any_day=fields[2] == "*",
            any_weekday=fields[4] == "*",
        )

    def day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after `moment` (naive local time)."""
        candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(366 * 5):  # days; every valid expression matches within 5 years
            if self.day_matches(candidate):
                for hour in sorted(h for h in self.hours if h >= candidate.hour):
                    first = candidate.minute if hour == candidate.hour else 0
                    for minute in sorted(m for m in self.minutes if m >= first):
                        return candidate.replace(hour=hour, minute=minute)
            candidate = (candidate + timedelta(days=1)).replace(hour=0, minute=0)
        raise ValueError("cron expression never matches")
