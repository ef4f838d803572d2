"""Ingest files into a source: read, validate, store in batches; quarantine what fails.

Batches commit in transactions of up to `ingest_commit_every` records together with the run's
counters, so killing the process loses at most the uncommitted work, and re-running inserts
only what is missing.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.config import Settings
from monitor.domain import SourceSpec
from monitor.errors import (
    E_FILE_FORMAT,
    E_FILE_MISSING,
    E_SOURCE_UNKNOWN,
    MonitorError,
    SourceError,
)
from monitor.ingest.readers import detect_format
from monitor.ingest.records import Limits
from monitor.services.batches import Batch, BatchJob, read_batches, read_batches_in_worker
from monitor.services.sources import spec_of
from monitor.store import queries
from monitor.store.bulk import bulk_insert_items, refresh_statistics
from monitor.store.engine import session_factory
from monitor.store.tables import IngestRunRecord, QuarantineRecord

#: Called after each batch with (file, bytes read so far, file size, running summary).
ProgressCallback = Callable[[Path, int, int, "IngestSummary"], None]


@dataclass
class IngestSummary:
    """What a run did; also stored on its ingest run record."""

    run_id: int = 0
    source: str = ""
    read: int = 0
    inserted: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    truncated: int = 0
    quarantined: int = 0
    quarantined_by_reason: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)
    next_analyze: int = field(default=2_000, repr=False)


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_text_bytes=settings.max_text_bytes,
        oversize_text=settings.oversize_text,
        max_metadata_bytes=settings.max_metadata_bytes,
        future_tolerance=timedelta(hours=settings.future_tolerance_hours),
        min_year=settings.min_year,
        store_raw_handles=settings.store_raw_handles,
    )


def ingest_files(
    engine: Engine,
    *,
    source_name: str,
    paths: Sequence[Path],
    settings: Settings,
    on_progress: ProgressCallback | None = None,
) -> IngestSummary:
    """Ingest `paths` into the source `source_name` and return the run's summary."""
    key = settings.require_secret_key()
    for path in paths:
        if not path.is_file():
            raise SourceError(E_FILE_MISSING.format(path=path))
    session = session_factory(engine)()
    try:
        record = queries.get_source(session, source_name)
        if record is None:
            raise SourceError(E_SOURCE_UNKNOWN.format(name=source_name))
        spec = spec_of(record)
        formats = [_format_for(spec, path) for path in paths]
        now = datetime.now(tz=UTC)
        queries.mark_stale_runs(session, now=now)
        run = IngestRunRecord(
            source_id=record.id, status="running", files={"paths": [str(p) for p in paths]},
            started_at=now, heartbeat_at=now, host=socket.gethostname(), pid=os.getpid(),
            quarantined_by_reason={},
        )
        session.add(run)
        session.commit()
        summary = IngestSummary(run_id=run.id, source=spec.name, files=[str(p) for p in paths])
        limits = limits_of(settings)
        try:
            for path, fmt in zip(paths, formats, strict=True):
                job = BatchJob(path=path, fmt=fmt, spec=spec, limits=limits, key=key, now=now,
                               batch_size=settings.ingest_batch_size,
                               max_record_bytes=settings.max_record_bytes)
                parallel = (settings.ingest_parallel
                            and path.stat().st_size >= settings.ingest_parallel_min_bytes)
                _ingest_one(session, run=run, job=job, parallel=parallel,
                            commit_every=settings.ingest_commit_every, summary=summary,
                            on_progress=on_progress)
        except BaseException as exc:
            session.rollback()
            run.status = "failed" if isinstance(exc, Exception) else "interrupted"
            run.error = f"{type(exc).__name__}: {exc}"[:2000]
            run.finished_at = datetime.now(tz=UTC)
            session.commit()
            raise
        run.status = "completed"
        run.finished_at = datetime.now(tz=UTC)
        session.commit()
        return summary
    finally:
        session.close()


def _format_for(spec: SourceSpec, path: Path) -> str:
    if spec.format != "auto":
        return spec.format
    fmt = detect_format(path)
    if fmt is None:
        raise SourceError(E_FILE_FORMAT.format(path=path))
    return fmt


def _ingest_one(
    session: Session,
    *,
    run: IngestRunRecord,
    job: BatchJob,
    parallel: bool,
    commit_every: int,
    summary: IngestSummary,
    on_progress: ProgressCallback | None,
) -> None:
    size = job.path.stat().st_size
    batches: Generator[Batch, None, None] = (
        read_batches_in_worker(job) if parallel else read_batches(job)
    )
    # closing(): on an error the worker is stopped at once, not when garbage collected.
    with contextlib.closing(batches):
        _store_batches(session, run=run, job=job, batches=batches, commit_every=commit_every,
                       summary=summary, on_progress=on_progress, size=size)


def _store_batches(
    session: Session,
    *,
    run: IngestRunRecord,
    job: BatchJob,
    batches: Iterator[Batch],
    commit_every: int,
    summary: IngestSummary,
    on_progress: ProgressCallback | None,
    size: int,
) -> None:
    uncommitted = 0
    try:
        for batch in batches:
            _store_batch(session, run=run, path=job.path, batch=batch, summary=summary)
            uncommitted += len(batch.rows) + len(batch.rejections)
            # Commit every few batches: each commit rewrites the index pages it touched, and
            # hash keys touch them at random. A kill loses at most the uncommitted batches.
            if uncommitted >= commit_every:
                session.commit()
                uncommitted = 0
            if on_progress is not None:
                on_progress(job.path, batch.position, size, summary)
    except MonitorError:
        session.commit()  # a damaged file: keep what was read before the damage
        raise
    session.commit()


def _store_batch(
    session: Session,
    *,
    run: IngestRunRecord,
    path: Path,
    batch: Batch,
    summary: IngestSummary,
) -> None:
    now = datetime.now(tz=UTC)
    result = bulk_insert_items(session, source_id=run.source_id, run_id=run.id,
                               rows=batch.rows, collected_at=now)
    queries.insert_quarantine(session, source_id=run.source_id, run_id=run.id,
                              file_name=str(path), rejections=batch.rejections, created_at=now)
    summary.read += len(batch.rows) + len(batch.rejections)
    if summary.inserted < summary.next_analyze <= summary.inserted + result.inserted:
        refresh_statistics(session)
        summary.next_analyze *= 4
    summary.inserted += result.inserted
    summary.duplicates += len(batch.rows) - result.inserted
    summary.near_duplicates += result.near_duplicates
    summary.truncated += batch.truncated
    summary.quarantined += len(batch.rejections)
    summary.quarantined_by_reason.update(str(r.reason) for r in batch.rejections)
    run.n_read = summary.read
    run.n_inserted = summary.inserted
    run.n_duplicates = summary.duplicates
    run.n_near_duplicates = summary.near_duplicates
    run.n_truncated = summary.truncated
    run.n_quarantined = summary.quarantined
    run.quarantined_by_reason = dict(summary.quarantined_by_reason)
    run.heartbeat_at = now


def list_runs(engine: Engine, *, limit: int = 20) -> list[tuple[IngestRunRecord, str]]:
    """Recent ingest runs, newest first, with their source names (stale ones marked)."""
    with session_factory(engine)() as session:
        queries.mark_stale_runs(session, now=datetime.now(tz=UTC))
        session.commit()
        return queries.recent_runs(session, limit=limit)


def list_quarantine(
    engine: Engine, *, source: str | None = None, reason: str | None = None,
    run_id: int | None = None, limit: int = 50,
) -> list[tuple[QuarantineRecord, str]]:
    with session_factory(engine)() as session:
        return queries.quarantined(session, source=source, reason=reason, run_id=run_id,
                                   limit=limit)


def get_quarantined(engine: Engine, *, record_id: int) -> tuple[QuarantineRecord, str] | None:
    with session_factory(engine)() as session:
        rows = queries.quarantined(session, record_id=record_id, limit=1)
        return rows[0] if rows else None


def quarantine_counts(engine: Engine) -> list[tuple[str, str, int]]:
    """(source, reason, count) over the whole quarantine."""
    with session_factory(engine)() as session:
        return queries.quarantine_counts(session)


