"""`monitor classify` and `monitor predict`'s labels: the active models applied to items.

Training and evaluation are in `monitor.services.training`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from monitor.classify import registry
from monitor.classify.apply import Classification, Classifier
from monitor.classify.features import Embedder, Inputs
from monitor.classify.model import (
    TASKS,
    TaskModel,
)
from monitor.config import Settings
from monitor.nlp.enricher import Enricher, ItemInput
from monitor.services.enrichment import get_enricher
from monitor.store import classification as store
from monitor.store.engine import session_scope


@cache
def get_embedder(model_path: str | None) -> Embedder:
    return Embedder(Path(model_path) if model_path else None)


def embedder_for(settings: Settings) -> Embedder:
    return get_embedder(str(settings.embedding_model) if settings.embedding_model else None)


def inputs_for(texts: Sequence[str], enricher: Enricher, embedder: Embedder) -> Inputs:
    enriched = enricher.enrich_many([ItemInput(text) for text in texts])
    return Inputs(normalised=[e.normalised for e in enriched],
                  cues=[e.cues for e in enriched],
                  embeddings=embedder.encode(list(texts)))


@cache
def _loaded(models_dir: str, affinity: str, narratives: str) -> tuple[TaskModel, TaskModel]:
    first, _ = registry.load(Path(models_dir), "affinity", affinity)
    second, _ = registry.load(Path(models_dir), "narratives", narratives)
    return first, second


def active_models(settings: Settings) -> tuple[TaskModel, TaskModel, dict[str, str]]:
    """The active affinity and narrative models (verified), with their versions."""
    active = registry.active_versions(settings.models_dir)
    for task in TASKS:
        if task not in active:
            raise registry.ModelError(f"no active {task} model in {settings.models_dir}: run "
                                      "`monitor train`")
    affinity, narratives = _loaded(str(settings.models_dir), active["affinity"],
                                   active["narratives"])
    return affinity, narratives, active


def active_classifier(settings: Settings) -> Classifier | None:
    """The active models ready to apply, or None when none has been trained yet."""
    if not registry.all_active(settings.models_dir):
        return None
    affinity, narratives, versions = active_models(settings)
    examples = _examples(str(settings.models_dir), versions["affinity"])
    return Classifier(affinity, narratives, embedder_for(settings), versions, examples)


@cache
def _examples(models_dir: str, version: str) -> registry.Examples | None:
    return registry.load_examples(registry.get(Path(models_dir), "affinity", version))


# --- classify stored items --------------------------------------------------------------------


@dataclass
class ClassifySummary:
    processed: int = 0
    seconds: float = 0.0
    embedded: int = 0  # items whose embedding was computed (the rest were reused)
    affinity: dict[str, int] = field(default_factory=dict)
    narratives: dict[str, int] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0


def classify_items(
    engine: Engine,
    *,
    settings: Settings,
    redo: bool = False,
    batch_size: int = 256,
    on_progress: Callable[[int, int], None] | None = None,
) -> ClassifySummary:
    """Classify enriched items not yet classified by the active models (all, with `redo`).

    Each batch is embedded once (stored embeddings of the same model are reused), scored, and
    written in one transaction with the model versions, so a re-run after a kill goes on.
    """
    classifier = active_classifier(settings)
    if classifier is None:
        raise registry.ModelError(f"no active models in {settings.models_dir}: run "
                                  "`monitor train`")
    enricher = get_enricher()
    summary = ClassifySummary(versions=dict(classifier.versions))
    started = time.perf_counter()
    version = None if redo else classifier.versions["affinity"]
    total = 0
    if on_progress is not None:
        with session_scope(engine) as session:
            total = store.count_to_classify(session, version=version)

    def finish(rows: list[Any], embedded: Future[tuple[np.ndarray, list[dict[str, Any]]]]
               ) -> None:
        texts = [r[1] for r in rows]
        enrichments = enricher.enrich_many([ItemInput(r[1], r[2], r[3]) for r in rows])
        vectors, new_rows = embedded.result()
        results = classifier.classify(texts, enrichments, vectors)
        classifications, labels = _result_rows([r[0] for r in rows], results,
                                               classifier.versions, datetime.now(UTC))
        with session_scope(engine) as session:
            store.write_embeddings(session, new_rows)
            store.write_classifications(session, item_ids=[r[0] for r in rows],
                                        classifications=classifications, labels=labels)
        summary.processed += len(rows)
        summary.embedded += len(new_rows)
        for result in results:
            summary.affinity[result.affinity[0]] = summary.affinity.get(result.affinity[0],
                                                                        0) + 1
            for label, _ in result.narratives:
                summary.narratives[label] = summary.narratives.get(label, 0) + 1
        if on_progress is not None:
            on_progress(summary.processed, total)

    # The next batch is embedded in a thread (torch releases the GIL) while this one is
    # enriched, scored and written.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: tuple[list[Any], Future[Any]] | None = None
        for rows, stored in _batches_to_classify(engine, version, batch_size,
                                                 classifier.embedder.name):
            future = pool.submit(_embeddings, classifier, [r[0] for r in rows],
                                 [r[1] for r in rows], stored)
            if pending is not None:
                finish(*pending)
            pending = (rows, future)
        if pending is not None:
            finish(*pending)
    summary.seconds = time.perf_counter() - started
    return summary


def _batches_to_classify(engine: Engine, version: str | None, size: int, model: str
                         ) -> Iterator[tuple[list[Any], dict[int, bytes]]]:
    after = 0
    while True:
        with session_scope(engine) as session:
            rows = store.items_to_classify(session, after_id=after, limit=size,
                                           version=version)
            if not rows:
                return
            stored = store.embeddings_of(session, [r[0] for r in rows], model)
        after = rows[-1][0]
        yield rows, stored


def _embeddings(classifier: Classifier, item_ids: list[int], texts: list[str],
                stored: dict[int, bytes]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    missing = [i for i, item_id in enumerate(item_ids) if item_id not in stored]
    fresh = classifier.embedder.encode([texts[i] for i in missing]) if missing else None
    dim = classifier.embedder.dim
    vectors = np.zeros((len(item_ids), dim), dtype=np.float32)
    for i, item_id in enumerate(item_ids):
        if item_id in stored:
            vectors[i] = np.frombuffer(stored[item_id], dtype=np.float16).astype(np.float32)
    new_rows = []
    now = datetime.now(UTC)
    for row, i in enumerate(missing):
        assert fresh is not None
        vectors[i] = fresh[row]
        new_rows.append({"item_id": item_ids[i], "model": classifier.embedder.name, "dim": dim,
                         "vector": fresh[row].astype(np.float16).tobytes(), "created_at": now})
    return vectors, new_rows


def _result_rows(item_ids: list[int], results: list[Classification], versions: dict[str, str],
                 now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    classifications, labels = [], []
    for item_id, result in zip(item_ids, results, strict=True):
        why: dict[str, Any] = {label: [[name, round(weight, 4)] for name, weight in found]
                               for label, found in result.why.items()}
        for task in TASKS:
            classifications.append({
                "item_id": item_id, "task": task, "model_version": versions[task],
                "scores": result.scores[task], "classified_at": now,
                "why": {k: v for k, v in why.items() if k in result.scores[task]}
                | ({"nearest": [list(n) for n in result.nearest]} if task == "affinity"
                   else {})})
        labels.append({"item_id": item_id, "task": "affinity", "label": result.affinity[0],
                       "score": result.affinity[1], "model_version": versions["affinity"]})
        labels += [{"item_id": item_id, "task": "narratives", "label": label, "score": score,
                    "model_version": versions["narratives"]} for label, score in result.narratives]
    return classifications, labels
