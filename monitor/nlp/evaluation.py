"""Measuring enrichment on the labelled sets in `corpora/eval/` (and the demo's ground truth).

The sets are split in two halves by a hash of each id: `dev` (looked at while writing rules)
and `test` (only ever scored). Reported figures name the half they come from.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.nlp.codebook import CORPORA_DIR
from monitor.nlp.enricher import Enricher, ItemInput
from monitor.nlp.langid import LanguageIdentifier

EVAL_DIR = CORPORA_DIR / "eval"
LANGUAGE_SET = EVAL_DIR / "language_id.jsonl"
REGION_SET = EVAL_DIR / "regions.jsonl"


def split_of(item_id: str) -> str:
    return "dev" if hashlib.sha1(item_id.encode()).digest()[0] % 2 == 0 else "test"


def load_jsonl(path: Path, *, split: str = "all") -> list[dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    if split == "all":
        return records
    return [r for r in records if split_of(r["id"]) == split]


@dataclass
class Score:
    """Precision and recall over (item, code) pairs."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, gold: set[str], predicted: set[str], record: dict[str, Any]) -> None:
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)
        if gold != predicted:
            self.errors.append({"id": record["id"], "text": record["text"],
                                "missing": sorted(gold - predicted),
                                "extra": sorted(predicted - gold)})


@dataclass
class RegionReport:
    country: dict[str, Score]
    province: dict[str, Score]
    mentions: dict[str, int]


def evaluate_regions(enricher: Enricher, records: list[dict[str, Any]]) -> RegionReport:
    """Focus regions at country level (every code rolled up to its country) and at Afghan
    province level (AF-xxx codes only), per language and overall ("all")."""
    country: dict[str, Score] = defaultdict(Score)
    province: dict[str, Score] = defaultdict(Score)
    mentions: dict[str, int] = defaultdict(int)
    results = enricher.enrich_many([ItemInput(r["text"]) for r in records])
    for record, result in zip(records, results, strict=True):
        gold_codes = {m["code"] for m in record["mentions"]}
        got_codes = {m.code for m in result.focus}
        gold_countries = {c.split("-")[0] for c in gold_codes}
        got_countries = {m.region.country or m.code for m in result.focus}
        gold_provinces = {c for c in gold_codes if c.startswith("AF-")}
        got_provinces = {c for c in got_codes if c.startswith("AF-")}
        for lang in (record["lang"], "all"):
            country[lang].add(gold_countries, got_countries, record)
            province[lang].add(gold_provinces, got_provinces, record)
            mentions[lang] += len(record["mentions"])
    return RegionReport(dict(country), dict(province), dict(mentions))


@dataclass
class LanguageScore:
    n: int = 0
    correct: int = 0
    n_short: int = 0
    correct_short: int = 0
    confusions: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def short_accuracy(self) -> float:
        return self.correct_short / self.n_short if self.n_short else 0.0


def evaluate_languages(
    identifier: LanguageIdentifier, records: list[dict[str, Any]]
) -> dict[str, LanguageScore]:
    scores: dict[str, LanguageScore] = defaultdict(LanguageScore)
    guesses = identifier.identify_many([r["text"] for r in records])
    for record, guess in zip(records, guesses, strict=True):
        for lang in (record["lang"], "all"):
            score = scores[lang]
            ok = guess.code == record["lang"]
            score.n += 1
            score.correct += ok
            if record.get("short"):
                score.n_short += 1
                score.correct_short += ok
            if not ok and lang != "all":
                score.confusions[guess.code] += 1
    return dict(scores)


def demo_truth(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
