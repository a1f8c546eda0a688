"""Source dates (Beijing time, several notations) become aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from finews_crawler.parsing.dates import DateParseError, parse_datetime, to_source_time

EXPECTED = datetime(2022, 4, 13, 8, 25, 27, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2022-04-13 16:25:27",
        "2022-04-13 16:25:27 +0800",
        "2022-04-13T16:25:27+08:00",
        "2022-04-13T08:25:27Z",
        "2022年04月13日 16:25:27",
        "2022/4/13 16:25:27",
        "1649838327000",
        1649838327,
        datetime(2022, 4, 13, 16, 25, 27),
    ],
)
def test_notations(value: object) -> None:
    assert parse_datetime(value) == EXPECTED


def test_minute_precision_layout() -> None:
    assert parse_datetime("2022年04月13日 16:25") == datetime(2022, 4, 13, 8, 25, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", " +0800", "abc", "2022-13-45 10:00:00", "1899-01-01"])
def test_unusable_dates_raise(value: object) -> None:
    with pytest.raises(DateParseError):
        parse_datetime(value)


def test_future_dates_are_rejected() -> None:
    with pytest.raises(DateParseError, match="implausible"):
        parse_datetime("2199-01-01 00:00:00")


def test_source_time_round_trip() -> None:
    assert to_source_time(EXPECTED).strftime("%Y-%m-%d %H:%M:%S %z") == "2022-04-13 16:25:27 +0800"
