"""Queries for classification: items to classify, stored embeddings, writing results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, Table, func, insert, select
from sqlalchemy.orm import Session

from monitor.store.enrichment import delete_for_items
from monitor.store.tables import (
    ItemClassificationRecord,
    ItemEmbeddingRecord,
    ItemEnrichmentRecord,
    ItemLabelRecord,
    ItemRecord,
    SourceRecord,
)

EMBEDDINGS: Table = ItemEmbeddingRecord.__table__  # type: ignore[assignment]
CLASSIFICATIONS: Table = ItemClassificationRecord.__table__  # type: ignore[assignment]
LABELS: Table = ItemLabelRecord.__table__  # type: ignore[assignment]

_Query = TypeVar("_Query", bound=Select)

#: (item id, text, author location, source origin)
ItemRow = tuple[int, str, str | None, str | None]


def items_to_classify(session: Session, *, after_id: int, limit: int, version: str | None
                      ) -> list[ItemRow]:
    """Enriched items past `after_id` not yet classified by the affinity model `version`
    (None: every enriched item), in id order."""
    query = _to_classify(
        select(ItemRecord.id, ItemRecord.text, ItemRecord.author_location, SourceRecord.origin)
        .join(SourceRecord, SourceRecord.id == ItemRecord.source_id), version)
    query = query.where(ItemRecord.id > after_id).order_by(ItemRecord.id).limit(limit)
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(query)]


def count_to_classify(session: Session, *, version: str | None) -> int:
    """How many items `items_to_classify` will go through (for progress display)."""
    query = _to_classify(select(func.count()).select_from(ItemRecord), version)
    return int(session.execute(query).scalar_one())


def _to_classify(query: _Query, version: str | None) -> _Query:
    query = query.join(ItemEnrichmentRecord, ItemEnrichmentRecord.item_id == ItemRecord.id)
    if version is not None:
        done = select(ItemClassificationRecord.item_id).where(
            ItemClassificationRecord.task == "affinity",
            ItemClassificationRecord.model_version == version)
        query = query.where(ItemRecord.id.not_in(done))
    return query


def embeddings_of(session: Session, item_ids: Sequence[int], model: str) -> dict[int, bytes]:
    query = select(ItemEmbeddingRecord.item_id, ItemEmbeddingRecord.vector).where(
        ItemEmbeddingRecord.item_id.in_(list(item_ids)), ItemEmbeddingRecord.model == model)
    return {item_id: vector for item_id, vector in session.execute(query)}


def write_embeddings(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    delete_for_items(session, (EMBEDDINGS,), [r["item_id"] for r in rows])
    session.execute(insert(EMBEDDINGS), list(rows))


def write_classifications(session: Session, *, item_ids: Sequence[int],
                          classifications: Sequence[dict[str, Any]],
                          labels: Sequence[dict[str, Any]]) -> None:
    """Replace these items' results with the new ones (idempotent)."""
    delete_for_items(session, (LABELS, CLASSIFICATIONS), item_ids)
    if classifications:
        session.execute(insert(CLASSIFICATIONS), list(classifications))
    if labels:
        session.execute(insert(LABELS), list(labels))


def classifications_of(session: Session, item_id: int) -> list[ItemClassificationRecord]:
    query = select(ItemClassificationRecord).where(
        ItemClassificationRecord.item_id == item_id).order_by(ItemClassificationRecord.task)
    return list(session.scalars(query))


def labels_of(session: Session, item_id: int) -> list[ItemLabelRecord]:
    query = select(ItemLabelRecord).where(ItemLabelRecord.item_id == item_id).order_by(
        ItemLabelRecord.task, ItemLabelRecord.score.desc())
    return list(session.scalars(query))
