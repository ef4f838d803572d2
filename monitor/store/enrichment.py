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
    ItemLabelRecord,
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
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(_pending(query, mode, version))]


def count_to_enrich(session: Session, *, mode: str, version: str) -> int:
    query = select(func.count()).select_from(ItemRecord)
    return int(session.scalar(_pending(query, mode, version)) or 0)


def _pending(query: Any, mode: str, version: str) -> Any:  # a Select of any columns
    """Restrict a query over items to those `mode` selects (see items_to_enrich)."""
    if mode == "all":
        return query
    query = query.outerjoin(ItemEnrichmentRecord, ItemEnrichmentRecord.item_id == ItemRecord.id)
    if mode == "new":
        return query.where(ItemEnrichmentRecord.item_id.is_(None))
    return query.where((ItemEnrichmentRecord.item_id.is_(None))
                       | (ItemEnrichmentRecord.enrich_version != version))


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
    delete_for_items(session, (ITEM_CUES, ITEM_REGIONS, ENRICHMENTS), item_ids)
    if enrichments:
        session.execute(insert(ENRICHMENTS), list(enrichments))
    if regions:
        session.execute(insert(ITEM_REGIONS), list(regions))
    if cues:
        session.execute(insert(ITEM_CUES), list(cues))


def delete_for_items(session: Session, tables: Sequence[Table], item_ids: Sequence[int]) -> None:
    """Delete these items' rows from each table (in chunks: bounded IN lists)."""
    for start in range(0, len(item_ids), 500):
        chunk = list(item_ids[start : start + 500])
        for table in tables:
            session.execute(delete(table).where(table.c.item_id.in_(chunk)))


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


def search_items(
    session: Session,
    *,
    language: str | None = None,
    region: str | None = None,
    role: str = "focus",
    label: str | None = None,
    source: str | None = None,
    predicted: str | None = None,
    limit: int = 20,
) -> list[tuple[ItemRecord, str, str | None]]:
    """Newest enriched items matching every filter: (item, source name, language).

    `region` matches a code at any level (AF-KDZ, AF or M49-034) in the given role; `label`
    matches a cue's group or narrative label.
    """
    query = (
        select(ItemRecord, SourceRecord.name, ItemEnrichmentRecord.language)
        .join(SourceRecord, SourceRecord.id == ItemRecord.source_id)
        .join(ItemEnrichmentRecord, ItemEnrichmentRecord.item_id == ItemRecord.id)
        .order_by(ItemRecord.published_at.desc(), ItemRecord.id.desc())
        .limit(limit)
    )
    if language:
        query = query.where(ItemEnrichmentRecord.language == language)
    if source:
        query = query.where(SourceRecord.name == source)
    if region:
        regions = select(ItemRegionRecord.item_id).where(
            ItemRegionRecord.role == role,
            (ItemRegionRecord.code == region) | (ItemRegionRecord.country == region)
            | (ItemRegionRecord.macro == region))
        query = query.where(ItemRecord.id.in_(regions))
    if label:
        query = query.where(ItemRecord.id.in_(
            select(ItemCueRecord.item_id).where(ItemCueRecord.label == label)))
    if predicted:
        query = query.where(ItemRecord.id.in_(
            select(ItemLabelRecord.item_id).where(ItemLabelRecord.label == predicted)))
    return [(item, name, lang) for item, name, lang in session.execute(query)]


def focus_and_labels(
    session: Session, item_ids: Sequence[int]
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Per item: its focus codes, and the labels of its cues (each once, in text order)."""
    focus: dict[int, list[str]] = {i: [] for i in item_ids}
    labels: dict[int, list[str]] = {i: [] for i in item_ids}
    if not item_ids:
        return focus, labels
    for item_id, code in session.execute(
        select(ItemRegionRecord.item_id, ItemRegionRecord.code)
        .where(ItemRegionRecord.item_id.in_(item_ids), ItemRegionRecord.role == "focus")
        .order_by(ItemRegionRecord.span_start)
    ):
        if code not in focus[item_id]:
            focus[item_id].append(code)
    for item_id, label in session.execute(
        select(ItemCueRecord.item_id, ItemCueRecord.label)
        .where(ItemCueRecord.item_id.in_(item_ids)).order_by(ItemCueRecord.span_start)
    ):
        if label not in labels[item_id]:
            labels[item_id].append(label)
    return focus, labels
