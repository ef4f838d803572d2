"""`monitor detect --series`: the detector on an analyst's own file."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from monitor.cli import app
from monitor.services.detection import parse_points

runner = CliRunner()


def write_series(path: Path, values: list[int], *, skip: int | None = None) -> Path:
    lines = ["timestamp,value"] + [f"{date(2026, 1, 1) + timedelta(days=i)},{v}"
                                   for i, v in enumerate(values) if i != skip]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def series_file(tmp_path: Path) -> Path:
    values = np.random.default_rng(1).poisson(3, 90).tolist()
    values[80] = 20
    return write_series(tmp_path / "series.csv", values, skip=40)


def test_csv_output_has_every_bucket_and_flags_the_spike(tmp_path: Path) -> None:
    result = runner.invoke(app, ["detect", "--series", str(series_file(tmp_path))])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 90  # the missing day is filled in with a zero
    assert rows[40]["timestamp"] == "2026-02-10T00:00:00Z" and rows[40]["value"] == "0.0"
    assert [r["timestamp"] for r in rows if r["flag"]] == ["2026-03-22T00:00:00Z"]
    spike = rows[80]
    assert spike["flag"] == "spike" and float(spike["expected"]) < 5
    assert float(spike["q_value"]) < 0.05 and float(spike["score"]) > 5
    assert rows[0]["method"] == "untested" and rows[0]["expected"] == ""
    assert "90 buckets of 1 day, cycle of 7 buckets" in result.stderr


def test_json_output_and_hourly_buckets(tmp_path: Path) -> None:
    lines = [f"2026-05-01T{h:02d}:00:00Z,5" for h in range(24)]
    lines += [f"2026-05-02T{h:02d}:00:00+00:00,{30 if h == 12 else 5}" for h in range(24)]
    path = tmp_path / "hourly.csv"
    path.write_text("\n".join(lines), "utf-8")
    result = runner.invoke(app, ["detect", "--series", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 48 and rows[36]["flag"] == "spike"
    assert "1 hour" in result.stderr


def test_a_bad_row_is_named_by_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,value\n2026-01-01,3\n2026-01-02,lots\n", "utf-8")
    result = runner.invoke(app, ["detect", "--series", str(path)])
    assert result.exit_code == 2
    assert "bad.csv:3" in result.stderr and "not a number" in result.stderr
    path.write_text("2026-01-01,3\nyesterday,4\n", "utf-8")
    result = runner.invoke(app, ["detect", "--series", str(path)])
    assert result.exit_code == 2 and "ISO 8601" in result.stderr
    result = runner.invoke(app, ["detect", "--series", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_unix_seconds_and_basic_iso_dates_are_both_read() -> None:
    points = parse_points("20260101,3\n1767312000,4\n")
    assert [p[0].isoformat() for p in points] == ["2026-01-01T00:00:00+00:00",
                                                  "2026-01-02T00:00:00+00:00"]

