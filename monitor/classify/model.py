"""Training and applying the two classifiers: affinity (one label) and narratives (multi-label).

Both are logistic regressions on [character n-grams | cues | embedding], calibrated so that a
score of 0.8 means about 80%: affinity by temperature scaling of its multinomial model,
narratives by isotonic regression (5-fold cross-fitted). Each label gets a threshold chosen on
out-of-fold predictions of the training data: the lowest score at which that label reaches the
target precision. Affinity takes the most likely group only when it clears its group's
threshold, else `none`; narratives are independent yes/no decisions.
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
from sklearn.model_selection import StratifiedKFold, cross_val_predict

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
    """A trained task: its vectoriser, its calibrated classifier(s) and its thresholds."""

    task: str
    labels: list[str]  # affinity: every group incl. none; narratives: every narrative
    cue_labels: list[str]
    vectorizer: TfidfVectorizer
    classifiers: dict[str, CalibratedClassifierCV]
    thresholds: dict[str, float]
    target_precision: float
    threshold_notes: dict[str, str] = field(default_factory=dict)

    def features(self, inputs: Inputs) -> sparse.csr_matrix:
        return features.matrix(self.vectorizer, inputs, self.cue_labels)

    def scores(self, inputs: Inputs) -> list[dict[str, float]]:
        """Calibrated probability per label, per item."""
        x = self.features(inputs)
        if self.task == "affinity":
            classifier = self.classifiers["affinity"]
            probabilities = classifier.predict_proba(x)
            return [{str(c): round(float(p), 4) for c, p in zip(classifier.classes_, row,
                                                                 strict=True)}
                    for row in probabilities]
        columns = {label: clf.predict_proba(x)[:, list(clf.classes_).index(True)]
                   for label, clf in self.classifiers.items()}
        return [{label: round(float(columns[label][i]), 4) for label in self.labels}
                for i in range(x.shape[0])]

    def decide(self, scores: dict[str, float]) -> list[tuple[str, float]]:
        """Affinity: [(label, score)] — a group above its threshold, else none.
        Narratives: every narrative above its threshold (possibly none)."""
        if self.task == "affinity":
            return [decide_affinity(scores, self.thresholds)]
        return [(label, score) for label, score in scores.items()
                if score >= self.thresholds.get(label, 1.0)]


def decide_affinity(scores: dict[str, float], thresholds: dict[str, float]) -> tuple[str, float]:
    groups = [(score, label) for label, score in scores.items() if label != NONE_LABEL]
    if groups:
        score, label = max(groups)
        if score >= thresholds.get(label, 1.0):
            return label, score
    return NONE_LABEL, scores.get(NONE_LABEL, 0.0)


# Chosen by out-of-fold validation on the train split only (never the test split).
# Affinity: one-vs-rest calibration (Platt or isotonic) left the top label underconfident
# (mean confidence 0.66 for 0.80 accuracy; calibration error 0.14); temperature scaling of the
# multinomial model brings the error to 0.016 (C=50, macro-F1 0.726).
# Narratives: isotonic regression, C=20 (calibration error about 0.02).
SETTINGS = {"affinity": (50.0, "temperature"), "narratives": (20.0, "isotonic")}


def _calibrated(seed: int, task: str = "narratives") -> CalibratedClassifierCV:
    c, method = SETTINGS[task]
    base = LogisticRegression(C=c, max_iter=5_000)
    return CalibratedClassifierCV(base, method=method,
                                  cv=StratifiedKFold(5, shuffle=True, random_state=seed))


def train(
    task: str,
    inputs: Inputs,
    affinities: Sequence[str],
    narratives: Sequence[Sequence[str]],
    *,
    labels: Sequence[str],
    cue_labels: Sequence[str],
    target_precision: float = DEFAULT_TARGET_PRECISION,
    seed: int = 0,
) -> TaskModel:
    """Fit one task on training items; thresholds come from out-of-fold predictions."""
    _enough(task, affinities, narratives, labels)
    vectorizer = features.new_vectorizer().fit(inputs.normalised)
    x = features.matrix(vectorizer, inputs, cue_labels)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    thresholds: dict[str, float] = {}
    notes: dict[str, str] = {}
    classifiers: dict[str, CalibratedClassifierCV] = {}
    if task == "affinity":
        y = np.asarray(affinities)
        out_of_fold = cross_val_predict(_calibrated(seed, task), x, y, cv=folds,
                                        method="predict_proba")
        classifier = _calibrated(seed, task).fit(x, y)
        classes = [str(c) for c in classifier.classes_]
        classifiers["affinity"] = classifier
        for label in classes:
            if label == NONE_LABEL:
                continue
            thresholds[label], notes[label] = _affinity_threshold(
                out_of_fold, y, classes, label, target_precision)
        model_labels = classes
    else:
        for label in labels:
            y = np.asarray([label in item for item in narratives])
            out_of_fold = cross_val_predict(_calibrated(seed), x, y, cv=folds,
                                            method="predict_proba")[:, 1]
            classifiers[label] = _calibrated(seed).fit(x, y)
            thresholds[label], notes[label] = _binary_threshold(out_of_fold, y,
                                                                target_precision)
        model_labels = list(labels)
    return TaskModel(task, model_labels, list(cue_labels), vectorizer, classifiers, thresholds,
                     target_precision, notes)


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
    """The logistic-regression coefficients towards `label`, averaged over the calibration
    folds (cached on the model: computing them is the costly part of an explanation)."""
    cache: dict[str, np.ndarray] = model.__dict__.setdefault("_weights", {})
    if label in cache:
        return cache[label]
    classifier = model.classifiers["affinity" if model.task == "affinity" else label]
    weights: Any = None
    # The fold estimators may see encoded classes: index by the calibrated model's classes.
    classes = [str(c) for c in classifier.classes_]
    for calibrated in classifier.calibrated_classifiers_:
        estimator = calibrated.estimator
        if estimator.coef_.shape[0] == 1:
            coef = estimator.coef_[0] * (1 if classes[1] in (label, "True") else -1)
        else:
            coef = estimator.coef_[classes.index(label)]
        weights = coef if weights is None else weights + coef
    cache[label] = weights / len(classifier.calibrated_classifiers_)
    return cache[label]


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
