"""The `monitor` command line. Thin: parse, call one service, render."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import Engine

from monitor.cli import classify as classify_cli
from monitor.cli import enrich as enrich_cli
from monitor.cli import trends as trends_cli
from monitor.cli.common import console, err_console
from monitor.cli.common import display as _display
from monitor.cli.common import engine as _engine
from monitor.cli.common import fail as _fail
from monitor.cli.common import safe_url as _safe_url
from monitor.cli.common import settings as _settings
from monitor.cli.common import table as _table
from monitor.config import Settings, generate_secret_key_file
from monitor.domain import CANONICAL_FIELDS, SourceSpec
from monitor.errors import MonitorError
from monitor.ingest.reasons import explain
from monitor.services import database, ingestion, sources
from monitor.services.ingestion import IngestSummary

app = typer.Typer(help="chatter-monitor: extremist-chatter trends by region.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
sources_app = typer.Typer(help="Sources items come from.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Records that failed validation, and why.",
                             no_args_is_help=True)
secret_app = typer.Typer(help="The key that pseudonymises author handles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sources_app, name="sources")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(secret_app, name="secret")
app.add_typer(enrich_cli.items_app, name="items")
app.command("enrich")(enrich_cli.enrich_command)
app.command("predict")(enrich_cli.predict_command)
app.add_typer(classify_cli.models_app, name="models")
app.command("train")(classify_cli.train_command)
app.command("evaluate")(classify_cli.evaluate_command)
app.command("classify")(classify_cli.classify_command)
app.command("detect")(trends_cli.detect_command)
classify_cli.models_app.command("list")(classify_cli.models_list)
classify_cli.models_app.command("show")(classify_cli.models_show)
classify_cli.models_app.command("activate")(classify_cli.models_activate)
enrich_cli.items_app.command("list")(enrich_cli.items_list)
enrich_cli.items_app.command("export")(enrich_cli.items_export)
enrich_cli.items_app.command("show")(enrich_cli.items_show)


# --- db -------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    settings = _settings()
    database.upgrade(settings, revision)
    current, head = database.current(settings)
    console.print(f"Database at revision [bold]{current}[/] (latest: {head}).")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")],
) -> None:
    """Revert migrations down to REVISION."""
    settings = _settings()
    database.downgrade(settings, revision)
    current, _ = database.current(settings)
    console.print(f"Database at revision [bold]{current or 'base (empty)'}[/].")


@db_app.command("current")
def db_current() -> None:
    """Show the database URL and its schema revision."""
    settings = _settings()
    current, head = database.current(settings)
    state = "up to date" if current == head else "run `monitor db upgrade`"
    console.print(f"{_safe_url(settings)}: revision {current or 'none'} (latest {head}; {state})")


# --- sources --------------------------------------------------------------------------------


def _parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name or not column:
            raise typer.BadParameter(f"{pair!r}: write FIELD=COLUMN, e.g. text=content")
        mapping[name.strip()] = column.strip()
    return mapping


@sources_app.command("add")
def sources_add(
    name: Annotated[str, typer.Argument(help="A short unique name.")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto (by file name), jsonl or csv.")
    ] = "auto",
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help=f"FIELD=COLUMN, FIELD one of {', '.join(CANONICAL_FIELDS)}; "
                     "a dotted COLUMN (user.screen_name) reaches into nested JSON. Repeatable."),
    ] = None,
    timestamp_format: Annotated[
        str, typer.Option(help="auto, iso, epoch_s, epoch_ms or a strptime pattern like "
                          "'%m/%d/%Y %H:%M'.")
    ] = "auto",
    dayfirst: Annotated[bool, typer.Option(help="Read 3/4/21 as 3 April (auto format).")] = False,
    timezone: Annotated[str, typer.Option(help="Zone of timestamps without an offset.")] = "UTC",
    origin: Annotated[str | None, typer.Option(help="Region the source's chatter comes from "
                                               "(ISO 3166 code, e.g. TJ).")] = None,
    language: Annotated[str | None, typer.Option(help="Default language of its items.")] = None,
    description: Annotated[str, typer.Option(help="Free text.")] = "",
) -> None:
    """Add a source: where items come from and how its files are read."""
    spec = SourceSpec(name=name, format=fmt, description=description,
                      origin=origin.upper() if origin else None, language=language,
                      field_mapping=_parse_mapping(mapping or []),
                      timestamp_format=timestamp_format, dayfirst=dayfirst, timezone=timezone)
    engine = _engine()
    try:
        sources.add_source(engine, spec=spec)
    except MonitorError as exc:
        raise _fail(exc) from exc
    console.print(f"Added source [bold]{name}[/].")


@sources_app.command("list")
def sources_list() -> None:
    """List sources with their item counts (`sources show NAME` for the rest)."""
    table = _table("name", "format", "origin", "items", "latest item (UTC)")
    for spec, n, latest in sources.list_sources(_engine()):
        table.add_row(escape(spec.name), spec.format, spec.origin or "", f"{n:,}",
                      latest.strftime("%Y-%m-%d %H:%M") if latest else "")
    console.print(table)


@sources_app.command("show")
def sources_show(name: str) -> None:
    """Show a source's settings and field mapping."""
    try:
        spec = sources.get_spec(_engine(), name=name)
    except MonitorError as exc:
        raise _fail(exc) from exc
    table = Table("setting", "value", show_header=False)
    for key in ("name", "format", "description", "origin", "language", "timestamp_format",
                "dayfirst", "timezone"):
        table.add_row(key, _display(str(getattr(spec, key) or ""), 2_000))
    for field_name in CANONICAL_FIELDS:
        table.add_row(f"map {field_name}",
                      _display(spec.field_mapping.get(field_name, "(auto)"), 200))
    console.print(table)


# --- ingest, runs, quarantine ---------------------------------------------------------------


@app.command("ingest")
def ingest(
    files: Annotated[list[Path], typer.Argument(help="JSONL or CSV files, gzip allowed.")],
    source: Annotated[str, typer.Option("--source", "-s", help="Source name.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Ingest files into a source; bad records go to quarantine, never away."""
    settings = _settings()
    engine = _engine()
    try:
        summary = _run_ingest(engine, settings=settings, source=source, files=files, quiet=quiet)
    except MonitorError as exc:
        raise _fail(exc) from exc
    print_summary(summary)


def _run_ingest(engine: Engine, *, settings: Settings, source: str, files: Sequence[Path],
                quiet: bool) -> IngestSummary:
    total = sum(path.stat().st_size for path in files if path.is_file())
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                  TextColumn("{task.fields[items]} items"), TimeRemainingColumn(),
                  console=err_console, disable=quiet or not err_console.is_terminal,
                  transient=True) as progress:
        task = progress.add_task(f"ingest {source}", total=total, items=0)
        done_before: dict[Path, int] = {}

        def on_progress(path: Path, done: int, _size: int, summary: IngestSummary) -> None:
            done_before[path] = done
            progress.update(task, completed=sum(done_before.values()), items=summary.read)

        return ingestion.ingest_files(engine, source_name=source, paths=files,
                                      settings=settings, on_progress=on_progress)


def print_summary(summary: IngestSummary) -> None:
    print_summaries([summary], title=f"Ingest run {summary.run_id} — source {summary.source}")


def print_summaries(summaries: list[IngestSummary], *, title: str) -> None:
    """One row per run: read, inserted, duplicates, near-duplicates, truncated, quarantined."""
    table = _table("run", "source", "read", "new", "dup", "linked", "trunc", "quar",
                   title=title)
    totals = IngestSummary(source="total")
    for s in summaries:
        table.add_row(str(s.run_id), s.source, f"{s.read:,}", f"{s.inserted:,}",
                      f"{s.duplicates:,}", f"{s.near_duplicates:,}", f"{s.truncated:,}",
                      f"{s.quarantined:,}")
        totals.read += s.read
        totals.inserted += s.inserted
        totals.duplicates += s.duplicates
        totals.near_duplicates += s.near_duplicates
        totals.truncated += s.truncated
        totals.quarantined += s.quarantined
        totals.quarantined_by_reason.update(s.quarantined_by_reason)
    if len(summaries) > 1:
        table.add_section()
        table.add_row("", "total", f"{totals.read:,}", f"{totals.inserted:,}",
                      f"{totals.duplicates:,}", f"{totals.near_duplicates:,}",
                      f"{totals.truncated:,}", f"{totals.quarantined:,}", style="bold")
    console.print(table)
    console.print("new: inserted; dup: already stored, skipped; linked: new near-duplicates "
                  "(forwards, copies) linked to their original; trunc: text over the size "
                  "limit, truncated; quar: quarantined.", style="dim")
    if totals.quarantined:
        reasons = ", ".join(f"{reason} {n}" for reason, n in
                            sorted(totals.quarantined_by_reason.items()))
        runs = " ".join(f"--run {s.run_id}" for s in summaries if s.quarantined)
        console.print(f"Quarantined by reason: {reasons}. See why: [bold]monitor quarantine "
                      f"list[/]" + (f" {runs}" if len(summaries) == 1 else ""))


@app.command("runs")
def runs(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
    """List ingest runs with their counters."""
    table = _table("run", "source", "status", "started", "read", "new", "dup", "linked",
                   "quar", title="Ingest runs (times UTC)")
    for run, source_name in ingestion.list_runs(_engine(), limit=limit):
        table.add_row(str(run.id), source_name, run.status,
                      run.started_at.strftime("%m-%d %H:%M"), f"{run.n_read:,}",
                      f"{run.n_inserted:,}", f"{run.n_duplicates:,}",
                      f"{run.n_near_duplicates:,}", f"{run.n_quarantined:,}")
    console.print(table)


@quarantine_app.command("list")
def quarantine_list(
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason.")] = None,
    run: Annotated[int | None, typer.Option(help="Only this ingest run.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
) -> None:
    """List quarantined records with their reasons (and a count per reason)."""
    engine = _engine()
    table = _table("id", "source", "file", "line", "reason", "detail")
    for record, source_name in ingestion.list_quarantine(engine, source=source, reason=reason,
                                                         run_id=run, limit=limit):
        table.add_row(str(record.id), escape(source_name),
                      _display(Path(record.file_name).name, 80),
                      str(record.line_no), record.reason, _display(record.detail, 60))
    console.print(table)
    counts = _table("source", "reason", "records", title="All quarantined records")
    for source_name, reason_name, n in ingestion.quarantine_counts(engine):
        counts.add_row(source_name, reason_name, f"{n:,}")
    console.print(counts)
    console.print("Details: [bold]monitor quarantine show ID[/]")


@quarantine_app.command("show")
def quarantine_show(record_id: int) -> None:
    """Show one quarantined record: reason, explanation, location and an excerpt."""
    found = ingestion.get_quarantined(_engine(), record_id=record_id)
    if found is None:
        err_console.print(f"No quarantined record {record_id}: see `monitor quarantine list`.")
        raise typer.Exit(code=2)
    record, source_name = found
    table = Table(show_header=False)
    table.add_row("source", escape(source_name))
    table.add_row("file", _display(record.file_name, 500))
    table.add_row("line", str(record.line_no))
    table.add_row("reason", record.reason)
    table.add_row("meaning", explain(record.reason))
    table.add_row("detail", _display(record.detail, 500))
    table.add_row("excerpt", _display(record.excerpt, 500))
    table.add_row("quarantined at", record.created_at.isoformat())
    console.print(table)


# --- demo, secret, config -------------------------------------------------------------------


@app.command("demo")
def demo_command(
    items: Annotated[int, typer.Option(help="Items in the demo stream.")] = 24_000,
    seed: Annotated[int, typer.Option(help="Seed of the generator.")] = 2021,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Generate the bundled demo stream and run the pipeline on it (idempotent)."""
    from monitor.services import demo  # the generator's templates load only when needed

    settings = _settings()
    try:
        result = demo.run_demo(settings, n_items=items, seed=seed,
                               ingest=lambda engine, name, paths: _run_ingest(
                                   engine, settings=settings, source=name, files=paths,
                                   quiet=quiet),
                               enrich=lambda: enrich_cli.run_enrich(mode="new", quiet=quiet,
                                                                    show=False),
                               train=classify_cli.run_train,
                               classify=lambda: classify_cli.run_classify(quiet=quiet))
    except MonitorError as exc:
        raise _fail(exc) from exc
    print_summaries(list(result.summaries), title="Demo ingest")
    enrich_cli.print_enrich_summary(result.enrich)
    agreement = _table("language", "items", "focus = truth", "language = truth",
                       title="Enrichment vs the generator's ground truth")
    for language, row in sorted(result.truth_agreement.items(),
                                key=lambda kv: (kv[0] == "all", kv[0])):
        agreement.add_row(language, f"{row.items:,}", f"{row.focus / row.items:.1%}",
                          f"{row.language / row.items:.1%}")
    console.print(agreement)
    if result.trained is not None:
        classify_cli.print_train_result(result.trained)
    classify_cli.print_classify_summary(result.classify)
    classify_cli.print_truth_scores(result.label_truth)
    console.print(f"\n[bold]Demo done.[/] {result.total_items:,} items in the store "
                  f"({result.new_items:,} new this run).")
    console.print(f"  database:     {_safe_url(settings)}")
    console.print(f"  demo stream:  {result.stream_dir.resolve()}")
    console.print(f"  ground truth: {result.truth_path.resolve()} (never ingested)")
    console.print("Next: [bold]monitor sources list[/], [bold]monitor runs[/], "
                  "[bold]monitor quarantine list[/], [bold]monitor items list --predicted isis[/], "
                  "[bold]monitor items show ID[/], [bold]monitor evaluate[/], "
                  "[bold]monitor predict -[/]")


@secret_app.command("init")
def secret_init() -> None:
    """Generate a random pseudonymisation key into <data_dir>/secret.key (if none exists)."""
    settings = _settings()
    path = settings.secret_key_file
    if generate_secret_key_file(path):
        console.print(f"Wrote a new key to {path} (keep it: pseudonyms depend on it).")
    else:
        console.print(f"A key already exists at {path}; left as it is.")


@app.command("config")
def config_show() -> None:
    """Show the effective settings (secrets masked)."""
    settings = _settings()
    table = Table("setting", "env var", "value")
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        shown = "(set)" if name == "secret_key" and value else str(value)
        table.add_row(name, f"MONITOR_{name.upper()}", shown)
    table.add_row("database (effective)", "", _safe_url(settings))
    console.print(table)


def main() -> None:
    """Console entry point: user errors print one sentence, not a traceback."""
    from pydantic import ValidationError

    try:
        app()
    except MonitorError as exc:
        err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False)
        raise SystemExit(2) from None
    except ValidationError as exc:
        err_console.print(f"[bold red]Error:[/] invalid MONITOR_* setting: {escape(str(exc))}",
                          highlight=False)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err_console.print("Interrupted. Committed work is kept; run the same command again to "
                          "finish (nothing is inserted twice).")
        raise SystemExit(130) from None
