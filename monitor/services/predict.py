"""`monitor predict`: everything the pipeline knows about input records, stored nowhere.

Reads JSONL or CSV (with the same field mapping and aliases as ingestion) or plain text lines,
and yields one JSON-ready object per input record (see `monitor.nlp.enricher.to_json`).
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, BinaryIO, cast

from monitor.classify.apply import Classifier
from monitor.domain import SourceSpec
from monitor.ingest.readers import decompressing, iter_lines
from monitor.ingest.records import Limits, Validator, truncate_utf8
from monitor.ingest.registry import get_reader
from monitor.nlp.enricher import Enricher, ItemInput, to_json

FORMATS = ("jsonl", "csv", "text")
_BATCH = 500


def predict_stream(
    stream: BinaryIO,
    *,
    fmt: str,
    enricher: Enricher,
    limits: Limits,
    max_record_bytes: int,
    field_mapping: Mapping[str, str] | None = None,
    origin: str | None = None,
    normalised: bool = False,
    classifier: Classifier | None = None,
) -> Iterator[dict[str, Any]]:
    """One result per input record, in input order. Records that cannot be read yield an
    object with `error` (and no enrichment) so that output lines still match input lines."""
    batch: list[tuple[str, ItemInput | None, str | None]] = []
    for item_id, item, error in _records(stream, fmt=fmt, limits=limits,
                                         max_record_bytes=max_record_bytes,
                                         field_mapping=field_mapping or {}, origin=origin):
        batch.append((item_id, item, error))
        if len(batch) >= _BATCH:
            yield from _run(batch, enricher, normalised, classifier)
            batch = []
    yield from _run(batch, enricher, normalised, classifier)


def _run(
    batch: list[tuple[str, ItemInput | None, str | None]],
    enricher: Enricher,
    normalised: bool,
    classifier: Classifier | None,
) -> Iterator[dict[str, Any]]:
    inputs = [item for _, item, _ in batch if item is not None]
    enriched = enricher.enrich_many(inputs)
    labelled = (iter(classifier.classify([i.text for i in inputs], enriched))
                if classifier is not None and inputs else None)
    results = iter(enriched)
    for item_id, item, error in batch:
        if item is None:
            yield {"id": item_id, "error": error}
            continue
        out = to_json(next(results), item_id=item_id, normalised=normalised)
        if labelled is not None and classifier is not None:
            out.update(next(labelled).as_json(classifier.versions))
        if error:
            out["error"] = error
        yield out


def _records(
    stream: BinaryIO,
    *,
    fmt: str,
    limits: Limits,
    max_record_bytes: int,
    field_mapping: Mapping[str, str],
    origin: str | None,
) -> Iterator[tuple[str, ItemInput | None, str | None]]:
    stream = _opened(stream)
    if fmt == "text":
        for line_no, line, too_long in iter_lines(stream, max_bytes=max_record_bytes):
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            if too_long:
                yield str(line_no), None, "record_too_large"
                continue
            yield str(line_no), ItemInput(_bounded(text, limits), source_origin=origin), None
        return
    spec = SourceSpec(name="predict", format=fmt, field_mapping=dict(field_mapping))
    validator = Validator(spec=spec, limits=limits, key=os.urandom(32), now=datetime.now(UTC))
    for raw in get_reader(fmt)(stream, max_record_bytes=max_record_bytes):
        if raw.fields is None:
            yield str(raw.line_no), None, raw.error or "unreadable"
            continue
        values = validator.canonical(raw.fields)
        item_id = values.get("id")
        label = str(item_id) if item_id not in (None, "") else str(raw.line_no)
        location = values.get("location")
        item = ItemInput(_bounded(values["text"], limits),
                         location=str(location)[:500] if location else None,
                         source_origin=origin)
        yield label[:255], item, values.get("problem")


def _opened(stream: BinaryIO) -> BinaryIO:
    """Gzip is looked through, on a file or on a pipe (which cannot seek back)."""
    if stream.seekable():
        return decompressing(stream)
    buffered: Any = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(
        cast(Any, stream))
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return cast(BinaryIO, gzip.GzipFile(fileobj=buffered))
    return cast(BinaryIO, buffered)


def _bounded(text: str, limits: Limits) -> str:
    """Cut a text to the ingest size limit (in UTF-8 bytes), as ingestion would."""
    if len(text) <= limits.max_text_bytes // 4:  # no character is over 4 bytes
        return text
    return truncate_utf8(text, limits.max_text_bytes)
