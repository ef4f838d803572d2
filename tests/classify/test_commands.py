"""`monitor models …`, `monitor evaluate` and `monitor predict` with trained models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import Settings, get_settings
from monitor.services.training import TrainResult

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


def test_bad_input_gets_a_defined_result(trained: tuple[Settings, TrainResult]) -> None:
    settings, _ = trained
    long_text = "soldiers of the khilafah " + "ordinary words about the weather " * 3_000
    lines = [b"", "🔥🔥 https://x.example".encode(), "ᐊᐃᓐᓇᖅᑐᖅ ᐅᖃᐅᓯᖅ".encode(),
             b"a plain line about the market with no cue at all", long_text.encode()]
    out = _run(settings, "predict", "-", stdin=b"\n".join(lines) + b"\n")
    results = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(results) == 5
    empty, links, unknown, plain, long_one = results
    for result in (empty, links):
        assert result["affinity"]["label"] == "none" and result["narratives"] == []
        assert result["nearest_examples"] == [] or result is links
    for result in (unknown, plain, long_one):  # still scored, with calibrated scores
        assert 0.99 < sum(result["scores"]["affinity"].values()) < 1.01
    assert plain["cues"] == [] and plain["affinity"]["label"] in plain["scores"]["affinity"]
    assert long_one["affinity"]["label"] == "isis"  # the opening decides the embedding


def test_classify_and_items_show_from_the_command_line(
    trained: tuple[Settings, TrainResult], db_url: str, tmp_path: Path
) -> None:
    settings, _ = trained
    export = tmp_path / "feed.jsonl"
    export.write_text(json.dumps({"id": "1", "text": "soldiers of the khilafah Daesh the "
                                  "rafidah are majus", "timestamp": "2021-10-05"}) + "\n",
                      encoding="utf-8")
    env = {"MONITOR_MODELS_DIR": str(settings.models_dir), "COLUMNS": "250",
           "MONITOR_DATA_DIR": str(tmp_path / "data"), "MONITOR_DATABASE_URL": db_url}

    def run(*args: str) -> str:
        get_settings.cache_clear()
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result.output

    run("sources", "add", "feed")
    run("ingest", "--source", "feed", str(export))
    run("enrich")
    out = run("classify")
    assert "Classified 1 items" in out and "isis 1" in out
    shown = run("items", "show", "1")
    assert "Classification" in shown and "isis" in shown and "Nearest labelled examples" in shown
    assert "Classified 0 items" in run("classify")
