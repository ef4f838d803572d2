"""Applying the active models to enriched items: labels, calibrated scores and the "why"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from monitor.classify import features
from monitor.classify.features import Embedder, Inputs
from monitor.classify.model import TaskModel, top_features
from monitor.classify.registry import Examples
from monitor.nlp.codebook import NONE_LABEL
from monitor.nlp.enricher import Enrichment

_NOTHING_TO_JUDGE = frozenset({"empty", "links_only", "no_letters"})


@dataclass(frozen=True, slots=True)
class Classification:
    affinity: tuple[str, float]
    narratives: tuple[tuple[str, float], ...]
    scores: dict[str, dict[str, float]]
    why: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    nearest: list[tuple[str, str, str, float]] = field(default_factory=list)

    def as_json(self, versions: dict[str, str]) -> dict[str, Any]:
        return {
            "affinity": {"label": self.affinity[0], "score": self.affinity[1]},
            "narratives": [{"label": label, "score": score} for label, score in self.narratives],
            "scores": self.scores,
            "model_versions": dict(versions),
            "why": {label: [{"feature": name, "weight": round(weight, 4)}
                            for name, weight in found] for label, found in self.why.items()},
            "nearest_examples": [{"id": i, "labels": labels.split("+"), "text": text,
                                  "similarity": similarity}
                                 for i, labels, text, similarity in self.nearest],
        }


@dataclass
class Classifier:
    affinity_model: TaskModel
    narrative_model: TaskModel
    embedder: Embedder
    versions: dict[str, str]
    examples: Examples | None = None

    def classify(self, texts: Sequence[str], enrichments: Sequence[Enrichment],
                 embeddings: np.ndarray | None = None) -> list[Classification]:
        """One result per text; `embeddings` may be given (stored ones are reused)."""
        if embeddings is None:
            embeddings = self.embedder.encode(list(texts))
        inputs = Inputs([e.normalised for e in enrichments], [e.cues for e in enrichments],
                        embeddings)
        x_affinity = self.affinity_model.features(inputs)
        x_narratives = (x_affinity if self._same_features()
                        else self.narrative_model.features(inputs))
        affinity_scores = self.affinity_model.scores(inputs, x_affinity)
        narrative_scores = self.narrative_model.scores(inputs, x_narratives)
        names_a, names_n = self._names(embeddings.shape[1])
        nearest = (self.examples.nearest(embeddings) if self.examples is not None
                   else [[] for _ in texts])
        results = []
        for i, (a_scores, n_scores) in enumerate(zip(affinity_scores, narrative_scores,
                                                     strict=True)):
            affinity: tuple[str, float]
            narratives: tuple[tuple[str, float], ...]
            if set(enrichments[i].flags) & _NOTHING_TO_JUDGE:
                # No words to judge (empty, only links, only emoji): none, no narrative.
                affinity, narratives = (NONE_LABEL, a_scores.get(NONE_LABEL, 0.0)), ()
            else:
                affinity = self.affinity_model.decide(a_scores)[0]
                narratives = tuple(self.narrative_model.decide(n_scores))
            why: dict[str, list[tuple[str, float]]] = {}
            if affinity[0] != NONE_LABEL:
                why[affinity[0]] = top_features(self.affinity_model, x_affinity[i],
                                                affinity[0], names_a)
            for label, _ in narratives:
                why[label] = top_features(self.narrative_model, x_narratives[i], label, names_n)
            results.append(Classification(affinity, narratives,
                                          {"affinity": a_scores, "narratives": n_scores}, why,
                                          nearest[i]))
        return results

    def _same_features(self) -> bool:
        """Both models trained together read the same features: build them once."""
        same = self.__dict__.get("_same_cache")
        if same is None:
            a, n = self.affinity_model, self.narrative_model
            same = (a.cue_labels == n.cue_labels
                    and a.vectorizer.get_params() == n.vectorizer.get_params()
                    and a.vectorizer.vocabulary_ == n.vectorizer.vocabulary_
                    and np.array_equal(a.vectorizer.idf_, n.vectorizer.idf_))
            self.__dict__["_same_cache"] = same
        return bool(same)

    def _names(self, dim: int) -> tuple[list[str], list[str]]:
        cached = self.__dict__.get("_names_cache")
        if cached is None:  # the models of a Classifier never change
            cached = (
                features.feature_names(self.affinity_model.vectorizer,
                                       self.affinity_model.cue_labels, dim),
                features.feature_names(self.narrative_model.vectorizer,
                                       self.narrative_model.cue_labels, dim))
            self.__dict__["_names_cache"] = cached
        return cached
