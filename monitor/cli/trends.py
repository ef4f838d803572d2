"""CLI commands for trends and spikes: `monitor detect`."""

from __future__ import annotations

import csv
import json
import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.common import err_console, fail
from monitor.errors import MonitorError
from monitor.services.detection import COLUMNS, detect_file
from monitor.trends.detect import DetectorConfig


class Format(StrEnum):
    csv = "csv"
    json = "json"


def detect_command(
    series: Annotated[Path, typer.Option(
        "--series", help="A CSV of timestamp,value rows (header optional; ISO 8601 or Unix "
        "seconds; any bucket size, read from the data; missing buckets count as 0).")],
    output_format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.csv,
    window: Annotated[int, typer.Option(min=1, help="Buckets in the trailing baseline window."
                                        )] = DetectorConfig.window,
    guard: Annotated[int, typer.Option(min=0, help="Buckets skipped between the window and "
                                       "the bucket tested.")] = DetectorConfig.guard,
    fdr: Annotated[float, typer.Option(min=0.0001, max=0.5, help="False discovery rate "
                                       "(Benjamini–Hochberg over every bucket tested)."
                                       )] = DetectorConfig.fdr,
    min_count: Annotated[int, typer.Option(min=0, help="Never flag a bucket with fewer items."
                                           )] = DetectorConfig.min_count,
) -> None:
    """Run the spike detector on your own series: prints every bucket's expected value,
    p-value, q-value, score and flag (spike, emerging or shift)."""
    config = DetectorConfig(window=window, guard=guard, fdr=fdr, min_count=min_count,
                            min_history=min(DetectorConfig.min_history, window))
    try:
        detection = detect_file(series, config)
    except MonitorError as exc:
        raise fail(exc) from exc
    rows = list(detection.rows())
    if output_format is Format.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    cycle = f", cycle of {detection.period} buckets" if detection.period else ""
    flagged = detection.flagged
    err_console.print(
        f"{len(rows):,} buckets of {_duration(detection.series.bucket)}{cycle}; "
        f"{sum(r.p_value is not None for r in detection.results):,} tested; "
        f"{len(flagged):,} flagged ({', '.join(sorted({r.flag for r in flagged})) or 'none'}).",
        highlight=False)


def _duration(bucket: timedelta) -> str:
    seconds = int(bucket.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return str(bucket)
