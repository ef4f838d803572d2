"""The labelled seed corpus (`corpora/seed/*.jsonl`), validated against the codebook.

Each line: `{"id", "lang", "text", "affinity", "narratives", "kind", "note"?}`. Items are split
into `train` and `test` by a hash of their id (a quarter is test, never trained on); files
named `oped_*.jsonl` are test-only (op-ed and analysis items that must come out `none`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ConfigError
from monitor.nlp.codebook import CORPORA_DIR, NONE_LABEL, Codebook

SEED_DIR = CORPORA_DIR / "seed"
TEST_ONLY_PREFIX = "oped_"
KINDS = frozenset({"aligned", "news", "analysis", "oped", "government", "counter", "community",
                   "victim", "rights", "religious", "chatter", "troll"})
MAX_TEXT_CHARS = 2_000


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    lang: str
    text: str
    affinity: str
    narratives: tuple[str, ...]
    kind: str
    split: str  # train | test
    source: str  # file name

    @property
    def hard_negative(self) -> bool:
        return self.affinity == NONE_LABEL and not self.narratives


def split_of(example_id: str) -> str:
    """A quarter of the items are test, chosen by a hash of the id (stable across runs)."""
    return "test" if hashlib.sha256(example_id.encode()).digest()[0] % 4 == 0 else "train"


def load_seed(codebook: Codebook, directory: Path | None = None) -> list[Example]:
    """Every labelled example; ConfigError names the file, line and field of a bad one."""
    directory = directory or SEED_DIR
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise ConfigError(f"no labelled examples (*.jsonl) in {directory}")
    groups, narratives = set(codebook.group_ids), set(codebook.narrative_ids)
    examples: list[Example] = []
    seen: dict[str, str] = {}
    for path in files:
        test_only = path.name.startswith(TEST_ONLY_PREFIX)
        for line_no, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{line_no}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{where}: not valid JSON ({exc.msg})") from exc
            example = _example(record, where, groups, narratives, test_only, path.name)
            if example.id in seen:
                raise ConfigError(f"{where}: id {example.id!r} already used in {seen[example.id]}")
            seen[example.id] = where
            examples.append(example)
    return examples


def _example(record: object, where: str, groups: set[str], narratives: set[str],
             test_only: bool, source: str) -> Example:
    if not isinstance(record, dict):
        raise ConfigError(f"{where}: expected an object")
    for key in ("id", "lang", "text", "affinity"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise ConfigError(f"{where}: '{key}' must be non-empty text")
    if record["affinity"] not in groups:
        raise ConfigError(f"{where}: affinity {record['affinity']!r} is not a codebook group "
                          f"({', '.join(sorted(groups))})")
    labels = record.get("narratives", [])
    if not isinstance(labels, list) or any(label not in narratives for label in labels):
        raise ConfigError(f"{where}: narratives must be a list of codebook narratives "
                          f"({', '.join(sorted(narratives))})")
    kind = record.get("kind", "chatter")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
    text = record["text"][:MAX_TEXT_CHARS]
    split = "test" if test_only else split_of(record["id"])
    return Example(record["id"], record["lang"], text, record["affinity"],
                   tuple(sorted(set(labels))), kind, split, source)


def corpus_digest(examples: list[Example]) -> str:
    """A hash of everything training reads: same digest, same data."""
    digest = hashlib.sha256()
    for e in sorted(examples, key=lambda e: e.id):
        digest.update(json.dumps([e.id, e.text, e.affinity, list(e.narratives), e.split],
                                 ensure_ascii=False).encode())
    return digest.hexdigest()[:16]
