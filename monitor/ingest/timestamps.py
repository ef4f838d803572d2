"""Parse the timestamp shapes that collection tools export into aware UTC datetimes."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

AUTO = "auto"
ISO = "iso"
EPOCH_S = "epoch_s"
EPOCH_MS = "epoch_ms"

_NUMBER = re.compile(r"^[+-]?\d{1,20}(\.\d{1,9})?$")
_SLASHED = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
# Twitter's classic created_at: "Wed Oct 06 10:00:00 +0000 2021".
_TWITTER = "%a %b %d %H:%M:%S %z %Y"
_MAX_LEN = 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimestampError(ValueError):
    """The value is not a timestamp in the expected format."""


def parse_timestamp(
    value: Any, *, fmt: str = AUTO, dayfirst: bool = False, tz: tzinfo = UTC
) -> datetime:
    """An aware UTC datetime from `value`; naive values are read in `tz`.

    `fmt` is "auto" (ISO-8601, epoch seconds/milliseconds, RFC 2822, Twitter's format,
    M/D/YYYY [H:MM] or D/M/YY with `dayfirst`), "iso", "epoch_s", "epoch_ms" or a
    `strptime` pattern.
    """
    if isinstance(value, bool) or value is None:
        raise TimestampError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        if fmt not in (AUTO, EPOCH_S, EPOCH_MS):
            raise TimestampError(f"a number where format {fmt!r} expects text")
        return _from_epoch(float(value), fmt=fmt)
    if not isinstance(value, str):
        raise TimestampError(f"not a timestamp: {type(value).__name__}")
    text = value.strip()
    if not text:
        raise TimestampError("empty timestamp")
    if len(text) > _MAX_LEN:
        raise TimestampError(f"timestamp too long ({len(text)} characters)")
    if fmt in (EPOCH_S, EPOCH_MS):
        if not _NUMBER.match(text):
            raise TimestampError(f"not an epoch number: {text!r}")
        return _from_epoch(float(text), fmt=fmt)
    if fmt == ISO:
        return _localise(_from_iso(text), tz)
    if fmt != AUTO:
        try:
            return _localise(datetime.strptime(text, fmt), tz)
        except ValueError as exc:
            raise TimestampError(f"{text!r} does not match {fmt!r}") from exc
    return _localise(_auto(text, dayfirst=dayfirst), tz)


def _auto(text: str, *, dayfirst: bool) -> datetime:
    if _NUMBER.match(text):
        return _from_epoch(float(text), fmt=AUTO)
    try:
        return _from_iso(text)
    except TimestampError:
        pass
    match = _SLASHED.match(text)
    if match:
        return _from_slashed(match, dayfirst=dayfirst)
    try:
        return datetime.strptime(text, _TWITTER)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    raise TimestampError(f"unrecognised timestamp {text!r}")


def _from_iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise TimestampError(f"not ISO-8601: {text!r}") from exc


def _from_epoch(number: float, *, fmt: str) -> datetime:
    if not math.isfinite(number):
        raise TimestampError("epoch is not a finite number")
    if fmt == EPOCH_MS:
        number /= 1_000
    elif fmt == AUTO:
        # Seconds until the year 5138, then milliseconds, then microseconds.
        if abs(number) >= 1e14:
            number /= 1_000_000
        elif abs(number) >= 1e11:
            number /= 1_000
    try:
        # Arithmetic on the epoch is several times faster than fromtimestamp(tz=UTC).
        return _EPOCH + timedelta(seconds=number)
    except (OverflowError, OSError, ValueError) as exc:
        raise TimestampError(f"epoch out of range: {number!r}") from exc


def _from_slashed(match: re.Match[str], *, dayfirst: bool) -> datetime:
    first, second, year_text, hour, minute, sec, ampm = match.groups()
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year < 70 else 1900
    a, b = int(first), int(second)
    # Honour the source's order, but a day over 12 settles an ambiguous date by itself.
    day, month = (a, b) if dayfirst else (b, a)
    if month > 12 and day <= 12:
        day, month = month, day
    h = int(hour or 0)
    if ampm:
        if not 1 <= h <= 12:
            raise TimestampError(f"bad 12-hour clock value: {h}")
        h = h % 12 + (12 if ampm.lower() == "pm" else 0)
    try:
        return datetime(year, month, day, h, int(minute or 0), int(sec or 0))
    except ValueError as exc:
        raise TimestampError(f"not a valid date: {match.group(0)!r}") from exc


def _localise(value: datetime, tz: tzinfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)
