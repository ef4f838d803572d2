"""Training and applying the two classifiers: affinity (one label) and narratives (multi-label).

Affinity is not mention: most items that name a group or a narrative's words are news,
analysis, condemnation or victims' voices. So each task is factorised in two steps, both
logistic regressions on [character n-grams | cues | embedding]:

1. a **signal gate**: P(the item carries any label at all) — learnt from every labelled
   positive against every hard negative, it is the model of "speaks for a side" versus
   "talks about it";
2. **conditional models**, learnt on the items that do carry a label: P(group | signal) and,
   per narrative, P(narrative | signal).

An item's score is their product: P(narrative) = P(signal) × P(narrative | signal); for
affinity P(group) = P(signal) × P(group | signal) and P(none) takes the rest. Each step is
calibrated (the gate and narratives by isotonic regression, affinity by temperature scaling
of its multinomial model), so a score of 0.8 means about 80%. Each label gets a threshold
chosen on out-of-fold predictions of the training data: the lowest score at which that label
reaches the target precision. Affinity takes the most likely group only when it clears its
group's threshold, else `none`; narratives are independent yes/no decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from monitor.classify import features
from monitor.classify.features import Inputs
from monitor.errors import ConfigError
from monitor.nlp.codebook import NONE_LABEL

TASKS = ("affinity", "narratives")
DEFAULT_TARGET_PRECISION = 0.9
_GRID = np.round(np.arange(0.10, 0.96, 0.01), 2)
_MIN_DECIDED = 3


@dataclass
class TaskModel:
    """A trained task: its vectoriser, its signal gate, its calibrated conditional
    classifier(s) and its thresholds."""

    task: str
    labels: list[str]  # affinity: every group incl. none; narratives: every narrative
    cue_labels: list[str]
    vectorizer: TfidfVectorizer
    classifiers: dict[str, CalibratedClassifierCV]
    thresholds: dict[str, float]
    target_precision: float
    threshold_notes: dict[str, str] = field(default_factory=dict)
    gate: CalibratedClassifierCV | None = None  # None: a model saved before the gate

    def features(self, inputs: Inputs) -> sparse.csr_matrix:
        return features.matrix(self.vectorizer, inputs, self.cue_labels)

    def signal(self, x: sparse.csr_matrix) -> np.ndarray:
        """P(the item carries any label), per item."""
        if self.gate is None:
            return np.ones(x.shape[0])
        return _positive_column(self.gate, x)

    def scores(self, inputs: Inputs, x: sparse.csr_matrix | None = None
               ) -> list[dict[str, float]]:
        """Calibrated probability per label, per item (`x`: its features, if already built)."""
        if x is None:
            x = self.features(inputs)
        return _as_dicts(self.labels, combine(self, x, self.signal(x)))

    def decide(self, scores: dict[str, float]) -> list[tuple[str, float]]:
        """Affinity: [(label, score)] — a group above its threshold, else none.
        Narratives: every narrative above its threshold (possibly none)."""
        if self.task == "affinity":
            return [decide_affinity(scores, self.thresholds)]
        return [(label, score) for label, score in scores.items()
                if score >= self.thresholds.get(label, 1.0)]


def combine(model: TaskModel, x: sparse.csr_matrix, signal: np.ndarray) -> np.ndarray:
    """Scores (items × model.labels) = the gate's P(signal) × the conditional probabilities;
    for affinity, `none` gets 1 − P(signal) on top of its conditional share."""
    if model.task == "affinity":
        return _affinity_columns(model.classifiers["affinity"], x, signal, model.labels)
    return np.column_stack([signal * _positive_column(model.classifiers[label], x)
                            for label in model.labels])


def _affinity_columns(classifier: CalibratedClassifierCV, x: sparse.csr_matrix,
                      signal: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    conditional = classifier.predict_proba(x)
    classes = [str(c) for c in classifier.classes_]
    out = np.zeros((x.shape[0], len(labels)))
    for j, label in enumerate(labels):
        if label in classes:
            out[:, j] = signal * conditional[:, classes.index(label)]
        if label == NONE_LABEL:
            out[:, j] += 1.0 - signal
    return out


def _positive_column(classifier: CalibratedClassifierCV, x: sparse.csr_matrix) -> np.ndarray:
    classes = list(classifier.classes_)
    return np.asarray(classifier.predict_proba(x)[:, classes.index(True)])


def _as_dicts(labels: Sequence[str], matrix: np.ndarray) -> list[dict[str, float]]:
    return [{label: round(float(p), 4) for label, p in zip(labels, row, strict=True)}
            for row in matrix]


def decide_affinity(scores: dict[str, float], thresholds: dict[str, float]) -> tuple[str, float]:
    groups = [(score, label) for label, score in scores.items() if label != NONE_LABEL]
    if groups:
        score, label = max(groups)
        if score >= thresholds.get(label, 1.0):
            return label, score
    return NONE_LABEL, scores.get(NONE_LABEL, 0.0)


# Chosen by out-of-fold validation on the train split only (never the test split).
# Affinity: one-vs-rest calibration (Platt or isotonic) left the top label underconfident
# (calibration error 0.14); temperature scaling of the multinomial model brings it to ~0.02.
# The gate and narratives: isotonic regression. C=50 everywhere: on the 3,346 training items
# the factorised model at C=50 scored out-of-fold macro-F1 0.80 (argmax) against 0.79 for one
# model per task, with narrative F1 0.74/0.65/0.75/0.66 against 0.70/0.57/0.74/0.64.
SETTINGS = {"gate": (50.0, "isotonic"), "affinity": (50.0, "temperature"),
            "narratives": (50.0, "isotonic")}
_FOLDS = 5


def _calibrated(seed: int, step: str) -> CalibratedClassifierCV:
    c, method = SETTINGS[step]
    base = LogisticRegression(C=c, max_iter=5_000)
    return CalibratedClassifierCV(base, method=method,
                                  cv=StratifiedKFold(_FOLDS, shuffle=True, random_state=seed))


def train_tasks(
    inputs: Inputs,
    affinities: Sequence[str],
    narratives: Sequence[Sequence[str]],
    *,
    groups: Sequence[str],
    narrative_labels: Sequence[str],
    cue_labels: Sequence[str],
    target_precision: float = DEFAULT_TARGET_PRECISION,
    seed: int = 0,
) -> dict[str, TaskModel]:
    """Fit both tasks on training items (one vectoriser, one gate); the thresholds come from
    out-of-fold predictions of the whole factorised model."""
    _enough("affinity", affinities, narratives, groups)
    _enough("narratives", affinities, narratives, narrative_labels)
    vectorizer = features.fit_vectorizer(inputs.normalised)
    x = features.matrix(vectorizer, inputs, cue_labels)
    y_affinity = np.asarray(affinities)
    y_signal = np.asarray([a != NONE_LABEL or bool(n)
                           for a, n in zip(affinities, narratives, strict=True)])
    y_narratives = {label: np.asarray([label in n for n in narratives])
                    for label in narrative_labels}
    affinity_labels = sorted(set(groups) | {NONE_LABEL})

    def fit_all(rows: np.ndarray) -> tuple[CalibratedClassifierCV, CalibratedClassifierCV,
                                           dict[str, CalibratedClassifierCV]]:
        gate = _calibrated(seed, "gate").fit(x[rows], y_signal[rows])
        signal_rows = rows[y_signal[rows]]
        affinity = _calibrated(seed, "affinity").fit(x[signal_rows], y_affinity[signal_rows])
        per_narrative = {label: _calibrated(seed, "narratives").fit(x[signal_rows],
                                                                    y[signal_rows])
                         for label, y in y_narratives.items()}
        return gate, affinity, per_narrative

    # Out of fold: every training item scored by models that never saw it.
    oof_affinity = np.zeros((len(y_affinity), len(affinity_labels)))
    oof_narratives = np.zeros((len(y_affinity), len(narrative_labels)))
    folds = StratifiedKFold(_FOLDS, shuffle=True, random_state=seed)
    for fit_rows, held in folds.split(x, y_affinity):
        gate, affinity, per_narrative = fit_all(fit_rows)
        signal = _positive_column(gate, x[held])
        oof_affinity[held] = _affinity_columns(affinity, x[held], signal, affinity_labels)
        oof_narratives[held] = np.column_stack(
            [signal * _positive_column(per_narrative[label], x[held])
             for label in narrative_labels])
    gate, affinity, per_narrative = fit_all(np.arange(len(y_affinity)))

    a_thresholds: dict[str, float] = {}
    a_notes: dict[str, str] = {}
    for label in affinity_labels:
        if label != NONE_LABEL:
            a_thresholds[label], a_notes[label] = _affinity_threshold(
                oof_affinity, y_affinity, affinity_labels, label, target_precision)
    n_thresholds: dict[str, float] = {}
    n_notes: dict[str, str] = {}
    for j, label in enumerate(narrative_labels):
        n_thresholds[label], n_notes[label] = _binary_threshold(
            oof_narratives[:, j], y_narratives[label], target_precision)
    return {
        "affinity": TaskModel("affinity", affinity_labels, list(cue_labels), vectorizer,
                              {"affinity": affinity}, a_thresholds, target_precision, a_notes,
                              gate),
        "narratives": TaskModel("narratives", list(narrative_labels), list(cue_labels),
                                vectorizer, per_narrative, n_thresholds, target_precision,
                                n_notes, gate),
    }


MIN_EXAMPLES = 15


def _enough(task: str, affinities: Sequence[str], narratives: Sequence[Sequence[str]],
            labels: Sequence[str]) -> None:
    """Refuse to train on too few examples of a label (calibration needs 5 folds of them)."""
    counts = {label: (sum(1 for a in affinities if a == label) if task == "affinity"
                      else sum(1 for n in narratives if label in n)) for label in labels}
    if task == "affinity":
        counts[NONE_LABEL] = sum(1 for a in affinities if a == NONE_LABEL)
    few = {label: n for label, n in counts.items() if n < MIN_EXAMPLES}
    if few:
        listed = ", ".join(f"{label} ({n})" for label, n in sorted(few.items()))
        raise ConfigError(f"too few training examples for {task}: {listed}; each label needs "
                          f"at least {MIN_EXAMPLES} in the train split of corpora/seed")


def _affinity_threshold(
    probabilities: np.ndarray, y: np.ndarray, classes: list[str], label: str, target: float
) -> tuple[float, str]:
    none = classes.index(NONE_LABEL)
    groups = probabilities.copy()
    groups[:, none] = -1.0
    best = groups.argmax(axis=1)
    index = classes.index(label)
    top = probabilities[:, index]
    chosen = best == index
    return _pick(top, chosen, y == label, target)


def _binary_threshold(scores: np.ndarray, y: np.ndarray, target: float) -> tuple[float, str]:
    return _pick(scores, np.ones_like(y, dtype=bool), y, target)


def _pick(scores: np.ndarray, eligible: np.ndarray, truth: np.ndarray,
          target: float) -> tuple[float, str]:
    """The lowest threshold whose decisions reach the target precision (most recall)."""
    best_t, best_precision = float(_GRID[-1]), -1.0
    for t in _GRID:
        decided = eligible & (scores >= t)
        n = int(decided.sum())
        if n < _MIN_DECIDED:
            continue
        precision = float((decided & truth).sum()) / n
        if precision >= target:
            return float(t), f"precision {precision:.2f} at {t:.2f} (out-of-fold)"
        if precision > best_precision:
            best_t, best_precision = float(t), precision
    return best_t, (f"target {target:.2f} not reached; best precision {best_precision:.2f} "
                    f"at {best_t:.2f}")


def label_weights(model: TaskModel, label: str) -> np.ndarray:
    """The logistic-regression coefficients towards `label`: the gate's towards "carries a
    label" plus the conditional model's towards `label` (both add to the log-odds), averaged
    over the calibration folds (cached on the model: computing them is the costly part of an
    explanation)."""
    cache: dict[str, np.ndarray] = model.__dict__.setdefault("_weights", {})
    if label in cache:
        return cache[label]
    classifier = model.classifiers["affinity" if model.task == "affinity" else label]
    weights = _averaged_coef(classifier, label if model.task == "affinity" else "True")
    if model.gate is not None:
        weights = weights + _averaged_coef(model.gate, "True")
    cache[label] = weights
    return weights


def _averaged_coef(classifier: CalibratedClassifierCV, label: str) -> np.ndarray:
    weights: Any = None
    # The fold estimators may see encoded classes: index by the calibrated model's classes.
    classes = [str(c) for c in classifier.classes_]
    for calibrated in classifier.calibrated_classifiers_:
        estimator = calibrated.estimator
        if estimator.coef_.shape[0] == 1:
            coef = estimator.coef_[0] * (1 if classes[1] == label else -1)
        else:
            coef = estimator.coef_[classes.index(label)]
        weights = coef if weights is None else weights + coef
    return np.asarray(weights / len(classifier.calibrated_classifiers_))


def top_features(model: TaskModel, row: sparse.csr_matrix, label: str, names: list[str],
                 k: int = 5) -> list[tuple[str, float]]:
    """The features that pushed this item towards `label` most (value × coefficient)."""
    weights = label_weights(model, label)
    row = row.tocoo()
    contributions: dict[str, float] = {}
    for j, value in zip(row.col, row.data, strict=True):
        # Embedding dimensions mean nothing one by one: they count together as "meaning".
        name = "embedding (meaning of the whole text)" if names[j].startswith(
            "embedding:") else names[j]
        contributions[name] = contributions.get(name, 0.0) + float(value * weights[j])
    positive = [(name, weight) for name, weight in contributions.items() if weight > 0]
    return sorted(positive, key=lambda c: -c[1])[:k]
