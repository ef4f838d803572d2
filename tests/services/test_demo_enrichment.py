"""`monitor demo` runs enrichment and classification and scores them against the generator's
ground truth; it trains the classifiers only when no model is active."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify.registry import active_versions
from monitor.config import Settings
from monitor.services.demo import run_demo
from monitor.services.training import TrainResult, train_models

from ..conftest import TEST_SECRET


@pytest.mark.slow
def test_demo_enriches_and_classifies_every_item_and_agrees_with_the_truth(
    tmp_path: Path, mini_models: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", models_dir=mini_models,
                        secret_key=TEST_SECRET, _env_file=None)  # type: ignore[call-arg]
    result = run_demo(settings, n_items=1_500, seed=7)
    assert result.enrich.processed == result.total_items
    overall = result.truth_agreement["all"]
    assert overall.items == result.total_items
    assert overall.focus / overall.items >= 0.9
    assert overall.language / overall.items >= 0.9
    assert result.trained is None  # models were active: no training
    assert result.classify.processed == result.total_items
    assert result.label_truth.items == result.total_items
    assert {s.label for s in result.label_truth.affinity} >= {"isis", "none"}
    again = run_demo(settings, n_items=1_500, seed=7)
    assert again.new_items == 0 and again.enrich.processed == 0
    assert again.classify.processed == 0


@pytest.mark.slow
def test_demo_trains_when_no_model_is_active(tmp_path: Path, mini_corpus: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "models",
                        secret_key=TEST_SECRET, _env_file=None)  # type: ignore[call-arg]
    calls: list[TrainResult] = []

    def train() -> TrainResult:
        calls.append(train_models(settings, corpus_dir=mini_corpus))
        return calls[-1]

    result = run_demo(settings, n_items=1_000, seed=7, train=train)
    assert result.trained is calls[0]
    assert set(active_versions(settings.models_dir)) == {"affinity", "narratives"}
    assert result.classify.processed == result.total_items
    run_demo(settings, n_items=1_000, seed=7, train=train)
    assert len(calls) == 1  # active models are reused, not retrained
