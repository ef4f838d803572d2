"""`monitor classify` on real databases: stored labels, scores, embeddings, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from monitor.config import Settings
from monitor.domain import SourceSpec
from monitor.services import classification, enrichment
from monitor.services.ingestion import ingest_files
from monitor.services.sources import add_source
from monitor.services.training import TrainResult
from monitor.store.engine import session_scope
from monitor.store.tables import (
    ItemClassificationRecord,
    ItemEmbeddingRecord,
    ItemLabelRecord,
    ItemRecord,
)

pytestmark = pytest.mark.slow

RECORDS = [
    {"id": "a", "text": "soldiers of the khilafah Daesh the rafidah are majus",
     "timestamp": "2021-10-05"},
    {"id": "b", "text": "analysts note a report found residents condemned",
     "timestamp": "2021-10-05"},
    {"id": "c", "text": "", "timestamp": "2021-10-05"},  # quarantined: never classified
    {"id": "d", "text": "🔥🔥🔥", "timestamp": "2021-10-06"},
]


def test_classify_stores_labels_scores_and_reuses_embeddings(
    engine: Engine, settings: Settings, tmp_path: Path, trained: tuple[Settings, TrainResult]
) -> None:
    models, result = trained
    settings = settings.model_copy(update={"models_dir": models.models_dir})
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    add_source(engine, spec=SourceSpec(name="feed"))
    ingest_files(engine, source_name="feed", paths=[path], settings=settings)
    with pytest.raises(Exception, match="no active models"):
        classification.classify_items(engine, settings=settings.model_copy(
            update={"models_dir": tmp_path / "empty"}))
    enrichment.enrich_items(engine, settings=settings)
    summary = classification.classify_items(engine, settings=settings)
    assert summary.processed == 3 and summary.embedded == 3
    with session_scope(engine) as session:
        ids = {r.external_id: r.id for r in session.scalars(select(ItemRecord))}
        labels = {(r.item_id, r.task, r.label) for r in session.scalars(select(ItemLabelRecord))}
        assert (ids["a"], "affinity", "isis") in labels
        assert (ids["a"], "narratives", "anti_shia_sectarian") in labels
        assert (ids["b"], "affinity", "none") in labels
        assert not any(item == ids["b"] and task == "narratives" for item, task, _ in labels)
        record = session.get(ItemClassificationRecord, (ids["a"], "affinity"))
        assert record is not None and record.model_version == result.models[0].version
        assert abs(sum(record.scores.values()) - 1.0) < 0.01 and record.why["isis"]
        assert len(record.why["nearest"]) == 3
        vector = session.get(ItemEmbeddingRecord, ids["a"])
        assert vector is not None and vector.dim == 384 and len(vector.vector) == 768
    again = classification.classify_items(engine, settings=settings)
    assert again.processed == 0
    redo = classification.classify_items(engine, settings=settings, redo=True)
    assert redo.processed == 3 and redo.embedded == 0  # embeddings reused
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ItemLabelRecord)) == len(labels)
    view = enrichment.item_view(engine, ids["a"])
    assert view is not None and {label.label for label in view.labels} >= {"isis"}
