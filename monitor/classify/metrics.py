"""Scores for the classifiers: per-label precision/recall/F1, confusion, calibration error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


def label_scores(truth: Sequence[str], predicted: Sequence[str],
                 labels: Sequence[str]) -> list[LabelScore]:
    scores = []
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if p == label != t)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label != p)
        scores.append(_score(label, tp, fp, fn))
    return scores


def binary_scores(truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                  labels: Sequence[str]) -> list[LabelScore]:
    scores = []
    for label in labels:
        pairs = [(label in t, label in p) for t, p in zip(truth, predicted, strict=True)]
        tp = sum(1 for t, p in pairs if t and p)
        fp = sum(1 for t, p in pairs if p and not t)
        fn = sum(1 for t, p in pairs if t and not p)
        scores.append(_score(label, tp, fp, fn))
    return scores


def _score(label: str, tp: int, fp: int, fn: int) -> LabelScore:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LabelScore(label, precision, recall, f1, tp + fn)


def macro_f1(scores: Sequence[LabelScore]) -> float:
    present = [s for s in scores if s.support]
    return sum(s.f1 for s in present) / len(present) if present else 0.0


def confusion(truth: Sequence[str], predicted: Sequence[str],
              labels: Sequence[str]) -> list[list[int]]:
    """Rows: true label; columns: predicted label."""
    index = {label: i for i, label in enumerate(labels)}
    table = [[0] * len(labels) for _ in labels]
    for t, p in zip(truth, predicted, strict=True):
        table[index[t]][index[p]] += 1
    return table


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool],
                               bins: int = 10) -> float:
    """|accuracy − confidence| averaged over equal-width confidence bins, weighted by size."""
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=float)
    if conf.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(hit[members].mean() - conf[members].mean())
    return float(error)
