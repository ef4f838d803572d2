"""Evaluating a pair of task models on labelled examples (pure: no store, no files)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.classify import metrics
from monitor.classify.model import TaskModel
from monitor.nlp.codebook import NONE_LABEL


@dataclass
class Evaluation:
    n: int
    affinity: list[metrics.LabelScore]
    affinity_macro_f1: float
    affinity_confusion: list[list[int]]
    affinity_labels: list[str]
    affinity_ece: float
    narratives: list[metrics.LabelScore]
    narrative_ece: dict[str, float]
    hard_negatives: int
    hard_negative_precision: float  # share of hard negatives given no affinity, no narrative

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.n,
            "affinity": {s.label: _score(s) for s in self.affinity},
            "affinity_macro_f1": round(self.affinity_macro_f1, 4),
            "affinity_ece": round(self.affinity_ece, 4),
            "affinity_confusion": {"labels": self.affinity_labels,
                                   "rows_true_columns_predicted": self.affinity_confusion},
            "narratives": {s.label: _score(s) for s in self.narratives},
            "narrative_ece": {k: round(v, 4) for k, v in self.narrative_ece.items()},
            "hard_negatives": self.hard_negatives,
            "hard_negative_precision": round(self.hard_negative_precision, 4),
        }


def _score(s: metrics.LabelScore) -> dict[str, float | int]:
    return {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
            "f1": round(s.f1, 4), "support": s.support}


def evaluate(
    affinity: TaskModel,
    narratives: TaskModel,
    affinity_scores: Sequence[dict[str, float]],
    narrative_scores: Sequence[dict[str, float]],
    true_affinity: Sequence[str],
    true_narratives: Sequence[Sequence[str]],
) -> Evaluation:
    decided = [affinity.decide(s)[0][0] for s in affinity_scores]
    labels = affinity.labels
    affinity_metrics = metrics.label_scores(true_affinity, decided, labels)
    top = [max(s.values()) for s in affinity_scores]
    top_correct = [max(s, key=lambda k: s[k]) == t
                   for s, t in zip(affinity_scores, true_affinity, strict=True)]
    found = [[label for label, _ in narratives.decide(s)] for s in narrative_scores]
    narrative_metrics = metrics.binary_scores(true_narratives, found, narratives.labels)
    ece = {label: metrics.expected_calibration_error(
        [s[label] for s in narrative_scores], [label in t for t in true_narratives])
        for label in narratives.labels}
    hard = [i for i, (a, n) in enumerate(zip(true_affinity, true_narratives, strict=True))
            if a == NONE_LABEL and not n]
    clean = sum(1 for i in hard if decided[i] == NONE_LABEL and not found[i])
    return Evaluation(
        n=len(decided),
        affinity=affinity_metrics,
        affinity_macro_f1=metrics.macro_f1(affinity_metrics),
        affinity_confusion=metrics.confusion(true_affinity, decided, labels),
        affinity_labels=list(labels),
        affinity_ece=metrics.expected_calibration_error(top, top_correct),
        narratives=narrative_metrics,
        narrative_ece=ece,
        hard_negatives=len(hard),
        hard_negative_precision=clean / len(hard) if hard else 1.0,
    )
