"""`monitor enrich`, `monitor items show` and `monitor predict` as a user runs them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import get_settings

from .test_cli import Run, export, run  # noqa: F401 - fixtures

HOSTILE = ('{"id": "h1", "text": "\\u202eevil [bold red]markup[/] in Kandahar", '
           '"timestamp": "2021-10-05"}\n')


def test_enrich_then_show_an_item(run: Run, export: Path, tmp_path: Path) -> None:  # noqa: F811
    run("sources", "add", "feed")
    run("ingest", "--source", "feed", str(export))
    out = run("enrich").output
    assert "Enriched 2 items" in out and "languages:" in out
    assert "Enriched 0 items" in run("enrich").output
    assert "Enriched 2 items (all)" in run("enrich", "--redo").output
    shown = run("items", "show", "1").output
    assert "AF-KDZ" in shown and "Kunduz" in shown and "Southern Asia" in shown
    assert "origin" in shown and "TJ-DU" in shown and "author_location" in shown
    missing = run("items", "show", "999", ok=False)
    assert missing.exit_code == 2 and "No item 999" in missing.output


def test_items_list_filters_by_region_level_role_language_and_label(
    run: Run, export: Path  # noqa: F811
) -> None:
    run("sources", "add", "feed")
    run("ingest", "--source", "feed", str(export))
    run("enrich")
    assert "Statement on Kunduz" in run("items", "list", "--region", "AF-KDZ").output
    assert "2 item(s)" in run("items", "list", "--region", "M49-034").output  # Southern Asia
    by_origin = run("items", "list", "--region", "TJ", "--role", "origin").output
    assert "1 item(s)" in by_origin and "Statement on Kunduz" in by_origin
    assert "0 item(s)" in run("items", "list", "--region", "SY").output
    assert "0 item(s)" in run("items", "list", "--label", "anti_shia_sectarian").output
    assert "2 item(s)" in run("items", "list").output
    assert "0 item(s)" in run("items", "list", "--language", "ps").output


def test_items_show_makes_hostile_text_safe(run: Run, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "hostile.jsonl"
    path.write_text(HOSTILE, encoding="utf-8")
    run("sources", "add", "feed")
    run("ingest", "--source", "feed", str(path))
    run("enrich")
    shown = run("items", "show", "1").output
    assert "\u202e" not in shown and "[bold red]markup[/]" in shown and "AF-KAN" in shown


def _predict(tmp_path: Path, *args: str, stdin: bytes | None = None) -> list[dict[str, object]]:
    runner = CliRunner()
    get_settings.cache_clear()
    result = runner.invoke(app, ["predict", *args], input=stdin,
                           env={"MONITOR_DATA_DIR": str(tmp_path / "nowhere")})
    assert result.exit_code == 0, result.output + repr(result.exception)
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_predict_reads_text_lines_from_stdin_and_stores_nothing(tmp_path: Path) -> None:
    lines = _predict(tmp_path, "-", stdin="Daesh claimed it in Kunduz\n\n🔥🔥\n".encode())
    assert [line["id"] for line in lines] == ["1", "2", "3"]
    assert lines[0]["focus"] == ["AF-KDZ", "AF"] and lines[0]["cues"][0]["label"] == "isis"
    assert lines[1]["flags"] == ["empty"] and lines[2]["flags"] == ["no_letters"]
    assert not (tmp_path / "nowhere").exists()  # no database, no key, nothing written


def test_predict_reads_mapped_csv_and_gzip(tmp_path: Path) -> None:
    path = tmp_path / "in.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("Post ID,Content,User Location\np1,Вчера в Кундузе,Dushanbe\np2,,\n")
    lines = _predict(tmp_path, str(path), "--map", "id=Post ID", "--map", "text=Content",
                     "--map", "location=User Location", "--normalised")
    assert lines[0]["id"] == "p1" and lines[0]["language"] == "ru"
    assert lines[0]["regions"][0]["text"] == "Кундузе"
    assert lines[0]["regions"][1] == {"role": "origin", "code": "TJ-DU", "country": "TJ",
                                      "macro": "Central Asia", "macro_code": "M49-143",
                                      "from": "author_location", "text": "Dushanbe"}
    assert "normalised" in lines[0]
    assert lines[1]["id"] == "p2" and lines[1]["error"] == "missing_text"


def test_predict_refuses_an_unknown_origin_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["predict", "-", "--origin", "Narnia"], input=b"x\n")
    assert result.exit_code == 2 and "not an ISO 3166" in result.output


def test_predict_origin_option_and_jsonl_from_stdin(tmp_path: Path) -> None:
    record = json.dumps({"id": 9, "text": "hello from the valley"}).encode() + b"\n"
    lines = _predict(tmp_path, "-", "--format", "jsonl", "--origin", "tj", stdin=record)
    assert lines[0]["id"] == "9"
    assert lines[0]["regions"][-1]["from"] == "source" and lines[0]["regions"][-1]["code"] == "TJ"


def test_items_export_jsonl_and_csv_neutralises_formulas(
    run: Run, tmp_path: Path  # noqa: F811
) -> None:
    path = tmp_path / "formula.jsonl"
    path.write_text(json.dumps({"id": "f1", "text": "=HYPERLINK(\"x\") fighting in Kunduz",
                                "timestamp": "2021-10-05"}) + "\n", encoding="utf-8")
    run("sources", "add", "feed")
    run("ingest", "--source", "feed", str(path))
    run("enrich")
    run("items", "export", "--format", "csv", "--out", str(tmp_path / "out.csv"))
    exported = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in exported and "\n=HYPERLINK" not in exported
    run("items", "export", "--out", str(tmp_path / "out.jsonl"), "--region", "AF-KDZ")
    record = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert record["focus"] == ["AF-KDZ"] and record["affinity"] is None
