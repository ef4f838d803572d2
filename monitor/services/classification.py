"""`monitor train`, `evaluate`, `models`, `classify`: the classifiers as use cases."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from monitor.classify import registry
from monitor.classify.apply import Classification, Classifier
from monitor.classify.corpus import Example, corpus_digest, load_seed
from monitor.classify.evaluate import Evaluation, evaluate
from monitor.classify.features import Embedder, Inputs
from monitor.classify.model import (
    DEFAULT_TARGET_PRECISION,
    SETTINGS,
    TASKS,
    TaskModel,
    train_tasks,
)
from monitor.config import Settings
from monitor.nlp.codebook import NONE_LABEL
from monitor.nlp.enricher import Enricher, ItemInput
from monitor.services.enrichment import get_enricher
from monitor.store import classification as store
from monitor.store.engine import session_scope

_LIBRARIES = ("scikit-learn", "sentence-transformers", "torch", "skops", "numpy", "scipy",
              "spacy", "lingua-language-detector")


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


@dataclass
class TrainResult:
    models: list[registry.Entry]
    evaluation: Evaluation
    train_items: int
    test_items: int


def train_models(
    settings: Settings,
    *,
    seed: int = 0,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    activate: bool = True,
    corpus_dir: Path | None = None,
) -> TrainResult:
    """Train both tasks on the seed corpus's train split, score them on its test split, save
    them with their cards and (by default) make them active."""
    enricher = get_enricher()
    embedder = embedder_for(settings)
    codebook = enricher.codebook
    examples = load_seed(codebook, corpus_dir)
    training = [e for e in examples if e.split == "train"]
    testing = [e for e in examples if e.split == "test"]
    train_inputs = inputs_for([e.text for e in training], enricher, embedder)
    cue_labels = codebook.group_ids + codebook.narrative_ids
    models = train_tasks(train_inputs, [e.affinity for e in training],
                         [e.narratives for e in training], groups=codebook.group_ids,
                         narrative_labels=codebook.narrative_ids, cue_labels=cue_labels,
                         target_precision=target_precision, seed=seed)
    evaluation = evaluate_examples(models["affinity"], models["narratives"], testing,
                                   enricher, embedder)
    digest = corpus_digest(examples)
    trained_at = datetime.now(UTC)
    saved = []
    learnt = registry.Examples(
        embeddings=train_inputs.embeddings, ids=[e.id for e in training],
        texts=[e.text[:160] for e in training],
        labels=["+".join((e.affinity, *e.narratives)) for e in training])
    for task, model in models.items():
        card = _card(model, settings=settings, embedder=embedder, digest=digest, seed=seed,
                     trained_at=trained_at, train_items=len(training),
                     test_items=len(testing), codebook_version=codebook.version,
                     evaluation=evaluation)
        entry = registry.save(model, card, settings.models_dir,
                              learnt if task == "affinity" else None)
        if activate:
            entry = registry.activate(settings.models_dir, task, entry.version)
        saved.append(entry)
    return TrainResult(saved, evaluation, len(training), len(testing))


def evaluate_examples(affinity: TaskModel, narratives: TaskModel, examples: Sequence[Example],
                      enricher: Enricher, embedder: Embedder) -> Evaluation:
    inputs = inputs_for([e.text for e in examples], enricher, embedder)
    return evaluate(affinity, narratives, affinity.scores(inputs), narratives.scores(inputs),
                    [e.affinity for e in examples], [e.narratives for e in examples])


def _card(model: TaskModel, *, settings: Settings, embedder: Embedder, digest: str, seed: int,
          trained_at: datetime, train_items: int, test_items: int, codebook_version: str,
          evaluation: Evaluation) -> dict[str, Any]:
    version = f"{model.task}-{trained_at:%Y%m%d-%H%M%S}-{digest[:8]}-s{seed}"
    metrics = evaluation.as_dict()
    task_metrics = ({k: metrics[k] for k in ("items", "affinity", "affinity_macro_f1",
                                             "affinity_ece", "affinity_confusion",
                                             "hard_negatives", "hard_negative_precision")}
                    if model.task == "affinity" else
                    {k: metrics[k] for k in ("items", "narratives", "narrative_ece",
                                             "hard_negatives", "hard_negative_precision")})
    return {
        "version": version,
        "task": model.task,
        "labels": model.labels,
        "none_label": NONE_LABEL,
        "thresholds": model.thresholds,
        "threshold_notes": model.threshold_notes,
        "target_precision": model.target_precision,
        "cue_labels": model.cue_labels,
        "features": ["char n-grams 2-5 (TF-IDF) of the normalised text",
                     "codebook cue counts per label (alias, cue)",
                     f"sentence embedding ({embedder.name})"],
        "estimator": (f"signal gate LogisticRegression(C={SETTINGS['gate'][0]:g}) calibrated "
                      f"by {SETTINGS['gate'][1]} × conditional LogisticRegression("
                      f"C={SETTINGS[model.task][0]:g}) calibrated by "
                      f"{SETTINGS[model.task][1]} (5-fold each)"),
        "embedding_model": embedder.name,
        "training_data": {"digest": digest, "train_items": train_items,
                          "test_items": test_items, "codebook_version": codebook_version},
        "seed": seed,
        "trained_at": trained_at.isoformat(),
        "metrics_test_split": task_metrics,
        "libraries": {name: _version(name) for name in _LIBRARIES}
        | {"python": platform.python_version()},
    }


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


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


def evaluate_active(settings: Settings) -> Evaluation:
    """The active models on the seed corpus's test split."""
    affinity, narratives, _ = active_models(settings)
    enricher = get_enricher()
    examples = [e for e in load_seed(enricher.codebook) if e.split == "test"]
    return evaluate_examples(affinity, narratives, examples, enricher, embedder_for(settings))


def active_classifier(settings: Settings) -> Classifier | None:
    """The active models ready to apply, or None when none has been trained yet."""
    active = registry.active_versions(settings.models_dir)
    if not all(task in active for task in TASKS):
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
    on_progress: Callable[[int], None] | None = None,
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
            on_progress(summary.processed)

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


@dataclass
class TruthScores:
    items: int
    affinity: list[Any]
    affinity_macro_f1: float
    narratives: list[Any]


def demo_truth_scores(engine: Engine, truth_path: Path) -> TruthScores:
    """Stored labels against the demo generator's ground truth (per-label P/R/F1)."""
    from monitor.classify import metrics
    from monitor.nlp.evaluation import demo_truth
    from monitor.store.tables import ItemLabelRecord, ItemRecord, SourceRecord

    affinity: dict[tuple[str, str], str] = {}
    narratives: dict[tuple[str, str], list[str]] = {}
    with session_scope(engine) as session:
        rows = session.execute(
            select(SourceRecord.name, ItemRecord.external_id, ItemLabelRecord.task,
                   ItemLabelRecord.label)
            .join(ItemRecord, ItemRecord.source_id == SourceRecord.id)
            .join(ItemLabelRecord, ItemLabelRecord.item_id == ItemRecord.id))
        for source, external_id, task, label in rows:
            key = (source, external_id)
            if task == "affinity":
                affinity[key] = label
            else:
                narratives.setdefault(key, []).append(label)
    true_a, got_a, true_n, got_n = [], [], [], []
    for truth in demo_truth(truth_path):
        key = (truth["source"], truth["external_id"])
        if key in affinity:
            true_a.append(truth["affinity"])
            got_a.append(affinity[key])
            true_n.append(truth["narratives"])
            got_n.append(narratives.get(key, []))
    codebook = get_enricher().codebook
    scores = metrics.label_scores(true_a, got_a, codebook.group_ids)
    return TruthScores(len(true_a), scores, metrics.macro_f1(scores),
                       metrics.binary_scores(true_n, got_n, codebook.narrative_ids))


@dataclass
class CrossValidation:
    folds: int
    affinity_macro_f1: list[float]
    narrative_f1: dict[str, list[float]]


def cross_validate(settings: Settings, *, folds: int = 5, seed: int = 0) -> CrossValidation:
    """Stratified k-fold cross-validation over the whole seed corpus (train and test splits;
    the op-ed test file stays out), with the same training as `monitor train`."""
    from sklearn.model_selection import StratifiedKFold

    from monitor.classify.corpus import TEST_ONLY_PREFIX

    enricher = get_enricher()
    embedder = embedder_for(settings)
    codebook = enricher.codebook
    examples = [e for e in load_seed(codebook) if not e.source.startswith(TEST_ONLY_PREFIX)]
    inputs = inputs_for([e.text for e in examples], enricher, embedder)
    cue_labels = codebook.group_ids + codebook.narrative_ids
    result = CrossValidation(folds, [], {n: [] for n in codebook.narrative_ids})
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(examples, [e.affinity for e in examples]):
        part = _subset(inputs, train_index)
        fitted = train_tasks(part, [examples[i].affinity for i in train_index],
                             [examples[i].narratives for i in train_index],
                             groups=codebook.group_ids,
                             narrative_labels=codebook.narrative_ids, cue_labels=cue_labels,
                             seed=seed)
        held = _subset(inputs, test_index)
        scores = evaluate(fitted["affinity"], fitted["narratives"],
                          fitted["affinity"].scores(held), fitted["narratives"].scores(held),
                          [examples[i].affinity for i in test_index],
                          [examples[i].narratives for i in test_index])
        result.affinity_macro_f1.append(scores.affinity_macro_f1)
        for s in scores.narratives:
            result.narrative_f1[s.label].append(s.f1)
    return result


def _subset(inputs: Inputs, index: Any) -> Inputs:
    return Inputs([inputs.normalised[i] for i in index], [inputs.cues[i] for i in index],
                  inputs.embeddings[index])
