"""The `monitor` command line, as a user runs it (real SQLite/PostgreSQL, real files)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from monitor.cli import app
from monitor.config import get_settings
from monitor.store import migrate

from .conftest import TEST_SECRET

Run = Callable[..., Result]
EXPORT = (
    '{"id": "1", "text": "Statement on Kunduz", "timestamp": "2021-10-05T10:00:00Z", '
    '"author": "@user_one", "location": "Dushanbe"}\n'
    '{"id": "2", "text": "", "timestamp": "2021-10-05T11:00:00Z"}\n'
    '{"id": "3", "text": "RT @user_one: Statement on Kunduz", '
    '"timestamp": "2021-10-05T12:00:00Z"}\n'
)


@pytest.fixture
def run(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MONITOR_SECRET_KEY", TEST_SECRET)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> Result:
        get_settings.cache_clear()
        result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
        if ok:
            assert result.exit_code == 0, result.output + repr(result.exception)
        return result

    return invoke


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.jsonl"
    path.write_text(EXPORT, encoding="utf-8")
    return path


def test_cli_sources_add_list_show(run: Run) -> None:
    run("sources", "add", "tool", "--format", "csv", "--map", "text=Content", "--map",
        "author=user.screen_name", "--timestamp-format", "%m/%d/%Y %H:%M", "--origin", "tj",
        "--description", "A listening tool")
    listed = run("sources", "list").output
    assert "tool" in listed and "TJ" in listed
    shown = run("sources", "show", "tool").output
    assert "Content" in shown and "user.screen_name" in shown and "%m/%d/%Y %H:%M" in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "colour=x"], "Unknown field 'colour'"),
        (["--map", "nonsense"], "FIELD=COLUMN"),
        (["--origin", "XX"], "Unknown region code"),
        (["--format", "xml"], "Unknown source format"),
        (["--timezone", "Mars/Olympus"], "Unknown timezone"),
    ],
)
def test_cli_sources_add_rejects_bad_definitions(run: Run, args: list[str], message: str) -> None:
    result = run("sources", "add", "bad", *args, ok=False)
    assert result.exit_code == 2 and message in result.output


def test_cli_sources_add_twice_says_so(run: Run) -> None:
    run("sources", "add", "s")
    result = run("sources", "add", "s", ok=False)
    assert result.exit_code == 2 and "already exists" in result.output


def test_cli_ingest_prints_summary_and_quarantine_explains(run: Run, export: Path) -> None:
    run("sources", "add", "s")
    output = run("ingest", "--source", "s", str(export)).output
    assert "missing_text 1" in output and "monitor quarantine list --run 1" in output
    row = next(line for line in output.splitlines() if line.strip().startswith("1 "))
    assert row.split()[2:8] == ["3", "2", "0", "1", "0", "1"]  # read new dup linked trunc quar
    again = run("ingest", "--source", "s", str(export)).output
    row = next(line for line in again.splitlines() if line.strip().startswith("2 "))
    assert row.split()[2:4] == ["3", "0"]

    listed = run("quarantine", "list").output
    assert "missing_text" in listed and "export.jsonl" in listed
    shown = run("quarantine", "show", "1").output
    assert "The record has no text" in shown and "line" in shown
    runs = run("runs").output
    assert "completed" in runs and runs.count(" s ") >= 2


def test_cli_quarantine_show_neutralises_hostile_excerpt(run: Run, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.jsonl"
    # Malformed JSON, so the excerpt is the raw line: markup, a bidi override, an escape code.
    hostile.write_text('{"id": "x", "text": "[bold red]ALERT[/] \u202egnp.exe\x1b[2J\n',
                       encoding="utf-8")
    run("sources", "add", "s")
    run("ingest", "--source", "s", str(hostile))
    shown = run("quarantine", "show", "1").output
    assert "[bold red]ALERT[/]" in shown  # shown literally, not interpreted as markup
    assert "\u202e" not in shown and "\x1b[2J" not in shown


def test_cli_ingest_unknown_source_and_missing_file(run: Run, export: Path) -> None:
    result = run("ingest", "--source", "nope", str(export), ok=False)
    assert result.exit_code == 2 and "monitor sources add nope" in result.output
    run("sources", "add", "s")
    result = run("ingest", "--source", "s", "missing.jsonl", ok=False)
    assert result.exit_code == 2 and "No such file" in result.output


def test_cli_refuses_missing_or_weak_secret(run: Run, export: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    run("sources", "add", "s")
    monkeypatch.delenv("MONITOR_SECRET_KEY")
    result = run("ingest", "--source", "s", str(export), ok=False)
    assert result.exit_code == 2 and "monitor secret init" in result.output
    monkeypatch.setenv("MONITOR_SECRET_KEY", "changeme")
    result = run("ingest", "--source", "s", str(export), ok=False)
    assert result.exit_code == 2 and "well-known" in result.output
    monkeypatch.delenv("MONITOR_SECRET_KEY")
    run("secret", "init")
    key_file = Path(os.environ["MONITOR_DATA_DIR"]) / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    run("ingest", "--source", "s", str(export))


def test_cli_db_commands_and_schema_check(blank_db_url: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_DATABASE_URL", blank_db_url)
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        get_settings.cache_clear()
        return runner.invoke(app, list(args), env={"COLUMNS": "200"})

    result = invoke("sources", "list")
    assert result.exit_code == 2 and "run `monitor db upgrade`" in result.output
    assert "revision none" in invoke("db", "current").output
    head = migrate.head_revision()
    assert f"revision {head}" in invoke("db", "upgrade").output
    assert "up to date" in invoke("db", "current").output
    assert "base (empty)" in invoke("db", "downgrade", "base").output


def test_cli_config_masks_the_secret(run: Run) -> None:
    output = run("config").output
    assert "MONITOR_DATABASE_URL" in output and TEST_SECRET not in output


@pytest.mark.slow
def test_cli_demo_is_idempotent(run: Run, tmp_path: Path, mini_models: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_MODELS_DIR", str(mini_models))
    first = run("demo", "--items", "2000").output
    assert "2,000 items in the store (2,000 new this run)" in first
    assert "ground truth:" in first and "database:" in first
    assert "Classified 2,000 items" in first
    assert "Labels vs the generator's ground truth (2,000 items)" in first
    assert "Training the classifiers" not in first  # models were active
    second = run("demo", "--items", "2000").output
    assert "2,000 items in the store (0 new this run)" in second
    assert "Classified 0 items" in second
    assert "quarantine" in second


def test_cli_sources_add_refuses_names_with_markup(run: Run) -> None:
    result = run("sources", "add", "x[/]", ok=False)
    assert result.exit_code == 2 and "Invalid source name" in result.output
    assert "x[/]" not in run("sources", "list").output
