"""`monitor train`, `monitor evaluate` and `monitor models`: the classifiers as use cases."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from monitor.classify import registry
from monitor.classify.apply import Classifier
from monitor.classify.corpus import Example, corpus_digest, load_seed
from monitor.classify.evaluate import Evaluation, evaluate
from monitor.classify.features import Embedder, Inputs
from monitor.classify.model import DEFAULT_TARGET_PRECISION, TASKS, TaskModel, train
from monitor.config import Settings
from monitor.nlp.codebook import NONE_LABEL
from monitor.nlp.enricher import Enricher, ItemInput
from monitor.services.enrichment import get_enricher

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
    models = {
        task: train(task, train_inputs, [e.affinity for e in training],
                    [e.narratives for e in training],
                    labels=codebook.group_ids if task == "affinity" else codebook.narrative_ids,
                    cue_labels=cue_labels, target_precision=target_precision, seed=seed)
        for task in TASKS
    }
    evaluation = evaluate_examples(models["affinity"], models["narratives"], testing,
                                   enricher, embedder)
    digest = corpus_digest(examples)
    trained_at = datetime.now(UTC)
    saved = []
    for task, model in models.items():
        card = _card(model, settings=settings, embedder=embedder, digest=digest, seed=seed,
                     trained_at=trained_at, train_items=len(training),
                     test_items=len(testing), codebook_version=codebook.version,
                     evaluation=evaluation)
        entry = registry.save(model, card, settings.models_dir)
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
        "estimator": "LogisticRegression(C=4, balanced) calibrated by Platt scaling (5-fold)",
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
    return Classifier(affinity, narratives, embedder_for(settings), versions)
