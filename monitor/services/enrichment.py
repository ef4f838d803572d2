"""`monitor enrich`, `monitor items show` and `monitor predict`: enrichment as use cases.

Enrichment is incremental and idempotent like ingestion: each batch of items is enriched and
written in one transaction (old results for those items replaced), so an interrupted run loses
at most one batch and a re-run finishes the rest. Large runs spread the work over worker
processes (each loads the codebook and gazetteer once); the main process reads and writes.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from monitor.config import Settings
from monitor.nlp.enricher import Enricher, Enrichment, ItemInput
from monitor.nlp.evaluation import demo_truth
from monitor.store import classification as classification_store
from monitor.store import enrichment as store
from monitor.store.engine import session_scope
from monitor.store.tables import (
    ItemEnrichmentRecord,
    ItemRecord,
    ItemRegionRecord,
    SourceRecord,
)

MODES = ("new", "outdated", "all")
_SURFACE_CHARS = 255
_AUTO_PARALLEL_FROM = 50_000  # items (see _workers)


@dataclass
class EnrichSummary:
    mode: str
    version: str
    processed: int = 0
    seconds: float = 0.0
    workers: int = 1
    languages: Counter[str] = field(default_factory=Counter)
    with_focus: int = 0
    with_cues: int = 0
    flagged: Counter[str] = field(default_factory=Counter)
    outdated_left: int = 0

    @property
    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0


@cache
def get_enricher() -> Enricher:
    """The process's enricher (loading the codebook and gazetteer takes a few seconds)."""
    return Enricher()


def enrich_items(
    engine: Engine,
    *,
    settings: Settings,
    mode: str = "new",
    enricher: Enricher | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> EnrichSummary:
    """Enrich the items `mode` selects (new, outdated or all) and store the results."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    enricher = enricher or get_enricher()
    summary = EnrichSummary(mode=mode, version=enricher.version)
    started = time.perf_counter()
    with session_scope(engine) as session:
        store.upsert_regions(session, _region_rows(enricher))
        total = store.count_to_enrich(session, mode=mode, version=enricher.version)
    batch_size = max(1, settings.enrich_batch_size)
    workers = _workers(settings, total)
    summary.workers = workers
    batches = _batches(engine, mode=mode, version=enricher.version, size=batch_size)
    results = (_in_workers(batches, workers) if workers > 1
               else (_enrich_rows(rows, enricher) for rows in batches))
    for item_ids, rows in results:
        enriched_at = datetime.now(UTC)
        for row in rows["enrichments"]:
            row["enriched_at"] = enriched_at
        with session_scope(engine) as session:
            store.write_enrichments(session, item_ids=item_ids, **rows)
        _count(summary, rows)
        summary.processed += len(item_ids)
        if on_progress is not None:
            on_progress(summary.processed, total)
    summary.seconds = time.perf_counter() - started
    with session_scope(engine) as session:
        summary.outdated_left = store.count_outdated(session, version=enricher.version)
    return summary


def _workers(settings: Settings, total: int) -> int:
    """Worker processes for `total` items: as configured, or (auto) one per core for large
    runs only. Each worker pays ~2 s to load the lexicon and language models, and one process
    already keeps two cores busy (lingua detects in parallel threads), so below
    `_AUTO_PARALLEL_FROM` items one process is faster."""
    if settings.enrich_workers:
        return max(1, min(settings.enrich_workers, total // 1_000 or 1))
    if total < _AUTO_PARALLEL_FROM:
        return 1
    return max(1, os.cpu_count() or 1)


def _batches(engine: Engine, *, mode: str, version: str, size: int) -> Iterator[list[Any]]:
    """Batches of item rows in id order. In "new" and "outdated" modes the query itself skips
    what is done, but it also moves past the last id read, so a row whose write is still in
    flight (in a worker) is never read twice."""
    after = 0
    while True:
        with session_scope(engine) as session:
            rows = store.items_to_enrich(session, after_id=after, limit=size, mode=mode,
                                         version=version)
        if not rows:
            return
        after = rows[-1][0]
        yield rows


# --- workers ---------------------------------------------------------------------------------

_worker_enricher: Enricher | None = None


def _init_worker() -> None:
    global _worker_enricher
    _worker_enricher = Enricher()


def _in_worker(rows: list[Any]) -> tuple[list[int], dict[str, list[dict[str, Any]]]]:
    assert _worker_enricher is not None, "worker not initialised"
    return _enrich_rows(rows, _worker_enricher)


def _in_workers(
    batches: Iterator[list[Any]], workers: int
) -> Iterator[tuple[list[int], dict[str, list[dict[str, Any]]]]]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_init_worker) as pool:
        pending: list[Future[tuple[list[int], dict[str, list[dict[str, Any]]]]]] = []
        for rows in batches:
            pending.append(pool.submit(_in_worker, rows))
            if len(pending) > workers * 2:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def _enrich_rows(
    rows: list[Any], enricher: Enricher
) -> tuple[list[int], dict[str, list[dict[str, Any]]]]:
    inputs = [ItemInput(text=text, location=location, source_origin=origin)
              for _, text, location, origin in rows]
    item_ids = [row[0] for row in rows]
    out: dict[str, list[dict[str, Any]]] = {"enrichments": [], "regions": [], "cues": []}
    for item_id, result in zip(item_ids, enricher.enrich_many(inputs), strict=True):
        _rows_for(item_id, result, enricher.version, out)
    return item_ids, out


def _rows_for(
    item_id: int, result: Enrichment, version: str, out: dict[str, list[dict[str, Any]]]
) -> None:
    guess = result.language
    out["enrichments"].append({
        "item_id": item_id, "language": guess.code, "language_confidence": guess.confidence,
        "language_method": guess.method, "script": guess.script, "flags": list(result.flags),
        "origin_hint": list(result.origin_hint), "n_focus": len(result.focus),
        "n_cues": len(result.cues), "enrich_version": version,
    })
    for mention in result.focus:
        out["regions"].append({
            "item_id": item_id, "role": "focus", "code": mention.code,
            "country": mention.region.country, "macro": mention.region.macro,
            "kind": mention.kind, "via": "text", "place": mention.place_id,
            "span_start": mention.start, "span_end": mention.end,
            "surface": mention.surface[:_SURFACE_CHARS], "name_language": mention.language,
        })
    origin = result.origin
    if origin is not None:
        out["regions"].append({
            "item_id": item_id, "role": "origin", "code": origin.code,
            "country": origin.region.country, "macro": origin.region.macro,
            "kind": origin.region.level, "via": origin.via, "place": None,
            "span_start": None, "span_end": None,
            "surface": origin.surface[:_SURFACE_CHARS] if origin.surface else None,
            "name_language": None,
        })
    for cue in result.cues:
        out["cues"].append({
            "item_id": item_id, "kind": cue.kind, "label": cue.label, "role": cue.role,
            "term": cue.term[:_SURFACE_CHARS], "term_language": cue.language,
            "span_start": cue.start, "span_end": cue.end,
            "surface": cue.surface[:_SURFACE_CHARS],
        })


def _count(summary: EnrichSummary, rows: dict[str, list[dict[str, Any]]]) -> None:
    for row in rows["enrichments"]:
        summary.languages[row["language"]] += 1
        summary.with_focus += bool(row["n_focus"])
        summary.with_cues += bool(row["n_cues"])
        summary.flagged.update(row["flags"])


def _region_rows(enricher: Enricher) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "name": r.name, "level": r.level, "country": r.country,
         "macro": r.macro}
        for r in enricher.gazetteer.regions.values()
    ]


# --- reading back ----------------------------------------------------------------------------


@dataclass
class ItemView:
    """One stored item with everything enrichment stored about it."""

    item: ItemRecord
    source: str
    enrichment: Any | None
    regions: list[Any]
    cues: list[Any]
    region_names: dict[str, str]
    classifications: list[Any] = field(default_factory=list)
    labels: list[Any] = field(default_factory=list)


def item_view(engine: Engine, item_id: int) -> ItemView | None:
    with session_scope(engine) as session:
        item = session.get(ItemRecord, item_id)
        if item is None:
            return None
        source = session.get(SourceRecord, item.source_id)
        regions = store.regions_of(session, item_id)
        codes = {r.code for r in regions} | {r.country for r in regions if r.country} | {
            r.macro for r in regions if r.macro}
        view = ItemView(item=item, source=source.name if source else "?",
                        enrichment=store.enrichment_of(session, item_id), regions=regions,
                        cues=store.cues_of(session, item_id),
                        region_names=store.region_names(session, codes),
                        classifications=classification_store.classifications_of(session,
                                                                                 item_id),
                        labels=classification_store.labels_of(session, item_id))
        session.expunge_all()
        return view


def truth_agreement(engine: Engine, truth_path: Path) -> dict[str, TruthAgreement]:
    """Per language of the ground truth: how many stored items have exactly the true focus
    codes, and how many the true language.

    For the demo stream, whose generator writes each item's true focus (Afghan province codes
    with their country, other places as countries) and language into truth.jsonl. Items not in
    the store (quarantined) are skipped.
    """
    found: dict[tuple[str, str], set[str]] = {}
    languages: dict[tuple[str, str], str] = {}
    with session_scope(engine) as session:
        for source, external_id, language in session.execute(
            select(SourceRecord.name, ItemRecord.external_id, ItemEnrichmentRecord.language)
            .join(ItemRecord, ItemRecord.source_id == SourceRecord.id)
            .join(ItemEnrichmentRecord, ItemEnrichmentRecord.item_id == ItemRecord.id)
        ):
            languages[(source, external_id)] = language
        for source, external_id, code, country in session.execute(
            select(SourceRecord.name, ItemRecord.external_id, ItemRegionRecord.code,
                   ItemRegionRecord.country)
            .join(ItemRecord, ItemRecord.source_id == SourceRecord.id)
            .join(ItemRegionRecord, ItemRegionRecord.item_id == ItemRecord.id)
            .where(ItemRegionRecord.role == "focus")
        ):
            codes = found.setdefault((source, external_id), set())
            # The generator knows Afghan provinces and countries, not other subdivisions.
            if code.startswith("AF-") or "-" not in code:
                codes.add(code)
            if country:
                codes.add(country)
    table: dict[str, TruthAgreement] = {}
    for truth in demo_truth(truth_path):
        key = (truth["source"], truth["external_id"])
        if key not in languages:
            continue
        for group in (truth["language"], "all"):
            row = table.setdefault(group, TruthAgreement())
            row.items += 1
            row.focus += set(truth["focus"]) == found.get(key, set())
            row.language += truth["language"] == languages[key]
    return table


@dataclass
class TruthAgreement:
    items: int = 0
    focus: int = 0  # items whose focus codes equal the truth's
    language: int = 0  # items whose detected language is the truth's


@dataclass
class ItemRow:
    id: int
    published_at: datetime
    source: str
    language: str | None
    focus: list[str]
    labels: list[str]
    text: str


def search_items(
    engine: Engine,
    *,
    language: str | None = None,
    region: str | None = None,
    role: str = "focus",
    label: str | None = None,
    source: str | None = None,
    predicted: str | None = None,
    limit: int = 20,
) -> list[ItemRow]:
    """Newest enriched items by language, region (any level, focus or origin), cue label,
    predicted label."""
    with session_scope(engine) as session:
        found = store.search_items(session, language=language, region=region, role=role,
                                   label=label, source=source, predicted=predicted,
                                   limit=limit)
        focus, labels = store.focus_and_labels(session, [item.id for item, _, _ in found])
        return [ItemRow(item.id, item.published_at, name, lang, focus[item.id],
                        labels[item.id], item.text) for item, name, lang in found]


def export_rows(engine: Engine, **filters: Any) -> list[dict[str, Any]]:
    """Items matching the filters of `search_items`, with everything stored about them, as
    flat records for `monitor items export`."""
    rows = search_items(engine, **filters)
    records = []
    with session_scope(engine) as session:
        for row in rows:
            labels = classification_store.labels_of(session, row.id)
            regions = store.regions_of(session, row.id)
            affinity = next((x for x in labels if x.task == "affinity"), None)
            records.append({
                "id": row.id, "source": row.source,
                "published_at": row.published_at.isoformat(), "language": row.language,
                "text": row.text, "focus": row.focus,
                "origin": next((r.code for r in regions if r.role == "origin"), None),
                "cues": row.labels,
                "affinity": affinity.label if affinity else None,
                "affinity_score": round(affinity.score, 4) if affinity else None,
                "narratives": [{"label": x.label, "score": round(x.score, 4)}
                               for x in labels if x.task == "narratives"],
                "model_version": affinity.model_version if affinity else None,
            })
    return records
