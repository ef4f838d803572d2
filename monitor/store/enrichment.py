"""Queries for enrichment: which items to process, and writing their results in one go."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from monitor.store.queries import _insert
from monitor.store.tables import (
    ItemCueRecord,
    ItemEnrichmentRecord,
    ItemRecord,
    ItemRegionRecord,
    RegionRecord,
    SourceRecord,
)

ENRICHMENTS: Table = ItemEnrichmentRecord.__table__  # type: ignore[assignment]
ITEM_REGIONS: Table = ItemRegionRecord.__table__  # type: ignore[assignment]
ITEM_CUES: Table = ItemCueRecord.__table__  # type: ignore[assignment]
REGIONS: Table = RegionRecord.__table__  # type: ignore[assignment]

#: (item id, text, author location, source origin)
ItemRow = tuple[int, str, str | None, str | None]


def items_to_enrich(
    session: Session, *, after_id: int, limit: int, mode: str, version: str
) -> list[ItemRow]:
    """The next `limit` items past `after_id`, in id order.

    mode: "new" (never enriched), "outdated" (enriched by another version, or never), "all".
    """
    query = (
        select(ItemRecord.id, ItemRecord.text, ItemRecord.author_location, SourceRecord.origin)
        .join(SourceRecord, SourceRecord.id == ItemRecord.source_id)
        .where(ItemRecord.id > after_id)
        .order_by(ItemRecord.id)
        .limit(limit)
    )
    if mode != "all":
        query = query.outerjoin(ItemEnrichmentRecord,
                                ItemEnrichmentRecord.item_id == ItemRecord.id)
        if mode == "new":
            query = query.where(ItemEnrichmentRecord.item_id.is_(None))
        else:
            query = query.where((ItemEnrichmentRecord.item_id.is_(None))
                                | (ItemEnrichmentRecord.enrich_version != version))
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(query)]


def count_to_enrich(session: Session, *, mode: str, version: str) -> int:
    query = select(func.count()).select_from(ItemRecord)
    if mode != "all":
        query = query.outerjoin(ItemEnrichmentRecord,
                                ItemEnrichmentRecord.item_id == ItemRecord.id)
        if mode == "new":
            query = query.where(ItemEnrichmentRecord.item_id.is_(None))
        else:
            query = query.where((ItemEnrichmentRecord.item_id.is_(None))
                                | (ItemEnrichmentRecord.enrich_version != version))
    return int(session.scalar(query) or 0)


def count_outdated(session: Session, *, version: str) -> int:
    query = select(func.count()).select_from(ItemEnrichmentRecord).where(
        ItemEnrichmentRecord.enrich_version != version)
    return int(session.scalar(query) or 0)


def write_enrichments(
    session: Session,
    *,
    item_ids: Sequence[int],
    enrichments: Sequence[dict[str, Any]],
    regions: Sequence[dict[str, Any]],
    cues: Sequence[dict[str, Any]],
) -> None:
    """Replace whatever was stored for these items with the new results (idempotent)."""
    for start in range(0, len(item_ids), 500):
        chunk = list(item_ids[start : start + 500])
        for table in (ITEM_CUES, ITEM_REGIONS, ENRICHMENTS):
            session.execute(delete(table).where(table.c.item_id.in_(chunk)))
    if enrichments:
        session.execute(insert(ENRICHMENTS), list(enrichments))
    if regions:
        session.execute(insert(ITEM_REGIONS), list(regions))
    if cues:
        session.execute(insert(ITEM_CUES), list(cues))


def upsert_regions(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    if not rows:
        return
    statement = _insert(session, REGIONS)
    statement = statement.on_conflict_do_update(
        index_elements=[REGIONS.c.code],
        set_={c: statement.excluded[c] for c in ("name", "level", "country", "macro")},
    )
    session.execute(statement, rows)


def enrichment_of(session: Session, item_id: int) -> ItemEnrichmentRecord | None:
    return session.get(ItemEnrichmentRecord, item_id)


def regions_of(session: Session, item_id: int) -> list[ItemRegionRecord]:
    query = select(ItemRegionRecord).where(ItemRegionRecord.item_id == item_id).order_by(
        ItemRegionRecord.role, ItemRegionRecord.span_start, ItemRegionRecord.id)
    return list(session.scalars(query))


def cues_of(session: Session, item_id: int) -> list[ItemCueRecord]:
    query = select(ItemCueRecord).where(ItemCueRecord.item_id == item_id).order_by(
        ItemCueRecord.span_start, ItemCueRecord.id)
    return list(session.scalars(query))


def region_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    codes = list(set(codes))
    if not codes:
        return {}
    query = select(RegionRecord.code, RegionRecord.name).where(RegionRecord.code.in_(codes))
    return {code: name for code, name in session.execute(query)}


def language_counts(session: Session) -> list[tuple[str, int]]:
    query = (select(ItemEnrichmentRecord.language, func.count())
             .group_by(ItemEnrichmentRecord.language).order_by(func.count().desc()))
    return [(lang, int(n)) for lang, n in session.execute(query)]
