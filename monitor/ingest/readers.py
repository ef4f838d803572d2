"""Streaming readers for JSONL and CSV files (gzip too), in constant memory.

A reader never raises on a bad record: it yields a RawRecord carrying the error, so the
caller can quarantine it and go on. Readers are registered by versioned name, like every
extension point (see `monitor.ingest.registry`).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

import orjson

from monitor.domain import RawRecord
from monitor.ingest.reasons import Reason

BOM = b"\xef\xbb\xbf"
EXCERPT_CHARS = 300
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16


class Reader(Protocol):
    """Reads one open binary stream into raw records."""

    def __call__(self, stream: BinaryIO, *, max_record_bytes: int) -> Iterator[RawRecord]: ...


def decompressing(handle: BinaryIO) -> BinaryIO:
    """Wrap an open, seekable binary file, decompressing gzip (told by content, not name)."""
    magic = handle.read(2)
    handle.seek(0)
    if magic == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    return handle


def excerpt(text: str | bytes, limit: int = EXCERPT_CHARS) -> str:
    """A bounded, printable excerpt of a raw record for the quarantine."""
    if isinstance(text, bytes):
        text = text[: limit * 4].decode("utf-8", errors="backslashreplace")
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= limit else text[:limit] + "…"


def iter_lines(stream: BinaryIO, *, max_bytes: int) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, line without newline, too_long) for each line, holding at most
    `max_bytes` of one line in memory; the rest of an over-long line is skipped."""
    line_no = 0
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        line_no += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            head = line[:EXCERPT_CHARS]
            while True:  # discard up to the end of this line, chunk by chunk
                rest = stream.readline(_CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
            yield line_no, head, True
            continue
        if line_no == 1 and line.startswith(BOM):
            line = line[len(BOM) :]
        yield line_no, line.rstrip(b"\r\n"), False


def read_jsonl(stream: BinaryIO, *, max_record_bytes: int) -> Iterator[RawRecord]:
    """One JSON object per line; blank lines are not records."""
    for line_no, line, too_long in iter_lines(stream, max_bytes=max_record_bytes):
        if too_long:
            yield _error(line_no, line, Reason.RECORD_TOO_LARGE, f"over {max_record_bytes} bytes")
            continue
        if not line.strip():
            continue
        if line.startswith(BOM):  # a BOM in the middle of a concatenated file
            line = line[len(BOM) :]
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield _error(line_no, line, Reason.INVALID_UTF8, str(exc))
            continue
        if "\x00" in decoded:
            yield _error(line_no, line, Reason.NUL_BYTE, "raw NUL byte in the line")
            continue
        try:
            value = orjson.loads(decoded)
        except orjson.JSONDecodeError as exc:
            reason = (
                Reason.NUMBER_OUT_OF_RANGE
                if "number" in str(exc) and ("infinity" in str(exc) or "range" in str(exc))
                else Reason.MALFORMED_JSON
            )
            yield _error(line_no, line, reason, str(exc))
            continue
        if not isinstance(value, dict):
            yield _error(line_no, line, Reason.NOT_AN_OBJECT, f"got {type(value).__name__}")
            continue
        yield RawRecord(line_no=line_no, fields=value, raw_excerpt="")


def read_csv(stream: BinaryIO, *, max_record_bytes: int) -> Iterator[RawRecord]:
    """A header row, then one record per row (cells may span lines when quoted)."""
    state = _CsvFeed(stream, max_record_bytes=max_record_bytes)
    reader = csv.reader(state.lines())
    header: list[str] | None = None
    while True:
        state.start_record()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = (
                Reason.CSV_FIELD_TOO_LARGE if "field limit" in str(exc) else Reason.MALFORMED_CSV
            )
            yield _error(state.record_line, state.raw(), reason, str(exc))
            continue
        if state.too_long:
            yield _error(
                state.record_line, state.raw(), Reason.RECORD_TOO_LARGE,
                f"a line over {max_record_bytes} bytes",
            )
            continue
        if header is None:
            header = [name.strip() for name in row]
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        raw = state.raw()
        joined = "".join(row)
        if any("\udc80" <= char <= "\udcff" for char in joined):
            yield _error(state.record_line, raw, Reason.INVALID_UTF8, "bytes that are not UTF-8")
            continue
        if "\x00" in joined:
            yield _error(state.record_line, raw, Reason.NUL_BYTE, "NUL character in a cell")
            continue
        if len(row) != len(header):
            yield _error(
                state.record_line, raw, Reason.MALFORMED_CSV,
                f"{len(row)} cells where the header has {len(header)}",
            )
            continue
        yield RawRecord(line_no=state.record_line, fields=dict(zip(header, row, strict=True)),
                        raw_excerpt="")


class _CsvFeed:
    """Feeds decoded lines to csv.reader and remembers the current record's raw text."""

    def __init__(self, stream: BinaryIO, *, max_record_bytes: int) -> None:
        self._stream = stream
        self._max = max_record_bytes
        self._buffer: list[str] = []
        self._buffered = 0
        self.record_line = 0
        self._line_no = 0
        self.too_long = False

    def lines(self) -> Iterator[str]:
        for line_no, line, too_long in iter_lines(self._stream, max_bytes=self._max):
            self._line_no = line_no
            if not self._buffer:
                self.record_line = line_no
            self.too_long = self.too_long or too_long
            # surrogateescape keeps invalid bytes visible to the validity check above.
            text = line.decode("utf-8", errors="surrogateescape")
            if self._buffered < EXCERPT_CHARS:
                self._buffer.append(text)
                self._buffered += len(text)
            # An over-long line is fed as an empty one: its truncated head could open a quote
            # that would swallow the following rows into one record.
            yield "\n" if too_long else text + "\n"

    def start_record(self) -> None:
        self._buffer = []
        self._buffered = 0
        self.too_long = False
        self.record_line = self._line_no + 1

    def raw(self) -> str:
        return excerpt("\n".join(self._buffer).encode("utf-8", errors="surrogateescape"))


def _error(line_no: int, raw: bytes | str, reason: Reason, detail: str) -> RawRecord:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="surrogateescape")
    return RawRecord(line_no=line_no, fields=None, raw_excerpt=excerpt(raw), error=reason,
                     error_detail=detail[:500])


def detect_format(path: Path) -> str | None:
    """'jsonl' or 'csv' from the file name (a .gz suffix is looked through)."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if not suffixes:
        return None
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}.get(
        suffixes[-1]
    )
