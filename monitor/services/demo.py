"""The demo: generate the bundled synthetic stream and run every stage that exists on it.

Idempotent: the stream is deterministic, so a second run inserts nothing. Each later stage
(aggregate, detect, alert, report) adds its step here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from monitor.classify.registry import all_active
from monitor.config import Settings, generate_secret_key_file
from monitor.demo import generate_demo
from monitor.errors import MonitorError
from monitor.services import classification, database, enrichment, sources, training
from monitor.services.classification import ClassifySummary
from monitor.services.enrichment import EnrichSummary
from monitor.services.ingestion import IngestSummary, ingest_files
from monitor.services.training import TrainResult, TruthScores
from monitor.store import queries
from monitor.store.engine import session_scope

IngestFn = Callable[[Engine, str, Sequence[Path]], IngestSummary]
EnrichFn = Callable[[], EnrichSummary]
TrainFn = Callable[[], TrainResult]
ClassifyFn = Callable[[], ClassifySummary]


@dataclass(frozen=True, slots=True)
class DemoResult:
    summaries: tuple[IngestSummary, ...]
    total_items: int
    new_items: int
    stream_dir: Path
    truth_path: Path
    enrich: EnrichSummary
    truth_agreement: dict[str, enrichment.TruthAgreement]  # per language of the truth
    trained: TrainResult | None  # None: models were already active
    classify: ClassifySummary
    label_truth: TruthScores  # stored labels vs the generator's ground truth


def run_demo(
    settings: Settings,
    *,
    n_items: int = 24_000,
    seed: int = 2021,
    ingest: IngestFn | None = None,
    enrich: EnrichFn | None = None,
    train: TrainFn | None = None,
    classify: ClassifyFn | None = None,
) -> DemoResult:
    """Generate the demo stream under the data directory, add its sources, ingest it, enrich
    it, train the classifiers if no model is active, classify it, and compare the focus
    regions and labels found with the generator's ground truth."""
    generate_secret_key_file(settings.secret_key_file)
    database.upgrade(settings)
    stream_dir = settings.data_dir / "demo"
    try:
        manifest = generate_demo(out_dir=stream_dir, seed=seed, n_items=n_items)
    except ValueError as exc:  # a bad size, or a broken template file in corpora/demo
        raise MonitorError(f"The demo stream could not be generated: {exc}") from exc
    engine = database.open_engine(settings)
    try:
        summaries = []
        for demo_file in manifest.files:
            sources.add_source(engine, spec=demo_file.spec, exist_ok=True)
            if ingest is None:
                summary = ingest_files(engine, source_name=demo_file.spec.name,
                                       paths=[demo_file.path], settings=settings)
            else:
                summary = ingest(engine, demo_file.spec.name, [demo_file.path])
            summaries.append(summary)
        with session_scope(engine) as session:
            total = queries.count_items(session)
        enriched = (enrich() if enrich is not None
                    else enrichment.enrich_items(engine, settings=settings))
        agreement = enrichment.truth_agreement(engine, manifest.truth_path)
        trained = None
        if not all_active(settings.models_dir):
            trained = train() if train is not None else training.train_models(settings)
        classified = (classify() if classify is not None
                      else classification.classify_items(engine, settings=settings))
        label_truth = training.demo_truth_scores(engine, manifest.truth_path)
    finally:
        engine.dispose()
    return DemoResult(
        summaries=tuple(summaries),
        total_items=total,
        new_items=sum(s.inserted for s in summaries),
        stream_dir=stream_dir,
        truth_path=manifest.truth_path,
        enrich=enriched,
        truth_agreement=agreement,
        trained=trained,
        classify=classified,
        label_truth=label_truth,
    )
