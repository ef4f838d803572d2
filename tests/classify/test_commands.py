"""`monitor models …`, `monitor evaluate` and `monitor predict` with trained models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import Settings, get_settings
from monitor.services.classification import TrainResult

pytestmark = pytest.mark.slow


def _run(settings: Settings, *args: str, stdin: bytes | None = None) -> str:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args), input=stdin, env={
        "MONITOR_MODELS_DIR": str(settings.models_dir), "COLUMNS": "250",
        "MONITOR_DATA_DIR": str(settings.data_dir)})
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_models_list_show_and_activate(trained: tuple[Settings, TrainResult]) -> None:
    settings, result = trained
    listed = _run(settings, "models", "list")
    assert all(entry.version in listed for entry in result.models) and "yes" in listed
    shown = _run(settings, "models", "show", "narratives")
    assert "thresholds" in shown and "model_sha256" in shown and "anti_shia_sectarian" in shown
    version = result.models[1].version
    assert f"{version} is active" in _run(settings, "models", "activate", "narratives", version)


def test_predict_adds_labels_scores_versions_and_why(
    trained: tuple[Settings, TrainResult]
) -> None:
    settings, result = trained
    out = _run(settings, "predict", "-",
               stdin=b"soldiers of the khilafah Daesh the rafidah are majus\n"
                     b"analysts note a report found residents condemned\n")
    first, second = (json.loads(line) for line in out.splitlines() if line.startswith("{"))
    assert first["affinity"]["label"] == "isis"
    assert [n["label"] for n in first["narratives"]] == ["anti_shia_sectarian"]
    assert first["model_versions"] == {e.task: e.version for e in result.models}
    assert first["why"]["isis"] and set(first["scores"]) == {"affinity", "narratives"}
    assert 0.99 < sum(first["scores"]["affinity"].values()) < 1.01
    assert second["affinity"]["label"] == "none" and second["narratives"] == []
    nearest = first["nearest_examples"]
    assert len(nearest) == 3 and "isis" in nearest[0]["labels"] and nearest[0]["similarity"] > 0.5


def test_evaluate_prints_and_writes_the_test_split_report(
    trained: tuple[Settings, TrainResult], tmp_path: Path
) -> None:
    settings, _ = trained
    out = _run(settings, "evaluate", "--report", str(tmp_path / "report.md"), "--no-demo")
    assert "macro-F1" in out and "hard negatives" in out
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Classifier evaluation") and "| isis |" in report
    assert "Confusion" in report
