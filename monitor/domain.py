"""Plain data types shared by every stage.

Stage packages exchange these frozen dataclasses; only `store/` knows about tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

#: The canonical item fields a source's field mapping can point at.
CANONICAL_FIELDS: tuple[str, ...] = (
    "id",
    "text",
    "timestamp",
    "author",
    "url",
    "location",
    "language",
)


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """How to read one source: its file format and how its fields map to ours.

    `field_mapping` maps a canonical field (see CANONICAL_FIELDS) to the source's own field
    name; a dotted name ("user.screen_name") reaches into nested JSON objects. Fields not
    mapped are looked up under common aliases; every other field lands in item metadata.
    `timestamp_format` is "auto", "iso", "epoch_s", "epoch_ms" or a `strptime` pattern;
    `dayfirst` settles "3/4/21" in auto mode; naive timestamps are read in `timezone`.
    `origin` is the region the source's chatter comes from (ISO 3166 code), if known.
    """

    name: str
    format: str = "auto"
    description: str = ""
    origin: str | None = None
    language: str | None = None
    field_mapping: Mapping[str, str] = field(default_factory=dict)
    timestamp_format: str = "auto"
    dayfirst: bool = False
    timezone: str = "UTC"


class RawRecord(NamedTuple):
    """One record as read from a file, before validation: a dict of fields, or an error."""

    line_no: int
    fields: Mapping[str, Any] | None
    raw_excerpt: str
    error: str | None = None
    error_detail: str = ""


class ItemDraft(NamedTuple):
    """A validated, normalised item ready to be stored.

    A NamedTuple rather than a dataclass: ingest builds one per record and may send batches of
    them between processes, and tuples are the cheapest to build and to send.
    """

    external_id: str
    text: str
    text_normalised: str
    content_hash: str
    published_at: datetime
    url: str | None
    author_pseudonym: str | None
    author_handle: str | None
    author_location: str | None
    language: str | None
    forwarded_from: str | None
    text_truncated: bool
    original_size: int
    extra: Mapping[str, Any]
    line_no: int


class Rejection(NamedTuple):
    """A record that failed validation: it goes to quarantine, never away."""

    line_no: int
    reason: str
    detail: str
    excerpt: str
