"""CLI commands for the classifiers: `monitor train`, `monitor evaluate`, `monitor models …`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from monitor.classify import registry
from monitor.classify.evaluate import Evaluation
from monitor.cli.common import console, err_console, fail, settings, table
from monitor.errors import MonitorError
from monitor.services import classification, training

models_app = typer.Typer(help="Trained classifiers: list, show, activate.", no_args_is_help=True)


def train_command(
    seed: Annotated[int, typer.Option(help="Seed of the folds (same data and seed, same "
                                      "model).")] = 0,
    target_precision: Annotated[float, typer.Option(
        min=0.5, max=0.99, help="Precision each label's threshold aims for (out-of-fold).")] = 0.9,
    activate: Annotated[bool, typer.Option(help="Make the new models active.")] = True,
) -> None:
    """Train the affinity and narrative models on corpora/seed (train split), score them on
    the test split, save them with their cards under the models directory."""
    print_train_result(run_train(seed=seed, target_precision=target_precision,
                                 activate=activate))


def run_train(*, seed: int = 0, target_precision: float = 0.9,
              activate: bool = True) -> training.TrainResult:
    err_console.print("Training the classifiers on corpora/seed (embedding the corpus and "
                      "cross-fitting take about three minutes on two cores) …")
    try:
        return training.train_models(settings(), seed=seed, target_precision=target_precision,
                                     activate=activate)
    except MonitorError as exc:
        raise fail(exc) from exc


def print_train_result(result: training.TrainResult) -> None:
    console.print(f"Trained on {result.train_items:,} items; scored on {result.test_items:,} "
                  "held-out items.")
    for entry in result.models:
        state = "active" if entry.active else "not active (`monitor models activate`)"
        console.print(f"  {entry.task}: [bold]{entry.version}[/] — {state}")
    print_evaluation(result.evaluation, title="Held-out test split")


def evaluate_command(
    report: Annotated[Path | None, typer.Option(help="Also write this Markdown report.")] = None,
    cv: Annotated[int, typer.Option(min=0, max=10, help="Also run stratified k-fold "
                                    "cross-validation with this many folds (0: none; each "
                                    "fold trains both models).")] = 0,
    demo: Annotated[bool, typer.Option(help="Also score the stored labels of the demo stream "
                                       "against its ground truth.")] = True,
) -> None:
    """Score the active models on the seed corpus's held-out test split (and optionally by
    cross-validation and on the demo stream's ground truth)."""
    config = settings()
    try:
        evaluation = training.evaluate_active(config)
    except MonitorError as exc:
        raise fail(exc) from exc
    print_evaluation(evaluation, title="Held-out test split")
    text = markdown_report(evaluation)
    if cv:
        folds = training.cross_validate(config, folds=cv)
        lines = [f"\n## Stratified {cv}-fold cross-validation\n",
                 "| measure | mean | folds |", "| --- | --- | --- |",
                 _cv_row("affinity macro-F1", folds.affinity_macro_f1)]
        lines += [_cv_row(f"{label} F1", values) for label, values in folds.narrative_f1.items()]
        console.print("\n".join(lines))
        text += "\n".join(lines) + "\n"
    truth = config.data_dir / "demo" / "truth.jsonl"
    if demo and truth.is_file():
        from monitor.cli.common import engine

        scores = training.demo_truth_scores(engine(), truth)
        if scores.items:
            lines = [f"\n## Demo stream ground truth ({scores.items:,} classified items)\n",
                     f"Affinity macro-F1 {scores.affinity_macro_f1:.3f}.\n",
                     "| label | precision | recall | F1 | support |",
                     "| --- | --- | --- | --- | --- |"]
            lines += [f"| {s.label} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | "
                      f"{s.support} |" for s in scores.affinity + scores.narratives]
            console.print("\n".join(lines))
            text += "\n".join(lines) + "\n"
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text, encoding="utf-8")
        console.print(f"Report written to {report}")


def _cv_row(name: str, values: list[float]) -> str:
    mean = sum(values) / len(values) if values else 0.0
    return f"| {name} | {mean:.3f} | {' '.join(f'{v:.3f}' for v in values)} |"


def print_evaluation(evaluation: Evaluation, *, title: str) -> None:
    scores = table("label", "precision", "recall", "F1", "support", title=f"{title}: affinity")
    for s in evaluation.affinity:
        scores.add_row(s.label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}",
                       str(s.support))
    console.print(scores)
    console.print(f"affinity macro-F1 {evaluation.affinity_macro_f1:.3f}; expected calibration "
                  f"error {evaluation.affinity_ece:.3f}")
    narratives = table("narrative", "precision", "recall", "F1", "support", "ECE",
                       title=f"{title}: narratives")
    for s in evaluation.narratives:
        narratives.add_row(s.label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}",
                           str(s.support), f"{evaluation.narrative_ece[s.label]:.3f}")
    console.print(narratives)
    console.print(f"hard negatives given no affinity and no narrative: "
                  f"{evaluation.hard_negative_precision:.3f} of {evaluation.hard_negatives}")


def markdown_report(evaluation: Evaluation) -> str:
    lines = ["# Classifier evaluation (held-out test split)", "",
             f"Items: {evaluation.n}. Affinity macro-F1 {evaluation.affinity_macro_f1:.3f}, "
             f"ECE {evaluation.affinity_ece:.3f}. Hard negatives clean: "
             f"{evaluation.hard_negative_precision:.3f} of {evaluation.hard_negatives}.", "",
             "| affinity | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {s.label} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.support} |"
              for s in evaluation.affinity]
    lines += ["", "| narrative | precision | recall | F1 | support | ECE |",
              "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {s.label} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.support} | "
              f"{evaluation.narrative_ece[s.label]:.3f} |" for s in evaluation.narratives]
    labels = evaluation.affinity_labels
    lines += ["", "Confusion (rows: true, columns: predicted)", "",
              "| | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(str(n) for n in row) + " |"
              for label, row in zip(labels, evaluation.affinity_confusion, strict=True)]
    return "\n".join(lines) + "\n"


def models_list() -> None:
    """Every trained model, newest last, with its test-split figures."""
    rows = table("task", "version", "active", "trained", "items", "macro-F1 / F1", "embedding")
    for entry in registry.entries(settings().models_dir):
        card = entry.card
        metrics = card.get("metrics_test_split", {})
        if entry.task == "affinity":
            figure = f"{metrics.get('affinity_macro_f1', 0):.3f}"
        else:
            f1s = [v["f1"] for v in metrics.get("narratives", {}).values()]
            figure = f"{min(f1s):.3f} (lowest)" if f1s else ""
        rows.add_row(entry.task, entry.version, "yes" if entry.active else "",
                     card.get("trained_at", "")[:16], str(card.get("training_data", {}).get(
                         "train_items", "")), figure, escape(card.get("embedding_model", "")))
    console.print(rows)


def models_show(
    task: Annotated[str, typer.Argument(help="affinity or narratives")],
    version: Annotated[str | None, typer.Argument(help="A version (default: the active one).")]
    = None,
) -> None:
    """A model's card: labels, thresholds, features, data hash, metrics, library versions."""
    try:
        entry = registry.get(settings().models_dir, task, version)
    except MonitorError as exc:
        raise fail(exc) from exc
    card = Table(show_header=False)
    for key, value in entry.card.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        card.add_row(key, escape(shown))
    console.print(card)


def models_activate(
    task: Annotated[str, typer.Argument(help="affinity or narratives")],
    version: Annotated[str, typer.Argument(help="The version to make active.")],
) -> None:
    """Make a trained version the active model of its task."""
    try:
        entry = registry.activate(settings().models_dir, task, version)
    except MonitorError as exc:
        raise fail(exc) from exc
    console.print(f"{entry.task}: {entry.version} is active.")


def classify_command(
    redo: Annotated[bool, typer.Option("--redo", help="Classify every enriched item again.")]
    = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Classify enriched items not yet classified by the active models (embeddings are
    stored and reused)."""
    print_classify_summary(run_classify(redo=redo, quiet=quiet))


def run_classify(*, redo: bool = False, quiet: bool = False) -> classification.ClassifySummary:
    from monitor.cli.common import engine

    db = engine()
    with Progress(TextColumn("[bold]classify"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err_console,
                  disable=quiet or not err_console.is_terminal, transient=True) as progress:
        task = progress.add_task("classify", total=None)
        try:
            return classification.classify_items(
                db, settings=settings(), redo=redo,
                on_progress=lambda done, total: progress.update(task, completed=done,
                                                                total=total))
        except MonitorError as exc:
            raise fail(exc) from exc


def print_truth_scores(scores: training.TruthScores) -> None:
    """Stored labels against the demo stream's ground truth, per label."""
    rows = table("label", "precision", "recall", "F1", "support",
                 title=f"Labels vs the generator's ground truth ({scores.items:,} items)")
    for s in scores.affinity + scores.narratives:
        rows.add_row(s.label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}",
                     f"{s.support:,}")
    console.print(rows)
    console.print(f"affinity macro-F1 {scores.affinity_macro_f1:.3f}")


def print_classify_summary(summary: classification.ClassifySummary) -> None:
    console.print(f"Classified [bold]{summary.processed:,}[/] items in {summary.seconds:.1f} s "
                  f"({summary.rate:,.0f} items/s; {summary.embedded:,} embedded, the rest "
                  "reused).")
    if summary.processed:
        affinity = ", ".join(f"{k} {v:,}" for k, v in sorted(summary.affinity.items(),
                                                             key=lambda kv: -kv[1]))
        narratives = ", ".join(f"{k} {v:,}" for k, v in sorted(summary.narratives.items(),
                                                               key=lambda kv: -kv[1])) or "none"
        console.print(f"  affinity: {affinity}")
        console.print(f"  narratives: {narratives}")
        console.print(f"  models: {summary.versions.get('affinity')}, "
                      f"{summary.versions.get('narratives')}")
