"""CLI commands for enrichment: `monitor enrich`, `monitor items show`, `monitor predict`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from monitor.cli.common import console, display, engine, err_console, fail, settings, table
from monitor.domain import CANONICAL_FIELDS
from monitor.errors import MonitorError
from monitor.ingest.readers import detect_format
from monitor.services import classification, enrichment, predict
from monitor.services.ingestion import limits_of
from monitor.services.sources import is_region_code

items_app = typer.Typer(help="Stored items and what enrichment found in them.",
                        no_args_is_help=True)


def enrich_command(
    redo: Annotated[bool, typer.Option("--redo", help="Enrich every item again.")] = False,
    outdated: Annotated[
        bool, typer.Option("--outdated", help="Enrich items enriched by an older codebook or "
                           "gazetteer (and new ones).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Find language, regions and codebook cues in items not yet enriched."""
    mode = "all" if redo else "outdated" if outdated else "new"
    run_enrich(mode=mode, quiet=quiet)


def run_enrich(*, mode: str, quiet: bool, show: bool = True) -> enrichment.EnrichSummary:
    db = engine()
    with Progress(TextColumn("[bold]enrich"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err_console,
                  disable=quiet or not err_console.is_terminal, transient=True) as progress:
        task = progress.add_task("enrich", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            summary = enrichment.enrich_items(db, settings=settings(), mode=mode,
                                              on_progress=on_progress)
        except MonitorError as exc:
            raise fail(exc) from exc
    if show:
        print_enrich_summary(summary)
    return summary


def print_enrich_summary(summary: enrichment.EnrichSummary) -> None:
    console.print(
        f"Enriched [bold]{summary.processed:,}[/] items ({summary.mode}) in "
        f"{summary.seconds:.1f} s ({summary.rate:,.0f} items/s, {summary.workers} "
        f"process{'es' if summary.workers > 1 else ''}); version {summary.version}."
    )
    if summary.processed:
        languages = ", ".join(f"{lang} {n:,}" for lang, n in summary.languages.most_common())
        console.print(f"  languages: {languages}")
        console.print(f"  with focus regions: {summary.with_focus:,}; with cues: "
                      f"{summary.with_cues:,}")
        if summary.flagged:
            flags = ", ".join(f"{flag} {n:,}" for flag, n in summary.flagged.most_common())
            console.print(f"  flagged: {flags}")
    if summary.outdated_left:
        console.print(f"{summary.outdated_left:,} items were enriched by another codebook or "
                      "gazetteer version: [bold]monitor enrich --outdated[/] updates them.")


def items_list(
    region: Annotated[str | None, typer.Option(help="A region code at any level: AF-KDZ, AF "
                                               "or M49-143 (Central Asia).")] = None,
    role: Annotated[str, typer.Option(help="Role of --region: focus or origin.")] = "focus",
    language: Annotated[str | None, typer.Option(help="A language code (ps, fa, ru …).")] = None,
    label: Annotated[str | None, typer.Option(help="A cue label: a group (isis …) or a "
                                              "narrative (anti_shia_sectarian …).")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    predicted: Annotated[str | None, typer.Option(help="A label the classifiers gave "
                                                  "(isis, none, taliban_sold_out …).")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
) -> None:
    """List enriched items by region, language, cue label, predicted label or source."""
    if role not in ("focus", "origin"):
        raise typer.BadParameter("--role must be focus or origin")
    rows = enrichment.search_items(engine(), language=language, region=region, role=role,
                                   label=label, source=source, predicted=predicted,
                                   limit=limit)
    listing = table("id", "published", "source", "lang", "focus", "cues", "text")
    for row in rows:
        listing.add_row(str(row.id), row.published_at.strftime("%Y-%m-%d %H:%M"),
                        escape(row.source), row.language or "", " ".join(row.focus),
                        " ".join(row.labels), display(row.text, 80))
    console.print(listing)
    console.print(f"{len(rows)} item(s). Details: [bold]monitor items show ID[/]")


def items_show(item_id: Annotated[int, typer.Argument(help="The item's id.")]) -> None:
    """Show one item: its text (made safe), language, regions with spans, and cues."""
    view = enrichment.item_view(engine(), item_id)
    if view is None:
        err_console.print(f"No item {item_id}.")
        raise typer.Exit(code=2)
    item = view.item
    info = Table(show_header=False)
    info.add_row("id", str(item.id))
    info.add_row("source", escape(view.source))
    info.add_row("published", item.published_at.isoformat())
    info.add_row("author", escape(item.author_pseudonym or "") + " (pseudonym)")
    if item.author_location:
        info.add_row("declared location", display(item.author_location, 200))
    info.add_row("text", display(item.text, 2_000) + (" …" if len(item.text) > 2_000 else ""))
    found = view.enrichment
    if found is None:
        info.add_row("enrichment", "not enriched yet: run [bold]monitor enrich[/]")
        console.print(info)
        return
    info.add_row("language", f"{found.language} (confidence {found.language_confidence:.2f}, "
                             f"by {found.language_method}, script {found.script})")
    if found.flags:
        info.add_row("flags", ", ".join(found.flags))
    if found.origin_hint:
        info.add_row("origin hint", "language suggests " + ", ".join(found.origin_hint)
                     + " (a hint, not a fact)")
    info.add_row("enriched", f"{found.enriched_at.isoformat()} (version {found.enrich_version})")
    console.print(info)
    names = view.region_names
    regions = table("role", "code", "name", "country", "macro-region", "kind", "span", "matched",
                    title="Regions")
    for region in view.regions:
        span = (f"{region.span_start}-{region.span_end}" if region.span_start is not None
                else region.via)
        regions.add_row(region.role, region.code, escape(names.get(region.code, "")),
                        region.country or "", escape(names.get(region.macro or "", "")),
                        region.kind, span, display(region.surface or "", 60))
    console.print(regions if view.regions else "No regions.")
    cues = table("kind", "label", "role", "term", "lang", "span", "matched", title="Cues")
    for cue in view.cues:
        cues.add_row(cue.kind, cue.label, cue.role, display(cue.term, 60), cue.term_language,
                     f"{cue.span_start}-{cue.span_end}", display(cue.surface, 60))
    console.print(cues if view.cues else "No cues.")
    if not view.classifications:
        console.print("Not classified yet: run [bold]monitor classify[/].")
        return
    labels = table("task", "label", "score", "model", "why (strongest features)",
                   title="Classification")
    whys = {c.task: c.why for c in view.classifications}
    for label in view.labels:
        why = whys.get(label.task, {}).get(label.label, [])
        labels.add_row(label.task, label.label, f"{label.score:.2f}", label.model_version,
                       display("; ".join(f"{name} {weight:+.2f}" for name, weight in why), 200))
    console.print(labels)
    for record in view.classifications:
        top = sorted(record.scores.items(), key=lambda kv: -kv[1])[:4]
        console.print(f"  {record.task} scores: " + ", ".join(f"{k} {v:.2f}" for k, v in top),
                      highlight=False)
    nearest = next((c.why.get("nearest") for c in view.classifications
                    if c.task == "affinity"), None)
    if nearest:
        examples = table("similarity", "labelled as", "example", title="Nearest labelled "
                         "examples")
        for example_id, labels_, text, similarity in nearest:
            examples.add_row(f"{similarity:.2f}", escape(labels_.replace("+", ", ")),
                             display(f"{example_id}: {text}", 120))
        console.print(examples)


def predict_command(
    source: Annotated[str, typer.Argument(help="A JSONL or CSV file (.gz too), or - for "
                                          "standard input.")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto (by file name; text for -), jsonl, csv, or "
                          "text (one item per line).")
    ] = "auto",
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help=f"FIELD=COLUMN as for sources, FIELD one of "
                     f"{', '.join(CANONICAL_FIELDS)}. Repeatable."),
    ] = None,
    origin: Annotated[
        str | None, typer.Option(help="Region the input comes from (ISO 3166 code), as a "
                                 "source's origin.")
    ] = None,
    normalised: Annotated[
        bool, typer.Option("--normalised", help="Include the normalised text used for "
                           "matching.")
    ] = False,
) -> None:
    """Print one JSON line per input with everything the pipeline knows; stores nothing."""
    from monitor.cli import _parse_mapping

    if fmt == "auto":
        fmt = "text" if source == "-" else (detect_format(Path(source)) or "")
        if not fmt:
            raise typer.BadParameter("cannot tell the format from the file name; pass --format")
    if origin and not is_region_code(origin.upper()):
        raise typer.BadParameter(f"--origin {origin!r} is not an ISO 3166 country or "
                                 "subdivision code (e.g. TJ, AF-KDZ)")
    if fmt not in predict.FORMATS:
        raise typer.BadParameter(f"--format must be one of auto, {', '.join(predict.FORMATS)}")
    config = settings()
    stream: BinaryIO
    if source == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = Path(source).open("rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise typer.BadParameter(f"cannot open {source}: {exc.strerror}") from exc
    try:
        classifier = classification.active_classifier(config)
        if classifier is None:
            err_console.print("No trained model is active (`monitor train`): printing "
                              "enrichment only.")
        results = predict.predict_stream(
            stream, fmt=fmt, enricher=enrichment.get_enricher(), limits=limits_of(config),
            max_record_bytes=config.max_record_bytes,
            field_mapping=_parse_mapping(mapping or []),
            origin=origin.upper() if origin else None, normalised=normalised,
            classifier=classifier)
        out = sys.stdout.buffer
        for result in results:
            out.write(orjson.dumps(result) + b"\n")
        out.flush()
    except MonitorError as exc:
        raise fail(exc) from exc
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def items_export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard "
                                             "output).")] = None,
    region: Annotated[str | None, typer.Option(help="A region code at any level.")] = None,
    role: Annotated[str, typer.Option(help="Role of --region: focus or origin.")] = "focus",
    language: Annotated[str | None, typer.Option(help="A language code.")] = None,
    label: Annotated[str | None, typer.Option(help="A predicted label (affinity or "
                                              "narrative).")] = None,
    cue: Annotated[str | None, typer.Option(help="A cue label.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 10_000,
) -> None:
    """Export stored items with their regions, cues and predictions (JSONL or CSV; CSV cells
    are neutralised against spreadsheet formula injection)."""
    import csv
    import io

    if fmt not in ("jsonl", "csv"):
        raise typer.BadParameter("--format must be jsonl or csv")
    records = enrichment.export_rows(engine(), region=region, role=role, language=language,
                                     label=cue, source=source, predicted=label, limit=limit)
    if fmt == "jsonl":
        data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        columns = ["id", "source", "published_at", "language", "affinity", "affinity_score",
                   "narratives", "focus", "origin", "cues", "model_version", "text"]
        writer.writerow(columns)
        for r in records:
            flat = {**r, "narratives": ";".join(f"{n['label']}:{n['score']}"
                                                for n in r["narratives"]),
                    "focus": " ".join(r["focus"]), "cues": " ".join(r["cues"])}
            writer.writerow([_cell(flat[c]) for c in columns])
        data = buffer.getvalue().encode("utf-8")
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)
        err_console.print(f"Exported {len(records):,} items to {out}")
