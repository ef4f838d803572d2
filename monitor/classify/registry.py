"""The model registry: `models/<task>/<version>/` with `model.skops` and `card.json`.

Models are saved with skops (no pickle: loading builds only the object types it is told to
trust). A model loads only if its file's SHA-256 matches the one its card recorded at training
(a modified file fails) and every type in it is a scikit-learn, NumPy or SciPy type we expect
(a foreign file fails). `models/active.json` names the active version of each task.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import skops.io

from monitor.classify.model import TASKS, TaskModel
from monitor.errors import MonitorError

MODEL_FILE = "model.skops"
EXAMPLES_FILE = "examples.npz"
CARD_FILE = "card.json"
ACTIVE_FILE = "active.json"
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.", "builtins.")


class ModelError(MonitorError):
    """A model is missing, modified, foreign or unreadable."""


@dataclass(frozen=True, slots=True)
class Entry:
    task: str
    version: str
    path: Path
    card: dict[str, Any]
    active: bool


def save(model: TaskModel, card: dict[str, Any], models_dir: Path,
         examples: Examples | None = None) -> Entry:
    """Write the model (and the labelled examples it learnt from, for explanations) and its
    card; the card records the files' hashes."""
    version = card["version"]
    directory = models_dir / model.task / version
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    payload = {"vectorizer": model.vectorizer, "classifiers": model.classifiers,
               "gate": model.gate}
    path = directory / MODEL_FILE
    skops.io.dump(payload, path)
    card = {**card, "model_sha256": _sha256(path)}
    if examples is not None:
        examples_path = directory / EXAMPLES_FILE
        with examples_path.open("wb") as handle:
            np.savez_compressed(handle, embeddings=examples.embeddings.astype(np.float16),
                                ids=np.asarray(examples.ids), texts=np.asarray(examples.texts),
                                labels=np.asarray(examples.labels))
        card["examples_sha256"] = _sha256(examples_path)
    (directory / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return Entry(model.task, version, directory, card, active=False)


def load(models_dir: Path, task: str, version: str | None = None) -> tuple[TaskModel, Entry]:
    """The active (or the given) version of a task, verified before anything is built."""
    entry = get(models_dir, task, version)
    path = entry.path / MODEL_FILE
    if not path.is_file():
        raise ModelError(f"{path} is missing")
    if _sha256(path) != entry.card.get("model_sha256"):
        raise ModelError(f"{path} does not match the hash its card recorded at training: the "
                         "file was modified or replaced. Retrain (`monitor train`) or restore "
                         "it.")
    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not our model file"
        raise ModelError(f"{path} is not a readable skops model file: {exc}") from exc
    foreign = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if foreign:
        raise ModelError(f"{path} holds types this program does not load: "
                         f"{', '.join(sorted(foreign)[:5])}")
    payload = skops.io.load(path, trusted=untrusted)
    card = entry.card
    model = TaskModel(
        task=task, labels=list(card["labels"]), cue_labels=list(card["cue_labels"]),
        vectorizer=payload["vectorizer"], classifiers=dict(payload["classifiers"]),
        thresholds={k: float(v) for k, v in card["thresholds"].items()},
        target_precision=float(card["target_precision"]),
        threshold_notes=dict(card.get("threshold_notes", {})), gate=payload.get("gate"))
    return model, entry


@dataclass(frozen=True)
class Examples:
    """Labelled training examples: unit embeddings, ids, short texts and their labels."""

    embeddings: np.ndarray
    ids: list[str]
    texts: list[str]
    labels: list[str]  # "affinity" or "affinity+narrative+…"

    def nearest(self, vectors: np.ndarray, k: int = 3) -> list[list[tuple[str, str, str, float]]]:
        """Per vector: the k most similar examples as (id, labels, text, cosine)."""
        if not len(self.ids):
            return [[] for _ in range(len(vectors))]
        similarity = vectors @ self.embeddings.T.astype(np.float32)
        top = np.argsort(-similarity, axis=1)[:, :k]
        empty = ~np.any(vectors, axis=1)  # an empty text has no meaning to compare
        return [[] if empty[i] else
                [(self.ids[j], self.labels[j], self.texts[j], round(float(similarity[i, j]), 3))
                 for j in row] for i, row in enumerate(top)]


def load_examples(entry: Entry) -> Examples | None:
    """The examples saved with a model, verified against its card (None if it has none)."""
    path = entry.path / EXAMPLES_FILE
    expected = entry.card.get("examples_sha256")
    if expected is None or not path.is_file():
        return None
    if _sha256(path) != expected:
        raise ModelError(f"{path} does not match the hash its card recorded at training")
    with np.load(path, allow_pickle=False) as data:
        return Examples(data["embeddings"].astype(np.float32), [str(x) for x in data["ids"]],
                        [str(x) for x in data["texts"]], [str(x) for x in data["labels"]])


def get(models_dir: Path, task: str, version: str | None = None) -> Entry:
    if task not in TASKS:
        raise ModelError(f"unknown task {task!r}: one of {', '.join(TASKS)}")
    active = active_versions(models_dir)
    version = version or active.get(task)
    if version is None:
        raise ModelError(f"no active {task} model in {models_dir}: run `monitor train`")
    directory = models_dir / task / version
    card_path = directory / CARD_FILE
    if not card_path.is_file():
        raise ModelError(f"no {task} model {version!r} in {models_dir} (see `monitor models "
                         "list`)")
    card = json.loads(card_path.read_text("utf-8"))
    return Entry(task, version, directory, card, active.get(task) == version)


def entries(models_dir: Path) -> list[Entry]:
    active = active_versions(models_dir)
    found = []
    for task in TASKS:
        for card_path in sorted((models_dir / task).glob(f"*/{CARD_FILE}")):
            card = json.loads(card_path.read_text("utf-8"))
            version = card_path.parent.name
            found.append(Entry(task, version, card_path.parent, card, active.get(task) == version))
    return found


def all_active(models_dir: Path) -> bool:
    """Whether every task has an active model (else `monitor train` is due)."""
    return set(active_versions(models_dir)) >= set(TASKS)


def active_versions(models_dir: Path) -> dict[str, str]:
    path = models_dir / ACTIVE_FILE
    if not path.is_file():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return {k: str(v) for k, v in data.items() if k in TASKS}


def activate(models_dir: Path, task: str, version: str) -> Entry:
    entry = get(models_dir, task, version)
    active = active_versions(models_dir)
    active[task] = version
    path = models_dir / ACTIVE_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(active, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)  # atomic: a reader never sees half a file
    return Entry(entry.task, entry.version, entry.path, entry.card, True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
