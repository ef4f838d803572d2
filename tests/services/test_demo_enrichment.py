"""`monitor demo` runs enrichment and scores it against the generator's ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import Settings
from monitor.services.demo import run_demo

from ..conftest import TEST_SECRET


@pytest.mark.slow
def test_demo_enriches_every_item_and_agrees_with_the_truth(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET,
                        _env_file=None)  # type: ignore[call-arg]
    result = run_demo(settings, n_items=1_500, seed=7)
    assert result.enrich.processed == result.total_items
    overall = result.truth_agreement["all"]
    assert overall.items == result.total_items
    assert overall.focus / overall.items >= 0.9
    assert overall.language / overall.items >= 0.9
    again = run_demo(settings, n_items=1_500, seed=7)
    assert again.new_items == 0 and again.enrich.processed == 0
