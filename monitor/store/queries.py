"""Queries the services use. Inserts are idempotent: ON CONFLICT DO NOTHING on both backends."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.domain import Rejection
from monitor.store.tables import IngestRunRecord, ItemRecord, QuarantineRecord, SourceRecord

QUARANTINE: Table = QuarantineRecord.__table__  # type: ignore[assignment]
STALE_HEARTBEAT = timedelta(minutes=15)


def _insert(session: Session, table: Table) -> Any:  # a dialect Insert with ON CONFLICT
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database dialect {dialect!r}")


def insert_quarantine(
    session: Session,
    *,
    source_id: int,
    run_id: int | None,
    file_name: str,
    rejections: Sequence[Rejection],
    created_at: datetime,
) -> int:
    """Store rejections once each (a re-run of the same file adds nothing); returns new rows."""
    if not rejections:
        return 0
    rows = [
        {
            "source_id": source_id,
            "ingest_run_id": run_id,
            "file_name": file_name,
            "line_no": r.line_no,
            "reason": str(r.reason),
            "detail": r.detail,
            "excerpt": r.excerpt,
            "fingerprint": _fingerprint(file_name, r),
            "created_at": created_at,
        }
        for r in rejections
    ]
    statement = (
        _insert(session, QUARANTINE)
        .on_conflict_do_nothing(index_elements=["source_id", "fingerprint"])
        .returning(QUARANTINE.c.id)
    )
    return len(session.execute(statement, rows).all())


def _fingerprint(file_name: str, rejection: Rejection) -> str:
    basis = "\x1f".join(
        [os.path.basename(file_name), str(rejection.line_no), str(rejection.reason),
         rejection.excerpt]
    )
    return hashlib.sha256(basis.encode("utf-8", errors="surrogateescape")).hexdigest()


def get_source(session: Session, name: str) -> SourceRecord | None:
    return session.scalars(select(SourceRecord).where(SourceRecord.name == name)).one_or_none()


def list_sources_with_counts(session: Session) -> list[tuple[SourceRecord, int, datetime | None]]:
    """Each source with its item count and latest published_at."""
    counts = (
        select(ItemRecord.source_id, func.count().label("n"),
               func.max(ItemRecord.published_at).label("latest"))
        .group_by(ItemRecord.source_id)
        .subquery()
    )
    query = (
        select(SourceRecord, counts.c.n, counts.c.latest)
        .outerjoin(counts, counts.c.source_id == SourceRecord.id)
        .order_by(SourceRecord.name)
    )
    # max() takes its argument's type, so `latest` is an aware UTC datetime on both backends.
    return [(source, n or 0, latest) for source, n, latest in session.execute(query).all()]


def mark_stale_runs(session: Session, *, now: datetime) -> int:
    """Runs still 'running' whose process is gone become 'interrupted' (after kill -9)."""
    host = socket.gethostname()
    changed = 0
    for run in session.scalars(select(IngestRunRecord).where(IngestRunRecord.status == "running")):
        # Our own pid on a run we are not running is a dead process's pid reused (common in
        # containers, where pids restart low): that run is stale too.
        same_host_dead = run.host == host and (run.pid == os.getpid()
                                               or not _pid_alive(run.pid))
        if same_host_dead or now - run.heartbeat_at > STALE_HEARTBEAT:
            run.status = "interrupted"
            run.error = "the process stopped before finishing (killed or crashed)"
            changed += 1
    return changed


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recent_runs(session: Session, *, limit: int) -> list[tuple[IngestRunRecord, str]]:
    query = (
        select(IngestRunRecord, SourceRecord.name)
        .join(SourceRecord, SourceRecord.id == IngestRunRecord.source_id)
        .order_by(IngestRunRecord.id.desc())
        .limit(limit)
    )
    return [(run, name) for run, name in session.execute(query).all()]


def quarantined(
    session: Session,
    *,
    source: str | None = None,
    reason: str | None = None,
    run_id: int | None = None,
    record_id: int | None = None,
    limit: int = 50,
) -> list[tuple[QuarantineRecord, str]]:
    query = select(QuarantineRecord, SourceRecord.name).join(
        SourceRecord, SourceRecord.id == QuarantineRecord.source_id
    )
    if source is not None:
        query = query.where(SourceRecord.name == source)
    if reason is not None:
        query = query.where(QuarantineRecord.reason == reason)
    if run_id is not None:
        query = query.where(QuarantineRecord.ingest_run_id == run_id)
    if record_id is not None:
        query = query.where(QuarantineRecord.id == record_id)
    query = query.order_by(QuarantineRecord.id.desc()).limit(limit)
    return [(record, name) for record, name in session.execute(query).all()]


def quarantine_counts(session: Session) -> list[tuple[str, str, int]]:
    query = (
        select(SourceRecord.name, QuarantineRecord.reason, func.count())
        .join(SourceRecord, SourceRecord.id == QuarantineRecord.source_id)
        .group_by(SourceRecord.name, QuarantineRecord.reason)
        .order_by(SourceRecord.name, QuarantineRecord.reason)
    )
    return [(name, reason, n) for name, reason, n in session.execute(query).all()]


def count_items(session: Session, *, source_id: int | None = None) -> int:
    query = select(func.count()).select_from(ItemRecord)
    if source_id is not None:
        query = query.where(ItemRecord.source_id == source_id)
    return int(session.execute(query).scalar_one())
