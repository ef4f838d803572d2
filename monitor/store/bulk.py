"""Fast, idempotent bulk insert of items through a per-connection staging table.

A batch is loaded into a temporary table (COPY on PostgreSQL, executemany on SQLite), then
moved into `items` by INSERT … SELECT … ON CONFLICT DO NOTHING, which skips items already
stored for their source. Near-duplicates are linked in SQL: a staged item's original is the
root (earliest non-copy) item with the same content hash. The first staged item of each hash
goes in first, so it becomes the root for the rest of the batch when none is stored yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from monitor.domain import ItemDraft

STAGE = "stage_items"
COLUMNS = (
    "seq", "first_of_hash", "source_id", "external_id", "text", "text_normalised", "text_truncated",
    "original_size", "content_hash", "duplicate_kind", "published_at", "collected_at", "url",
    "author_pseudonym", "author_handle", "author_location", "language", "extra", "ingest_run_id",
)
_ITEM_COLUMNS = ", ".join(
    c for c in COLUMNS if c not in ("seq", "first_of_hash", "duplicate_kind")
)

_CREATE = {
    "postgresql": f"""
        CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (
            seq integer, first_of_hash boolean, source_id integer,
            external_id varchar(255), text text, text_normalised text,
            text_truncated boolean, original_size integer,
            content_hash varchar(64), duplicate_kind varchar(20),
            published_at timestamptz, collected_at timestamptz, url text,
            author_pseudonym varchar(64), author_handle varchar(255),
            author_location varchar(255), language varchar(20), extra json,
            ingest_run_id integer)""",
    "sqlite": f"""
        CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (
            seq INTEGER, first_of_hash INTEGER, source_id INTEGER, external_id TEXT,
            text TEXT, text_normalised TEXT, text_truncated INTEGER, original_size INTEGER,
            content_hash TEXT,
            duplicate_kind TEXT, published_at TEXT, collected_at TEXT, url TEXT,
            author_pseudonym TEXT, author_handle TEXT, author_location TEXT, language TEXT,
            extra TEXT, ingest_run_id INTEGER)""",
}

# The root of a hash: the smallest id among stored items, following copies to their root.
_ROOT = (
    "(SELECT min(coalesce(i.original_id, i.id)) FROM items i "
    "WHERE i.content_hash = s.content_hash)"
)


def _move(where: str) -> str:
    # "WHERE true … ON CONFLICT": SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT.
    return f"""
        INSERT INTO items ({_ITEM_COLUMNS}, original_id, duplicate_kind)
        SELECT {_ITEM_COLUMNS}, q.root,
               CASE WHEN q.root IS NULL THEN NULL ELSE q.duplicate_kind END
        FROM (SELECT s.*, {_ROOT} AS root FROM {STAGE} s WHERE {where}) q
        WHERE true
        ORDER BY q.seq
        ON CONFLICT (source_id, external_id) DO NOTHING
        RETURNING original_id"""


@dataclass(frozen=True, slots=True)
class BulkResult:
    inserted: int
    near_duplicates: int


def bulk_insert_items(
    session: Session,
    *,
    source_id: int,
    run_id: int | None,
    drafts: Sequence[ItemDraft],
    collected_at: datetime,
) -> BulkResult:
    """Insert the drafts not yet stored for the source; link near-duplicates to roots."""
    if not drafts:
        return BulkResult(0, 0)
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect not in _CREATE:
        raise NotImplementedError(f"unsupported database dialect {dialect!r}")
    connection.execute(text(_CREATE[dialect]))
    connection.execute(text(f"DELETE FROM {STAGE}"))
    seen: set[str] = set()
    hashes: set[str] = set()
    rows: list[tuple[Any, ...]] = []
    sqlite = dialect == "sqlite"
    collected: Any = _sqlite_datetime(collected_at) if sqlite else collected_at
    for seq, draft in enumerate(drafts):
        if draft.external_id in seen:
            continue
        seen.add(draft.external_id)
        is_first = draft.content_hash not in hashes
        hashes.add(draft.content_hash)
        rows.append((seq, int(is_first) if sqlite else is_first,
                     *_row(draft, source_id=source_id, run_id=run_id, collected=collected,
                           sqlite=sqlite)))
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        if dialect == "postgresql":
            with cursor.copy(f"COPY {STAGE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in COLUMNS)
            cursor.executemany(f"INSERT INTO {STAGE} VALUES ({placeholders})", rows)
    finally:
        cursor.close()
    first = connection.execute(text(_move("s.first_of_hash"))).scalars().all()
    rest = connection.execute(text(_move("NOT s.first_of_hash"))).scalars().all()
    originals = [*first, *rest]
    return BulkResult(inserted=len(originals),
                      near_duplicates=sum(1 for o in originals if o is not None))


def _row(draft: ItemDraft, *, source_id: int, run_id: int | None, collected: Any,
         sqlite: bool) -> tuple[Any, ...]:
    published: Any = _sqlite_datetime(draft.published_at) if sqlite else draft.published_at
    return (
        source_id, draft.external_id, draft.text, draft.text_normalised,
        int(draft.text_truncated) if sqlite else draft.text_truncated, draft.original_size,
        draft.content_hash, "forward" if draft.forwarded_from else "exact", published,
        collected, draft.url, draft.author_pseudonym, draft.author_handle, draft.author_location,
        draft.language, orjson.dumps(dict(draft.extra), default=str).decode(), run_id,
    )


def _sqlite_datetime(value: datetime) -> str:
    """The text form SQLAlchemy's SQLite DateTime reads back: naive UTC with microseconds."""
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def refresh_statistics(session: Session) -> None:
    """Let PostgreSQL's planner see how big `items` has grown during a long ingest.

    Without fresh statistics it may keep planning the root lookup for a tiny table and
    scan `items` once per staged row. SQLite needs nothing: it uses the index regardless.
    """
    if session.connection().dialect.name == "postgresql":
        session.execute(text("ANALYZE items"))
