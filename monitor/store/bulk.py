"""Fast, idempotent bulk insert of items.

PostgreSQL: a batch is COPied into a per-connection temporary table, then moved into `items`
by INSERT … SELECT … ON CONFLICT DO NOTHING, which skips items already stored for their
source. SQLite (in-process, where a staging copy buys nothing): executemany straight into
`items` with the same ON CONFLICT rule.

Near-duplicates are linked to their root: the earliest stored item with the same content
hash that is not itself a copy. The first item of each hash in a batch goes in first, so it
becomes the root for the rest of the batch when none is stored yet.
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
#: What `staged_row` returns for one draft, in this order (built-in values only).
ROW_FIELDS = (
    "external_id", "text", "text_normalised", "text_truncated", "original_size",
    "content_hash", "duplicate_kind", "published_at", "url", "author_pseudonym",
    "author_handle", "author_location", "language", "extra",
)
_EXTERNAL_ID = ROW_FIELDS.index("external_id")
_CONTENT_HASH = ROW_FIELDS.index("content_hash")
COLUMNS = (
    "seq", "first_of_hash", "source_id", "external_id", "text", "text_normalised", "text_truncated",
    "original_size", "content_hash", "duplicate_kind", "published_at", "collected_at", "url",
    "author_pseudonym", "author_handle", "author_location", "language", "extra", "ingest_run_id",
)
_ITEM_COLUMNS = ", ".join(
    c for c in COLUMNS if c not in ("seq", "first_of_hash", "duplicate_kind")
)

_CREATE_STAGE = f"""
        CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (
            seq integer, first_of_hash boolean, source_id integer,
            external_id varchar(255), text text, text_normalised text,
            text_truncated boolean, original_size integer,
            content_hash varchar(64), duplicate_kind varchar(20),
            published_at timestamp, collected_at timestamp, url text,
            author_pseudonym varchar(64), author_handle varchar(255),
            author_location varchar(255), language varchar(20), extra json,
            ingest_run_id integer)"""

# Staged times are naive UTC text (what SQLite stores as is); PostgreSQL converts them.
_SELECT_COLUMNS_PG = _ITEM_COLUMNS.replace(
    "published_at", "published_at AT TIME ZONE 'UTC'"
).replace("collected_at", "collected_at AT TIME ZONE 'UTC'")

# The root of a hash: the smallest id among stored items, following copies to their root.
_ROOT = (
    "(SELECT min(coalesce(i.original_id, i.id)) FROM items i "
    "WHERE i.content_hash = s.content_hash)"
)


_STORED = """
    SELECT external_id FROM items WHERE source_id = :source_id AND external_id = ANY(:ids)"""


def _first_per_id(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows in order, keeping the first of any external id repeated within the batch."""
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row[_EXTERNAL_ID] not in seen:
            seen.add(row[_EXTERNAL_ID])
            unique.append(row)
    return unique


def _move(where: str) -> str:
    # OFFSET 0 keeps the subquery from being flattened, which would evaluate the root lookup
    # twice per row. Rows go in stage order without an ORDER BY: ids need no particular
    # order, and the roots of this batch were inserted by an earlier statement.
    return f"""
        INSERT INTO items ({_ITEM_COLUMNS}, original_id, duplicate_kind)
        SELECT {_SELECT_COLUMNS_PG}, q.root,
               CASE WHEN q.root IS NULL THEN NULL ELSE q.duplicate_kind END
        FROM (SELECT s.*, {_ROOT} AS root FROM {STAGE} s WHERE {where} OFFSET 0) q
        ON CONFLICT (source_id, external_id) DO NOTHING
        RETURNING original_id"""


@dataclass(frozen=True, slots=True)
class BulkResult:
    inserted: int
    near_duplicates: int


def staged_row(draft: ItemDraft) -> tuple[Any, ...]:
    """One draft as plain values in ROW_FIELDS order, ready to stage or to send."""
    return (
        draft.external_id, draft.text, draft.text_normalised, draft.text_truncated,
        draft.original_size, draft.content_hash,
        "forward" if draft.forwarded_from else "exact", _utc_text(draft.published_at),
        draft.url, draft.author_pseudonym, draft.author_handle, draft.author_location,
        draft.language, orjson.dumps(draft.extra, default=str).decode() if draft.extra else "{}",
    )


def bulk_insert_items(
    session: Session,
    *,
    source_id: int,
    run_id: int | None,
    rows: Sequence[tuple[Any, ...]],
    collected_at: datetime,
) -> BulkResult:
    """Insert the staged rows not yet stored for the source; link near-duplicates to roots."""
    if not rows:
        return BulkResult(0, 0)
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"unsupported database dialect {dialect!r}")
    if dialect == "sqlite":
        raw_sqlite = connection.connection.dbapi_connection
        assert raw_sqlite is not None
        return _insert_sqlite(raw_sqlite, source_id=source_id, run_id=run_id, rows=rows,
                              collected=_utc_text(collected_at))
    if not connection.info.get("monitor_temp_buffers"):
        # Once per connection, before its first temporary table: room for a whole batch in
        # local buffers (the default 8 MB spills a 20k batch to disk).
        connection.execute(text("SET temp_buffers = '128MB'"))
        connection.info["monitor_temp_buffers"] = True
    connection.execute(text(_CREATE_STAGE))
    # The moves are planned as costly, and JIT compiling them takes longer than running them.
    connection.execute(text("SET LOCAL jit = off"))
    connection.execute(text(f"DELETE FROM {STAGE}"))
    collected = _utc_text(collected_at)
    unique = _first_per_id(rows)
    # Rows already stored will be skipped as conflicts, so the root of a hash in this batch
    # must be its first row that is not stored yet (one index lookup for the whole batch).
    stored = set(connection.execute(text(_STORED), {
        "source_id": source_id, "ids": [row[_EXTERNAL_ID] for row in unique]}).scalars())
    hashes: set[str] = set()
    staged = []
    for seq, row in enumerate(unique):
        is_first = row[_EXTERNAL_ID] not in stored and row[_CONTENT_HASH] not in hashes
        if is_first:
            hashes.add(row[_CONTENT_HASH])
        staged.append((seq, is_first, source_id, *row[:7], row[7], collected, *row[8:], run_id))
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        with cursor.copy(f"COPY {STAGE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in staged:
                copy.write_row(row)
    finally:
        cursor.close()
    first = connection.execute(text(_move("s.first_of_hash"))).scalars().all()
    rest = connection.execute(text(_move("NOT s.first_of_hash")))
    originals = [*first, *rest.scalars().all()]
    return BulkResult(inserted=len(originals),
                      near_duplicates=sum(1 for o in originals if o is not None))


_SQLITE_INSERT = (
    f"INSERT INTO items ({_ITEM_COLUMNS}, original_id, duplicate_kind) "
    f"VALUES ({', '.join('?' for _ in range(len(_ITEM_COLUMNS.split(', ')) + 2))}) "
    "ON CONFLICT (source_id, external_id) DO NOTHING"
)
_SQLITE_ROOTS = (
    "SELECT content_hash, min(coalesce(original_id, id)) FROM items "
    "WHERE content_hash IN ({marks}) GROUP BY content_hash"
)


def _insert_sqlite(raw: Any, *, source_id: int, run_id: int | None,
                   rows: Sequence[tuple[Any, ...]], collected: str) -> BulkResult:
    """SQLite: insert straight into `items` with executemany, roots looked up per batch.

    In-process SQLite gains nothing from a staging table, and skipping it saves a copy of
    every row. Same rounds as the staged path: new roots first, then the copies.
    """
    cursor = raw.cursor()
    try:
        unique = _first_per_id(rows)
        roots = _sqlite_roots(cursor, {row[_CONTENT_HASH] for row in unique})
        inserted = linked = 0
        pending = unique
        while pending:
            fresh: dict[str, tuple[Any, ...]] = {}
            copies: list[tuple[Any, ...]] = []
            deferred: list[tuple[Any, ...]] = []
            for row in pending:
                digest = row[_CONTENT_HASH]
                if digest in roots:
                    copies.append(row)
                elif digest not in fresh:
                    fresh[digest] = row
                else:
                    deferred.append(row)
            cursor.executemany(_SQLITE_INSERT, [
                (source_id, *row[:6], row[7], collected, *row[8:], run_id, None, None)
                for row in fresh.values()
            ])
            inserted += max(cursor.rowcount, 0)
            cursor.executemany(_SQLITE_INSERT, [
                (source_id, *row[:6], row[7], collected, *row[8:], run_id,
                 roots[row[_CONTENT_HASH]], row[6])
                for row in copies
            ])
            inserted += max(cursor.rowcount, 0)
            linked += max(cursor.rowcount, 0)
            if deferred:
                roots.update(_sqlite_roots(cursor, {row[_CONTENT_HASH] for row in deferred}))
            pending = deferred
        return BulkResult(inserted=inserted, near_duplicates=linked)
    finally:
        cursor.close()


def _sqlite_roots(cursor: Any, hashes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    wanted = list(hashes)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        cursor.execute(_SQLITE_ROOTS.format(marks=", ".join("?" * len(chunk))), chunk)
        found.update(cursor.fetchall())
    return found


def _utc_text(value: datetime) -> str:
    """Naive UTC text with microseconds: what SQLAlchemy's SQLite DateTime reads back."""
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
