"""`monitor enrich` on real databases: stored results, idempotence, --redo, versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from monitor.config import Settings
from monitor.domain import SourceSpec
from monitor.nlp.enricher import Enricher
from monitor.services import enrichment
from monitor.services.ingestion import ingest_files
from monitor.services.sources import add_source
from monitor.store.engine import session_scope
from monitor.store.tables import (
    ItemCueRecord,
    ItemEnrichmentRecord,
    ItemRecord,
    ItemRegionRecord,
    RegionRecord,
)

RECORDS = [
    {"id": "a", "text": "Daesh claimed the attack in Kunduz city", "timestamp": "2021-10-05",
     "location": "Dushanbe"},
    {"id": "b", "text": "Вчера в Кундузе прошли похороны", "timestamp": "2021-10-05"},
    {"id": "c", "text": "🔥🔥🔥", "timestamp": "2021-10-05"},
    {"id": "d", "text": "زه نن په کندهار کې یم", "timestamp": "2021-10-06"},
]


@pytest.fixture(scope="module")
def shared_enricher() -> Enricher:
    return Enricher()


def _ingest(engine: Engine, settings: Settings, tmp_path: Path, records: list[dict[str, str]],
            *, origin: str | None = None, name: str = "feed") -> None:
    path = tmp_path / f"{name}.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                    encoding="utf-8")
    add_source(engine, spec=SourceSpec(name=name, origin=origin), exist_ok=True)
    ingest_files(engine, source_name=name, paths=[path], settings=settings)


def _count(engine: Engine, table: type) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_enrich_stores_language_regions_and_cues(
    engine: Engine, settings: Settings, tmp_path: Path, shared_enricher: Enricher
) -> None:
    _ingest(engine, settings, tmp_path, RECORDS)
    summary = enrichment.enrich_items(engine, settings=settings, enricher=shared_enricher)
    assert summary.processed == 4 and summary.languages["ps"] == 1
    with session_scope(engine) as session:
        ids = {r.external_id: r.id for r in session.scalars(select(ItemRecord))}
        first = session.get(ItemEnrichmentRecord, ids["a"])
        assert first is not None and first.language == "en"
        assert first.enrich_version == shared_enricher.version
        regions = session.scalars(select(ItemRegionRecord).where(
            ItemRegionRecord.item_id == ids["a"]).order_by(ItemRegionRecord.role)).all()
        assert [(r.role, r.code, r.country, r.via) for r in regions] == [
            ("focus", "AF-KDZ", "AF", "text"), ("origin", "TJ-DU", "TJ", "author_location")]
        assert regions[0].kind == "city" and regions[0].surface == "Kunduz"
        assert regions[0].macro == "M49-034"
        cue = session.scalars(select(ItemCueRecord).where(ItemCueRecord.item_id == ids["a"])).one()
        assert (cue.label, cue.role, cue.span_start, cue.span_end) == ("isis", "alias", 0, 5)
        emoji = session.get(ItemEnrichmentRecord, ids["c"])
        assert emoji is not None and emoji.flags == ["no_letters"] and emoji.language == "und"
        assert session.get(RegionRecord, "M49-143") is not None  # roll-up names are stored
    view = enrichment.item_view(engine, ids["b"])
    assert view is not None and [r.code for r in view.regions] == ["AF-KDZ"]
    assert view.region_names["AF-KDZ"] == "Kunduz"


def test_enrich_is_incremental_and_idempotent(
    engine: Engine, settings: Settings, tmp_path: Path, shared_enricher: Enricher
) -> None:
    _ingest(engine, settings, tmp_path, RECORDS[:2])
    assert enrichment.enrich_items(engine, settings=settings,
                                   enricher=shared_enricher).processed == 2
    before = (_count(engine, ItemRegionRecord), _count(engine, ItemCueRecord))
    assert enrichment.enrich_items(engine, settings=settings,
                                   enricher=shared_enricher).processed == 0
    _ingest(engine, settings, tmp_path, RECORDS[2:], name="late")
    assert enrichment.enrich_items(engine, settings=settings,
                                   enricher=shared_enricher).processed == 2
    redo = enrichment.enrich_items(engine, settings=settings, enricher=shared_enricher,
                                   mode="all")
    assert redo.processed == 4
    assert _count(engine, ItemEnrichmentRecord) == 4
    after = (_count(engine, ItemRegionRecord), _count(engine, ItemCueRecord))
    assert after[0] >= before[0] and after == (
        _count(engine, ItemRegionRecord), _count(engine, ItemCueRecord))
    again = enrichment.enrich_items(engine, settings=settings, enricher=shared_enricher,
                                    mode="all")
    assert (_count(engine, ItemRegionRecord), _count(engine, ItemCueRecord)) == after
    assert again.processed == 4


def test_a_new_codebook_version_marks_items_outdated(
    engine: Engine, settings: Settings, tmp_path: Path, shared_enricher: Enricher
) -> None:
    _ingest(engine, settings, tmp_path, RECORDS, origin="PK")
    enrichment.enrich_items(engine, settings=settings, enricher=shared_enricher)
    with session_scope(engine) as session:
        session.execute(ItemEnrichmentRecord.__table__.update().values(enrich_version="old"))
    summary = enrichment.enrich_items(engine, settings=settings, enricher=shared_enricher)
    assert summary.processed == 0 and summary.outdated_left == 4
    summary = enrichment.enrich_items(engine, settings=settings, enricher=shared_enricher,
                                      mode="outdated")
    assert summary.processed == 4 and summary.outdated_left == 0
    with session_scope(engine) as session:
        origins = session.scalars(select(ItemRegionRecord.code).where(
            ItemRegionRecord.role == "origin")).all()
    assert origins == ["PK"] * 4  # the source's region wins over the declared location


@pytest.mark.slow
def test_large_runs_use_worker_processes(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    records = [{"id": str(i), "text": f"Report {i} from Kunduz and Herat", "timestamp":
                "2021-10-05"} for i in range(3_500)]
    _ingest(engine, settings, tmp_path, records)
    settings = settings.model_copy(update={"enrich_workers": 2, "enrich_batch_size": 500})
    summary = enrichment.enrich_items(engine, settings=settings)
    assert summary.workers == 2 and summary.processed == 3_500
    with session_scope(engine) as session:
        n = session.scalar(select(func.count()).select_from(ItemRegionRecord).where(
            ItemRegionRecord.code == "AF-HER"))
    assert n == 3_500
