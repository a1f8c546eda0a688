"""Publish dates: source notations to timezone-aware UTC datetimes.

East Money writes local Beijing time without an offset ("2022-04-13 16:25:27",
"2022年04月13日 16:25", epoch milliseconds in some APIs). A naive time is Asia/Shanghai.
The common notations are parsed by regex (fast, exact); dateparser is the fallback.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SOURCE_TZ = ZoneInfo("Asia/Shanghai")

_NUMERIC = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[\sT]*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2})(?:\.\d+)?)?\s*秒?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")


class DateParseError(ValueError):
    """The value holds no date we can trust."""


EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)


def _plausible(value: datetime, text: str) -> datetime:
    """Reject dates no news article can have (a parse that went wrong, a bogus source)."""
    if value < EARLIEST or value > datetime.now(UTC) + FUTURE_SLACK:
        raise DateParseError(f"implausible date {text!r} -> {value.isoformat()}")
    return value


def _offset(value: str) -> timezone | ZoneInfo:
    if value == "Z":
        return UTC
    sign = -1 if value[0] == "-" else 1
    digits = value[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def has_date(text: str) -> bool:
    """Whether a value holds any date at all (the archive wrote " +0800" for none)."""
    return bool(re.search(r"\d", text.replace("+0800", "")))


def parse_datetime(value: str | int | float | datetime | None) -> datetime:
    """Parse a source date into an aware UTC datetime; raise DateParseError when impossible."""
    if value is None:
        raise DateParseError("no date")
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=SOURCE_TZ)
        return aware.astimezone(UTC)
    if not isinstance(value, str | int | float):  # a list, an object: never its Python repr
        raise DateParseError(f"date is {type(value).__name__}, not text or a number")
    if isinstance(value, int | float) or _EPOCH.match(str(value).strip()):
        number = float(value)
        seconds = number / 1000 if number > 1e11 else number
        return _plausible(datetime.fromtimestamp(seconds, UTC), str(value))
    text = str(value).strip()
    if not has_date(text):
        raise DateParseError(f"no date in {text!r}" if text else "empty date")
    match = _NUMERIC.search(text)
    if match:
        try:
            local = datetime(
                int(match["y"]),
                int(match["m"]),
                int(match["d"]),
                int(match["H"] or 0),
                int(match["M"] or 0),
                int(match["S"] or 0),
            )
        except ValueError as exc:
            raise DateParseError(f"impossible date {text!r}: {exc}") from None
        tz = _offset(match["tz"]) if match["tz"] else SOURCE_TZ
        return _plausible(local.replace(tzinfo=tz).astimezone(UTC), text)
    return _parse_with_dateparser(text)


def _parse_with_dateparser(text: str) -> datetime:
    import dateparser  # imported lazily: slow to load, rarely needed

    parsed = dateparser.parse(
        text,
        languages=["zh", "en"],
        settings={"TIMEZONE": "Asia/Shanghai", "RETURN_AS_TIMEZONE_AWARE": True},
    )
    if parsed is None:
        raise DateParseError(f"unparseable date {text!r}")
    return _plausible(parsed.astimezone(UTC), text)


def to_source_time(value: datetime) -> datetime:
    """The same instant in Beijing time, for display and for Jekyll's +0800 dates."""
    return value.astimezone(SOURCE_TZ)
