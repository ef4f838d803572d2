"""The README is the user's manual: every command and setting must appear in it."""

from pathlib import Path

import typer
from typer.main import get_command

from monitor.cli import app
from monitor.config import Settings
from monitor.ingest.reasons import Reason

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: typer.Typer) -> list[str]:
    command = get_command(group)
    names: list[str] = []
    for name, sub in command.commands.items():  # type: ignore[attr-defined]
        if hasattr(sub, "commands"):
            names += [f"{name} {child}" for child in sub.commands]
        else:
            names.append(name)
    return names


def test_docs_every_command_is_in_the_readme() -> None:
    missing = [c for c in _commands(app) if f"monitor {c}" not in README]
    assert missing == []


def test_docs_every_setting_is_in_the_readme() -> None:
    missing = [f"MONITOR_{name.upper()}" for name in Settings.model_fields
               if f"MONITOR_{name.upper()}" not in README]
    assert missing == []


def test_docs_every_quarantine_reason_is_in_the_readme() -> None:
    assert [r.value for r in Reason if f"`{r.value}`" not in README] == []
