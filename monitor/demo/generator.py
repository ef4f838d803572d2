"""A seeded synthetic demo stream: source files in several export shapes, plus ground truth.

The same seed and size give byte-identical files with stable external ids, so re-ingesting a
regenerated stream inserts nothing. Item files hold only what a collection tool exports; the
labels, regions and planted events live in truth.jsonl beside them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from monitor.demo.corpus import (
    BAD_RECORDS,
    CURVES,
    DEFAULT_CORPUS_DIR,
    EVENT_KINDS,
    ID_STYLES,
    AuthorsDef,
    ComponentDef,
    DemoCorpus,
    DemoCorpusError,
    EventDef,
    Place,
    Reader,
    SourceDef,
    TextBank,
    check_places,
    check_unique,
    read_mix,
    read_text_bank,
    read_yaml,
)
from monitor.demo.texts import Composer, DemoItem, Slot, external_id
from monitor.domain import CANONICAL_FIELDS, SourceSpec

TRUTH_FILE = "truth.jsonl"
MIN_ITEMS = 1_000
_BAD_SEQ = 900_000  # bad records take ids from a range good ones never reach


@dataclass(frozen=True, slots=True)
class DemoFile:
    """One generated source file and the SourceSpec that reads it."""

    spec: SourceSpec
    path: Path
    n_records: int  # lines/rows written, bad ones included
    n_bad: int  # deliberately malformed records in it


@dataclass(frozen=True, slots=True)
class PlantedEvent:
    """A pattern planted in the stream, for checking that detection finds it."""

    name: str
    description: str
    start: date
    end: date | None
    kind: str  # "surge", "ramp" or "coverage_change"
    labels: tuple[str, ...]
    focus: tuple[str, ...]
    origin: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoManifest:
    """What generate_demo wrote: the source files, the ground truth and the planted events."""

    files: tuple[DemoFile, ...]
    truth_path: Path  # JSONL ground truth, one line per generated item
    events: tuple[PlantedEvent, ...]
    n_items: int


def generate_demo(
    *, out_dir: Path, seed: int = 2021, n_items: int = 24_000, corpus_dir: Path | None = None
) -> DemoManifest:
    """Write the demo stream (one file per source, plus truth.jsonl) into `out_dir`.

    `corpus_dir` holds the YAML definitions (default: the bundled corpora/demo).
    """
    if n_items < MIN_ITEMS:
        raise ValueError(f"n_items={n_items} is too small; the demo needs at least {MIN_ITEMS}")
    corpus = load_demo_corpus(corpus_dir=corpus_dir or DEFAULT_CORPUS_DIR)
    slots = plan_slots(corpus=corpus, seed=seed, n_items=n_items)
    composer = Composer(corpus=corpus, seed=seed)
    items = [composer.compose(slot) for slot in slots]
    out_dir.mkdir(parents=True, exist_ok=True)
    files = tuple(
        _write_source(source, items=[i for i in items if i.source == source.name], out_dir=out_dir,
                      seed=seed)
        for source in corpus.sources
    )
    truth_path = out_dir / TRUTH_FILE
    truth_path.write_bytes("".join(_truth_line(i) for i in items).encode("utf-8"))
    events = tuple(
        PlantedEvent(e.name, " ".join(e.description.split()), e.start, e.end, e.kind, e.labels,
                     e.focus, e.origin)
        for e in corpus.events
    )
    return DemoManifest(files=files, truth_path=truth_path, events=events, n_items=len(items))


def load_demo_corpus(*, corpus_dir: Path = DEFAULT_CORPUS_DIR) -> DemoCorpus:
    """Read and check every demo YAML file; raise DemoCorpusError naming the file at fault."""
    places, templates, bank = read_text_bank(corpus_dir=corpus_dir)
    doc = Reader(read_yaml(corpus_dir / "sources.yaml"), "sources.yaml")
    window = doc.sub("window")
    start, days = window.day("start"), window.count("days", low=7)
    hours = tuple(doc.weights("hour_weights").values())
    if len(hours) != 24:
        raise doc.error("hour_weights", "needs 24 weights, one per UTC hour 0..23")
    sources = tuple(_read_source(r, start=start, days=days, bank=bank)
                    for r in doc.items("sources", min_len=1))
    check_unique([s.name for s in sources], what="source name")
    check_unique([s.file for s in sources], what="source file")
    ev_doc = Reader(read_yaml(corpus_dir / "events.yaml"), "events.yaml")
    events = tuple(_read_event(r, sources=sources, places=places)
                   for r in ev_doc.items("events"))
    check_unique([e.name for e in events], what="event name")
    return DemoCorpus(corpus_dir, start, days, hours, places, tuple(templates), sources, events,
                      bank)


def _read_source(doc: Reader, *, start: date, days: int, bank: TextBank) -> SourceDef:
    fmt = doc.one_of("format", allowed=("jsonl", "csv"))
    ts_format = doc.text("timestamp_format")
    if ts_format not in ("iso", "epoch_s", "epoch_ms") and "%" not in ts_format:
        raise doc.error("timestamp_format", "use iso, epoch_s, epoch_ms or a strptime pattern")
    begins = doc.day("start", default=start)
    if not start <= begins < date.fromordinal(start.toordinal() + days):
        raise doc.error("start", f"{begins} is outside the demo window")
    fields = doc.sub("record")
    record = tuple((k, fields.text(k)) for k in fields.keys())
    values = [v for _, v in record]
    for field_name, value in record:
        if value not in CANONICAL_FIELDS and not value.startswith("meta."):
            raise doc.error(f"record.{field_name}", f"{value!r} is neither a canonical field "
                            f"({', '.join(CANONICAL_FIELDS)}) nor meta.<name>")
        if fmt == "csv" and "." in field_name:
            raise doc.error(f"record.{field_name}", "CSV columns cannot be nested")
    if missing := [v for v in ("id", "text", "timestamp") if v not in values]:
        raise doc.error("record", f"needs fields for {', '.join(missing)}")
    meta: dict[str, tuple[str, ...] | float] = {}
    gens = doc.sub("meta", default={})
    for name in gens.keys():
        spec = gens.data[name]
        meta[name] = (tuple(gens.texts(name)) if isinstance(spec, list)
                      else gens.number(name, low=1.0))
    if unknown := [v for v in values if v.startswith("meta.") and v[5:] not in meta]:
        raise doc.error("record", f"{unknown} have no generator under `meta`")
    bad = tuple(doc.texts("bad_records", default=[]))
    if wrong := [b for b in bad if b not in BAD_RECORDS[fmt]]:
        raise doc.error("bad_records", f"{wrong}: a {fmt} file can have "
                        f"{', '.join(BAD_RECORDS[fmt])}")
    weekday = tuple(doc.weights("weekday").values()) if "weekday" in doc.data else (1.0,) * 7
    if len(weekday) != 7:
        raise doc.error("weekday", "needs 7 weights, Monday to Sunday")
    languages = tuple(doc.weights("languages").items())
    if wrong := [lang for lang, _ in languages if lang not in bank.languages]:
        raise doc.error("languages", f"{wrong} are not listed in slots.yaml")
    ids = doc.sub("ids")
    return SourceDef(
        name=doc.text("name"), file=doc.text("file"), format=fmt,
        description=doc.text("description", default=""), origin=doc.text("origin", default=None),
        language=doc.text("language", default=None), timestamp_format=ts_format,
        utc_offset=doc.text("utc_offset", default="Z"),
        unpadded=doc.get("unpadded", types=bool, default=False),
        dayfirst=doc.get("dayfirst", types=bool, default=False), start=begins,
        share=doc.number("share"), forwards=doc.number("forwards", high=0.9, default=0.0),
        languages=languages, record=record, id_style=ids.one_of("style", allowed=ID_STYLES),
        id_pattern=ids.text("pattern", default="{seq}"), url=doc.text("url", default=""),
        meta=meta, mix=read_mix(doc, key="mix"), bad_records=bad, weekday=weekday,
        authors=_read_authors(doc.sub("authors")),
    )


def _read_authors(doc: Reader) -> AuthorsDef:
    channels = tuple((c.text("handle"), c.get("aligned", types=bool, default=False),
                      tuple(c.texts("langs", default=[]))) for c in doc.items("channels"))
    count = doc.count("count", default=0)
    if not channels and count < 10:
        raise doc.error("count", "list `channels` or generate at least 10 authors")
    return AuthorsDef(
        channels=channels, count=count,
        aligned_share=doc.number("aligned_share", high=0.5, default=0.0),
        patterns=tuple(doc.texts("patterns", default=["user_{n4}"])),
        words=tuple(doc.texts("words", default=["user"])),
        aligned_words=tuple(doc.texts("aligned_words", default=["user"])),
        location_tilt=doc.weights("location_tilt") if "location_tilt" in doc.data else {},
    )


def _read_event(doc: Reader, *, sources: tuple[SourceDef, ...],
                places: Mapping[str, Place]) -> EventDef:
    names = [s.name for s in sources]
    kind = doc.one_of("kind", allowed=EVENT_KINDS)
    curve = doc.sub("curve", default={})
    components = []
    for comp in doc.items("components", min_len=0 if kind == "coverage_change" else 1):
        source = comp.one_of("source", allowed=tuple(names))
        overrides = comp.sub("pools", default={})
        pools = {k: tuple(overrides.texts(k)) for k in overrides.keys()}
        for pool, keys in pools.items():
            check_places(overrides, places=places, keys=list(keys))
            if not keys:
                raise comp.error(f"pools.{pool}", "needs at least one place")
        langs = comp.weights("languages") if "languages" in comp.data else None
        components.append(ComponentDef(
            source=source, weight=comp.number("weight"), mix=read_mix(comp, key="mix"),
            languages=tuple(langs.items()) if langs else None, pools=pools,
            require_focus=tuple(comp.texts("require_focus", default=[])),
            origin=tuple(comp.texts("origin", default=[]))))
    source = doc.one_of("source", allowed=tuple(names), default=None)
    if kind == "coverage_change" and (
            source is None or sources[names.index(source)].start != doc.day("start")):
        raise doc.error("source", "a coverage_change event names the source that joins, and "
                        "starts on that source's start date")
    return EventDef(
        name=doc.text("name"), kind=kind, description=doc.text("description"),
        start=doc.day("start"), end=doc.day("end", default=None),
        labels=tuple(doc.texts("labels", default=[])),
        focus=tuple(doc.texts("focus", default=[])),
        origin=tuple(doc.texts("origin", default=[])),
        share=doc.number("share", high=0.5, default=0.0),
        curve=curve.one_of("shape", allowed=CURVES, default="flat"),
        curve_from=curve.number("from", default=1.0), curve_to=curve.number("to", default=1.0),
        decay_days=curve.number("decay_days", low=0.1, default=5.0), source=source,
        components=tuple(components),
    )


def plan_slots(*, corpus: DemoCorpus, seed: int, n_items: int) -> list[Slot]:
    """When and where each item appears: lumpy days, weekly seasonality, event curves."""
    rng = random.Random(f"{seed}:schedule")
    days = [corpus.start + timedelta(days=d) for d in range(corpus.days)]
    # Gamma noise (mean 1) shared by everything one source carries on a day: lumpy counts.
    base = {
        s.name: [(s.share if d >= s.start else 0.0) * s.weekday[d.weekday()]
                 * rng.gammavariate(4.0, 0.25) for d in days]
        for s in corpus.sources
    }
    planned: list[tuple[SourceDef, EventDef | None, ComponentDef | None, int, list[float]]] = []
    for ev in corpus.events:
        comps = ev.components
        counts = _apportion(round(ev.share * n_items), weights=[c.weight for c in comps])
        for part, n in zip(comps, counts, strict=True):
            source = corpus.source(part.source)
            weights = [b * _curve(ev, d, last=days[-1]) for b, d in
                       zip(base[source.name], days, strict=True)]
            planned.append((source, ev, part, n, weights))
    n_background = n_items - sum(p[3] for p in planned)
    sums = [sum(base[s.name]) for s in corpus.sources]
    for source, n in zip(corpus.sources, _apportion(n_background, weights=sums), strict=True):
        planned.append((source, None, None, n, base[source.name]))
    hours = list(range(24))
    keyed: list[tuple[datetime, int, int, Slot]] = []
    for source, event, comp, n, weights in planned:
        if n and not any(weights):
            raise DemoCorpusError(f"events.yaml: event {event.name if event else ''} has no day "
                                  f"on which source {source.name} is active; fix its dates")
        for day_index in rng.choices(range(len(days)), weights=weights, k=n):
            hour = rng.choices(hours, weights=corpus.hour_weights)[0]
            when = datetime.combine(days[day_index], time(hour, rng.randrange(60),
                                                          rng.randrange(60)), UTC)
            keyed.append((when, corpus.sources.index(source), len(keyed),
                          Slot(when, source, event, comp)))
    keyed.sort(key=lambda k: k[:3])
    return [k[3] for k in keyed]


def _curve(event: EventDef, day: date, *, last: date) -> float:
    end = event.end or last
    if not event.start <= day <= end:
        return 0.0
    t = (day - event.start).days
    if event.curve == "ramp":
        span = max((end - event.start).days, 1)
        return event.curve_from + (event.curve_to - event.curve_from) * t / span
    if event.curve == "surge":  # from: the peak on the first day; to: the floor it decays to
        return event.curve_to + (event.curve_from - event.curve_to) * math.exp(
            -t / event.decay_days)
    return 1.0


def _apportion(total: int, *, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder, ties to the first)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def source_spec(source: SourceDef) -> SourceSpec:
    """The SourceSpec ingestion needs to read this source's file."""
    mapping = {value: field for field, value in source.record if value in CANONICAL_FIELDS}
    return SourceSpec(
        name=source.name, format=source.format, description=" ".join(source.description.split()),
        origin=source.origin, language=source.language, field_mapping=mapping,
        timestamp_format=source.timestamp_format, dayfirst=source.dayfirst, timezone="UTC")


def format_timestamp(source: SourceDef, *, when: datetime) -> str | int:
    """`when` as the source's export writes it."""
    fmt = source.timestamp_format
    if fmt in ("epoch_s", "epoch_ms"):
        return int(when.timestamp()) * (1000 if fmt == "epoch_ms" else 1)
    if fmt == "iso":
        if source.utc_offset == "Z":
            return when.strftime("%Y-%m-%dT%H:%M:%SZ")
        sign = -1 if source.utc_offset.startswith("-") else 1
        hh, mm = source.utc_offset.lstrip("+-").split(":")
        zone = timezone(sign * timedelta(hours=int(hh), minutes=int(mm)))
        return when.astimezone(zone).isoformat()
    if source.unpadded:  # spreadsheet exports write 8/3/2021 7:05, not 08/03/2021 07:05
        for code, value in (("%m", when.month), ("%d", when.day), ("%H", when.hour)):
            fmt = fmt.replace(code, str(value))
    return when.strftime(fmt)


def _record(source: SourceDef, *, item: DemoItem, rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": int(item.external_id) if source.id_style == "int" else item.external_id,
        "text": item.text, "timestamp": format_timestamp(source, when=item.published),
        "author": item.author, "location": item.location or "", "language": item.language,
        "url": source.url.format(id=item.external_id, author=item.author,
                                 date=item.published.strftime("%Y/%m/%d")),
    }
    for name, spec in source.meta.items():
        values[f"meta.{name}"] = (rng.choice(spec) if isinstance(spec, tuple)
                                  else int(rng.lognormvariate(math.log(spec), 1.2)))
    record: dict[str, Any] = {}
    for field_name, value in source.record:
        *parents, leaf = field_name.split(".")
        target = record
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = values[value]
    return record


def _write_source(source: SourceDef, *, items: list[DemoItem], out_dir: Path,
                  seed: int) -> DemoFile:
    rng = random.Random(f"{seed}:{source.name}:export")
    records = [_record(source, item=item, rng=rng) for item in items]
    # Bad records copy a good record spread through the file, then break it.
    step = len(items) // (len(source.bad_records) + 1)
    bad = [_bad_record(source, kind=kind, donor=items[(j + 1) * step], seq=_BAD_SEQ + j,
                       seed=seed, rng=rng) for j, kind in enumerate(source.bad_records)]
    positions = [(j + 1) * len(records) // (len(bad) + 1) for j in range(len(bad))]
    rows: list[Any] = list(records)
    for pos, record in sorted(zip(positions, bad, strict=True), key=lambda p: -p[0]):
        rows.insert(pos, record)
    if source.format == "jsonl":
        text = "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                       for r in rows)
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        header = [f for f, _ in source.record]
        writer.writerow(header)
        for r in rows:
            writer.writerow(r if isinstance(r, list) else [r[h] for h in header])
        text = buffer.getvalue()
    path = out_dir / source.file
    data = text.encode("utf-8")
    if source.file.endswith(".gz"):  # no name, no mtime in the header: byte-identical reruns
        data = gzip.compress(data, compresslevel=6, mtime=0)
    path.write_bytes(data)
    return DemoFile(spec=source_spec(source), path=path, n_records=len(rows), n_bad=len(bad))


def _bad_record(source: SourceDef, *, kind: str, donor: DemoItem, seq: int, seed: int,
                rng: random.Random) -> dict[str, Any] | list[str] | str:
    """A deliberately malformed record, built from a good one so that it looks real."""
    record = _record(source, item=donor, rng=rng)
    fields = {value: field for field, value in source.record}
    # One millisecond on: a snowflake id can never equal a good record's (whole seconds).
    ext_id = external_id(source, seq=seq, when=donor.published + timedelta(milliseconds=1),
                         seed=seed)
    record[fields["id"]] = int(ext_id) if source.id_style == "int" else ext_id
    if "url" in fields:
        record[fields["url"]] = source.url.format(id=ext_id, author=donor.author,
                                                  date=donor.published.strftime("%Y/%m/%d"))
    text_field, ts_field = fields["text"], fields["timestamp"]
    if kind in ("empty_text", "missing_text"):
        record[text_field] = ""
        if kind == "missing_text":
            del record[text_field]
    elif kind == "future_timestamp":
        record[ts_field] = format_timestamp(source, when=donor.published.replace(year=2031))
    elif kind == "unparseable_timestamp":
        record[ts_field] = ("2021-10-15T25:61:00Z" if source.timestamp_format == "iso"
                            else "sometime in October")
    if source.format == "jsonl":
        line = json.dumps(record, ensure_ascii=False)
        return line[: len(line) * 2 // 3] if kind == "malformed_json" else record
    row = [str(record[f]) for f, _ in source.record]
    if kind == "missing_column":
        return row[:-1]
    if kind == "extra_column":
        return [*row, "unexpected"]
    return {f: v for f, v in zip([f for f, _ in source.record], row, strict=True)}


def _truth_line(item: DemoItem) -> str:
    return json.dumps({
        "source": item.source, "external_id": item.external_id,
        "published_at": item.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "language": item.language, "origin": item.origin, "focus": list(item.focus),
        "affinity": item.affinity, "narratives": list(item.narratives), "kind": item.kind,
        "events": list(item.events), "forward_of": item.forward_of,
    }, ensure_ascii=False) + "\n"
