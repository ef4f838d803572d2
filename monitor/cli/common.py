"""What every CLI module shares: the consoles, settings, errors, tables and safe display."""

from __future__ import annotations

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from monitor.config import Settings, get_settings
from monitor.errors import MonitorError
from monitor.ingest.text import strip_for_display
from monitor.services import database

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return get_settings()


def fail(exc: MonitorError) -> typer.Exit:
    # Messages quote user input (names, paths): escape it so it cannot inject Rich markup.
    err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(code=2)


def table(*headers: str, title: str | None = None) -> Table:
    """A table whose columns keep at least their header's width (long cells wrap)."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for header in headers:
        # Names are what a user types next: never squeeze them.
        wide = header in ("name", "source")
        table.add_column(header, min_width=16 if wide else min(len(header), 10), no_wrap=wide)
    return table


def display(text: str, limit: int) -> str:
    """Hostile text for the terminal: no control or bidi characters, no Rich markup, bounded."""
    return escape(strip_for_display(text)[:limit])


def engine() -> Engine:
    try:
        return database.open_engine(settings())
    except MonitorError as exc:
        raise fail(exc) from exc


def safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.effective_database_url).render_as_string(hide_password=True)


