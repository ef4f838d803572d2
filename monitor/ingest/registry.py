"""The readers registry: file formats by versioned name, built-ins registered like plug-ins.

A third-party package adds a reader through the `monitor_readers` entry-point group.
"""

from __future__ import annotations

import catalogue

from monitor.ingest.readers import Reader, read_csv, read_jsonl

readers = catalogue.create("monitor", "readers", entry_points=True)

readers.register("jsonl.v1", func=read_jsonl)
readers.register("csv.v1", func=read_csv)

#: Short format names users type, and the reader each stands for.
FORMAT_ALIASES = {"jsonl": "jsonl.v1", "csv": "csv.v1"}


def get_reader(fmt: str) -> Reader:
    """The reader for a format name ("jsonl", "csv" or a versioned registry name)."""
    reader: Reader = readers.get(FORMAT_ALIASES.get(fmt, fmt))
    return reader


def known_formats() -> list[str]:
    return ["auto", *FORMAT_ALIASES, *sorted(readers.get_all())]
