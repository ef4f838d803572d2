"""`monitor detect --series`: the spike detector on an analyst's own `timestamp,value` file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.errors import InputError
from monitor.trends.detect import (
    BucketResult,
    DetectorConfig,
    Series,
    cycle_of,
    regular_series,
    scan,
)

MAX_POINTS = 5_000_000
COLUMNS = ("timestamp", "value", "expected", "p_value", "q_value", "score", "method", "span",
           "cusum", "flag")


@dataclass
class SeriesDetection:
    series: Series
    period: int | None
    results: list[BucketResult]

    @property
    def flagged(self) -> list[BucketResult]:
        return [r for r in self.results if r.flag]

    def rows(self) -> Iterator[dict[str, Any]]:
        for r in self.results:
            yield {"timestamp": _iso(self.series.timestamp(r.index)), "value": r.observed,
                   "expected": r.expected,
                   "p_value": None if r.p_value is None else float(f"{r.p_value:.4g}"),
                   "q_value": None if r.q_value is None else float(f"{r.q_value:.4g}"),
                   "score": round(r.score, 3), "method": r.method, "span": r.span,
                   "cusum": r.cusum,
                   "flag": r.flag}


def detect_file(path: Path, config: DetectorConfig | None = None) -> SeriesDetection:
    """Read a `timestamp,value` CSV (header optional), regularise it and test every bucket."""
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    return detect_points(parse_points(text, str(path)), config)


def detect_points(points: list[tuple[datetime, float]],
                  config: DetectorConfig | None = None) -> SeriesDetection:
    try:
        series = regular_series(points)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    period = cycle_of(series.bucket)
    return SeriesDetection(series, period, scan(series.values, config, period))


def parse_points(text: str, where: str = "input") -> list[tuple[datetime, float]]:
    points: list[tuple[datetime, float]] = []
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise InputError(f"{where}:{line_no}: expected two columns, timestamp,value")
        stamp, value = row[0].strip(), row[1].strip()
        if line_no == 1 and stamp.lower() in ("timestamp", "time", "date", "ts"):
            continue  # the header
        when = _timestamp(stamp, where, line_no)
        try:
            number = float(value)
        except ValueError:
            raise InputError(f"{where}:{line_no}: value {value[:40]!r} is not a number") from None
        if not number >= 0:  # also refuses NaN
            raise InputError(f"{where}:{line_no}: value {value[:40]!r}: counts cannot be "
                             "negative")
        points.append((when, number))
        if len(points) > MAX_POINTS:
            raise InputError(f"{where}: more than {MAX_POINTS:,} points")
    if len(points) < 2:
        raise InputError(f"{where}: a series needs at least two timestamp,value rows")
    return points


def _timestamp(stamp: str, where: str, line_no: int) -> datetime:
    try:
        # Eight digits are a basic ISO date (20260101); other numbers are Unix seconds.
        if stamp.replace(".", "", 1).isdigit() and not (len(stamp) == 8 and stamp.isdigit()):
            return datetime.fromtimestamp(float(stamp), UTC)
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise InputError(f"{where}:{line_no}: timestamp {stamp[:40]!r} is neither ISO 8601 "
                         "nor Unix seconds") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
