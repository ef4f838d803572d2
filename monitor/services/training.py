"""`monitor train` and `monitor evaluate`: training the classifiers and measuring them (test
split, cross-validation, the demo stream's ground truth)."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from monitor.classify import registry
from monitor.classify.corpus import Example, corpus_digest, load_seed
from monitor.classify.evaluate import Evaluation, evaluate
from monitor.classify.features import Embedder, Inputs
from monitor.classify.model import DEFAULT_TARGET_PRECISION, SETTINGS, TaskModel, train_tasks
from monitor.config import Settings
from monitor.nlp.codebook import NONE_LABEL
from monitor.nlp.enricher import Enricher
from monitor.services.classification import active_models, embedder_for, inputs_for
from monitor.services.enrichment import get_enricher
from monitor.store.engine import session_scope

_LIBRARIES = ("scikit-learn", "sentence-transformers", "torch", "skops", "numpy", "scipy",
              "spacy", "lingua-language-detector")


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


def evaluate_active(settings: Settings) -> Evaluation:
    """The active models on the seed corpus's test split."""
    affinity, narratives, _ = active_models(settings)
    enricher = get_enricher()
    examples = [e for e in load_seed(enricher.codebook) if e.split == "test"]
    return evaluate_examples(affinity, narratives, examples, enricher, embedder_for(settings))


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


def cross_validate(settings: Settings, *, folds: int = 5, seed: int = 0,
                   corpus_dir: Path | None = None) -> CrossValidation:
    """Stratified k-fold cross-validation over the whole seed corpus (train and test splits;
    the op-ed test file stays out), with the same training as `monitor train`."""
    from sklearn.model_selection import StratifiedKFold

    from monitor.classify.corpus import TEST_ONLY_PREFIX

    enricher = get_enricher()
    embedder = embedder_for(settings)
    codebook = enricher.codebook
    examples = [e for e in load_seed(codebook, corpus_dir)
                if not e.source.startswith(TEST_ONLY_PREFIX)]
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
