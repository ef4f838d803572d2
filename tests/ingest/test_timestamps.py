from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.ingest.timestamps import TimestampError, parse_timestamp

OCT5 = datetime(2021, 10, 5, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "fmt", "dayfirst"),
    [
        ("2021-10-05T14:30:00Z", "auto", False),
        ("2021-10-05T19:00:00+04:30", "auto", False),  # Kabul offset
        ("2021-10-05 14:30", "iso", False),
        (1633444200, "auto", False),
        ("1633444200", "auto", False),
        (1633444200000, "auto", False),
        ("1633444200000", "epoch_ms", False),
        ("10/5/2021 14:30", "auto", False),
        ("10/5/2021 2:30 PM", "auto", False),
        ("5/10/2021 14:30", "auto", True),
        ("Tue Oct 05 14:30:00 +0000 2021", "auto", False),
        ("Tue, 05 Oct 2021 14:30:00 +0000", "auto", False),
        ("05.10.2021 14:30", "%d.%m.%Y %H:%M", False),
    ],
)
def test_timestamps_parse_export_shapes(value: object, fmt: str, dayfirst: bool) -> None:
    assert parse_timestamp(value, fmt=fmt, dayfirst=dayfirst) == OCT5


def test_timestamps_day_first_short_year() -> None:
    assert parse_timestamp("5/10/21", dayfirst=True) == datetime(2021, 10, 5, tzinfo=UTC)
    assert parse_timestamp("5/10/21", fmt="%d/%m/%y") == datetime(2021, 10, 5, tzinfo=UTC)


def test_timestamps_day_over_twelve_settles_order() -> None:
    assert parse_timestamp("25/10/2021") == datetime(2021, 10, 25, tzinfo=UTC)


def test_timestamps_naive_values_read_in_source_zone() -> None:
    kabul = ZoneInfo("Asia/Kabul")
    assert parse_timestamp("2021-10-05 19:00", tz=kabul) == OCT5


@pytest.mark.parametrize(
    "value",
    ["", "yesterday", "9" * 5000, "13/13/2021", "2021-02-30", float("inf"), True, None, {"a": 1},
     "1e999"],
)
def test_timestamps_reject_garbage(value: object) -> None:
    with pytest.raises(TimestampError):
        parse_timestamp(value)


def test_timestamps_huge_json_number_is_an_error_not_a_crash() -> None:
    with pytest.raises(TimestampError):
        parse_timestamp(10**30)
