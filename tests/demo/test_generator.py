"""The seeded demo stream: determinism, shape of the files, ground truth and planted events."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from monitor.demo import DemoCorpusError, DemoManifest, generate_demo
from monitor.demo.corpus import DEFAULT_CORPUS_DIR

START, DAYS = date(2021, 8, 1), 120
TRUTH_ONLY = ("affinity", "narratives", "events", "kind")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoManifest, float]:
    started = time.perf_counter()
    manifest = generate_demo(out_dir=tmp_path_factory.mktemp("demo"))
    return manifest, time.perf_counter() - started


@pytest.fixture(scope="module")
def manifest(demo: tuple[DemoManifest, float]) -> DemoManifest:
    return demo[0]


@pytest.fixture(scope="module")
def truth(manifest: DemoManifest) -> list[dict[str, Any]]:
    return [json.loads(line) for line in manifest.truth_path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def records(
    manifest: DemoManifest, truth: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Each source's good records (those in the truth), keyed by canonical field name."""
    known = {(t["source"], t["external_id"]) for t in truth}
    out: dict[str, list[dict[str, Any]]] = {}
    for demo_file in manifest.files:
        mapping, name = demo_file.spec.field_mapping, demo_file.spec.name
        rows = [{k: _dig(raw, field) for k, field in mapping.items()}
                for raw in _raw_records(demo_file.path) if isinstance(raw, dict)]
        out[name] = [r for r in rows if (name, str(r["id"])) in known]
    return out


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.name.endswith(".gz") else data).decode("utf-8")


def _raw_records(path: Path) -> list[Any]:
    """Parsed records; a malformed line or a row of the wrong width comes back as a string."""
    text = _read_text(path)
    if ".csv" in path.name:
        rows = list(csv.reader(io.StringIO(text, newline="")))
        return [dict(zip(rows[0], r, strict=True)) if len(r) == len(rows[0]) else str(r)
                for r in rows[1:]]
    out: list[Any] = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            out.append(line)
    return out


def _dig(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _daily(truth: list[dict[str, Any]], keep: Any) -> list[int]:
    counts = Counter(t["published_at"][:10] for t in truth if keep(t))
    return [counts[(START + timedelta(days=d)).isoformat()] for d in range(DAYS)]


def test_generator_is_deterministic(manifest: DemoManifest, tmp_path: Path) -> None:
    again = generate_demo(out_dir=tmp_path)
    assert [f.path.name for f in again.files] == [f.path.name for f in manifest.files]
    for first, second in zip(manifest.files, again.files, strict=True):
        assert first.path.read_bytes() == second.path.read_bytes(), first.path.name
        assert (first.spec, first.n_records, first.n_bad) == (second.spec, second.n_records,
                                                              second.n_bad)
    assert manifest.truth_path.read_bytes() == again.truth_path.read_bytes()
    assert again.events == manifest.events


def test_generator_is_deterministic_across_processes(tmp_path: Path) -> None:
    # String hashing is randomised per process; nothing may depend on set or dict-of-set order.
    code = ("import sys; from pathlib import Path; from monitor.demo import generate_demo; "
            "generate_demo(out_dir=Path(sys.argv[1]), seed=7, n_items=2000)")
    digests = []
    for hash_seed in ("1", "4242"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(out)], check=True, cwd=REPO, env=env)
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted(out.iterdir())})
    assert digests[0] == digests[1]


def test_generator_covers_the_window_with_enough_items(
    manifest: DemoManifest, truth: list[dict[str, Any]]
) -> None:
    assert manifest.n_items == len(truth) == 24_000
    days = {t["published_at"][:10] for t in truth}
    assert len(days) == DAYS
    assert min(days) == "2021-08-01" and max(days) == "2021-11-28"
    good = sum(f.n_records - f.n_bad for f in manifest.files)
    assert good == len(truth)
    assert len({(t["source"], t["external_id"]) for t in truth}) == len(truth)


def test_generator_speaks_at_least_six_languages(truth: list[dict[str, Any]]) -> None:
    languages = Counter(t["language"] for t in truth)
    assert {"en", "ar", "fa", "ps", "ru", "id"} <= set(languages)
    assert all(languages[lang] >= 200 for lang in ("en", "ar", "fa", "ps", "ru", "id", "tg", "ur"))


def test_generator_keeps_truth_out_of_item_files(manifest: DemoManifest) -> None:
    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        return set()

    for demo_file in manifest.files:
        found = set().union(*(keys(r) for r in _raw_records(demo_file.path)))
        if ".csv" in demo_file.path.name:
            found |= set(_read_text(demo_file.path).splitlines()[0].split(","))
        assert not found & set(TRUTH_ONLY), demo_file.path.name
        for label in ("anti_shia_sectarian", "taliban_sold_out", "forward_of"):
            assert label not in _read_text(demo_file.path), demo_file.path.name


def test_generator_keeps_aligned_chatter_a_minority(truth: list[dict[str, Any]]) -> None:
    aligned = [t for t in truth if t["affinity"] != "none"]
    assert 0.09 <= len(aligned) / len(truth) <= 0.16
    assert all(t["kind"] == "aligned" for t in aligned)
    assert {t["affinity"] for t in aligned} == {
        "isis", "taliban", "al_qaeda", "haqqani", "ttp", "other_jihadist"}
    narratives = Counter(n for t in truth for n in t["narratives"])
    assert set(narratives) == {"anti_shia_sectarian", "taliban_sold_out", "defection_appeal",
                               "foreign_fighter_mobilization"}
    # Hard negatives dominate: news, analysis, statements, counter-messaging, victims' voices.
    kinds = Counter(t["kind"] for t in truth)
    assert all(kinds[k] > 500 for k in ("news", "analysis", "statement", "counter", "victim",
                                        "rights", "chatter"))


def test_generator_plants_the_anti_shia_surge(truth: list[dict[str, Any]]) -> None:
    daily = _daily(truth, lambda t: "anti_shia_sectarian" in t["narratives"]
                   and {"AF-KDZ", "AF-KAN"} & set(t["focus"]))
    cut = (date(2021, 10, 15) - START).days
    before, after = statistics.mean(daily[:cut]), statistics.mean(daily[cut:cut + 24])
    assert after >= 5 * max(before, 0.2)
    assert all("AF" in t["focus"] for t in truth if {"AF-KDZ", "AF-KAN"} & set(t["focus"]))


def test_generator_ramps_sold_out_and_central_asian_chatter(truth: list[dict[str, Any]]) -> None:
    sold_out = _daily(truth, lambda t: "taliban_sold_out" in t["narratives"])
    central_asia = _daily(truth, lambda t: t["origin"] in ("TJ", "UZ", "KG")
                          and "AF" in t["focus"])
    for series in (sold_out, central_asia):
        assert statistics.mean(series[-30:]) >= 1.8 * statistics.mean(series[:30])


def test_generator_starts_the_new_source_mid_stream(
    manifest: DemoManifest, truth: list[dict[str, Any]]
) -> None:
    (event,) = [e for e in manifest.events if e.kind == "coverage_change"]
    first = min(t["published_at"] for t in truth if event.name in t["events"])
    assert "2021-09-25" <= first[:10] <= "2021-10-07"
    newcomer = {t["source"] for t in truth if event.name in t["events"]}
    assert len(newcomer) == 1
    # Ordinary content: no narrative in it, so share of voice must not move.
    assert not any(t["narratives"] for t in truth if t["source"] in newcomer)


def test_generator_forwards_reference_earlier_items(
    truth: list[dict[str, Any]], records: dict[str, list[dict[str, Any]]]
) -> None:
    by_id = {(t["source"], t["external_id"]): t for t in truth}
    texts = {(s, str(r["id"])): r for s, rows in records.items() for r in rows}
    forwards = [t for t in truth if t["forward_of"]]
    assert len(forwards) > 500
    for fwd in forwards:
        original = by_id[(fwd["source"], fwd["forward_of"])]
        assert original["published_at"] < fwd["published_at"]
        assert original["forward_of"] is None
        orig_rec = texts[(fwd["source"], original["external_id"])]
        fwd_text = texts[(fwd["source"], fwd["external_id"])]["text"]
        assert fwd_text == f"RT @{orig_rec['author']}: {orig_rec['text']}"


def test_generator_counts_bad_records(
    manifest: DemoManifest, truth: list[dict[str, Any]]
) -> None:
    assert 8 <= sum(f.n_bad for f in manifest.files) <= 12
    assert 1 <= sum(1 for f in manifest.files if f.n_bad) <= 2
    truth_ids = {(t["source"], t["external_id"]) for t in truth}
    for demo_file in manifest.files:
        raw = _raw_records(demo_file.path)
        assert len(raw) == demo_file.n_records
        mapping = demo_file.spec.field_mapping
        strays = [r for r in raw if not isinstance(r, dict)
                  or (demo_file.spec.name, str(_dig(r, mapping["id"]))) not in truth_ids]
        assert len(strays) == demo_file.n_bad, demo_file.path.name


def test_generator_writes_the_export_shapes(
    manifest: DemoManifest, records: dict[str, list[dict[str, Any]]]
) -> None:
    specs = {f.spec.name: f.spec for f in manifest.files}
    assert 5 <= len(specs) <= 7
    formats = {(s.format, s.timestamp_format) for s in specs.values()}
    assert {("csv", "%m/%d/%Y %H:%M"), ("csv", "%d/%m/%y"), ("jsonl", "iso"),
            ("jsonl", "epoch_s")} <= formats
    assert any(s.field_mapping.get("author") == "user.screen_name" for s in specs.values())
    assert any(f.path.name.endswith(".jsonl.gz") for f in manifest.files)
    assert any(s.origin is None for s in specs.values())
    for name, rows in records.items():
        for field in ("id", "text", "timestamp"):
            assert all(r[field] not in (None, "") for r in rows), (name, field)
    listening = next(f for f in manifest.files if f.spec.timestamp_format == "%m/%d/%Y %H:%M")
    header = _read_text(listening.path).splitlines()[0].split(",")
    assert {"Post ID", "Content", "Date", "Handle", "Link", "User Location"} <= set(header)


def test_generator_keeps_texts_short_and_links_reserved(
    records: dict[str, list[dict[str, Any]]]
) -> None:
    texts = [r["text"] for rows in records.values() for r in rows]
    assert sum(len(t) <= 280 for t in texts) >= 0.95 * len(texts)
    urls = [u for rows in records.values() for r in rows
            for u in re.findall(r"https?://[^\s,\"]+", f"{r['text']} {r.get('url') or ''}")]
    hosts = {urlsplit(u).hostname or "" for u in urls}
    reserved = ("example.org", "example.com", "example.net")
    assert hosts and all(h.endswith(".example") or h.endswith(reserved) for h in hosts), hosts


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("templates_en.yaml", "  - kind: news\n", "  - kind: gossip\n", "templates_en.yaml"),
        ("templates_en.yaml", "{Doha}", "Doha", "names the place 'Doha' literally"),
        ("sources.yaml", "format: jsonl", "format: xml", "sources.yaml"),
        ("events.yaml", "source: levant_channels", "source: nowhere", "events.yaml"),
        ("slots.yaml", "languages: [", "languages: [[", "slots.yaml: not valid YAML"),
        ("sources.yaml", '"No": id', "No: id", "put it in quotes"),
    ],
)
def test_generator_rejects_a_bad_corpus_file(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS_DIR, corpus)
    path = corpus / file
    path.write_text(path.read_text("utf-8").replace(old, new, 1), "utf-8")
    with pytest.raises(DemoCorpusError, match=re.escape(message)):
        generate_demo(out_dir=tmp_path / "out", corpus_dir=corpus)


def test_generator_rejects_a_mix_no_template_matches(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS_DIR, corpus)
    path = corpus / "sources.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("{kind: rights, weight: 9}",
                                 "{kind: victim, affinity: isis, weight: 9}"), "utf-8")
    with pytest.raises(DemoCorpusError, match="no template in"):
        generate_demo(out_dir=tmp_path / "out", corpus_dir=corpus)


def test_generator_rejects_too_few_items(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least"):
        generate_demo(out_dir=tmp_path, n_items=10)
