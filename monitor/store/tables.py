"""The database tables (SQLAlchemy 2.0 typed declarative). Created only by Alembic migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from monitor.store.types import BigIntKey, UTCDateTime

# Named constraints, so migrations can drop and alter them by name on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime}


class SourceRecord(Base):
    """A configured source: where items come from and how its files are read."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(50), default="file")
    format: Mapped[str] = mapped_column(String(20), default="auto")
    description: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str | None] = mapped_column(String(10))
    language: Mapped[str | None] = mapped_column(String(20))
    field_mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timestamp_format: Mapped[str] = mapped_column(String(100), default="auto")
    dayfirst: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime]


class IngestRunRecord(Base):
    """One `monitor ingest` invocation over one or more files, with its counters."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))  # running | completed | failed | interrupted
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime]
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    n_read: Mapped[int] = mapped_column(Integer, default=0)
    n_inserted: Mapped[int] = mapped_column(Integer, default=0)
    n_duplicates: Mapped[int] = mapped_column(Integer, default=0)
    n_near_duplicates: Mapped[int] = mapped_column(Integer, default=0)
    n_truncated: Mapped[int] = mapped_column(Integer, default=0)
    n_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    quarantined_by_reason: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class ItemRecord(Base):
    """One collected item. `text` is verbatim; `text_normalised` is only for matching."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_items_published_at", "published_at"),
        Index("ix_items_content_hash", "content_hash"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    text_normalised: Mapped[str] = mapped_column(Text)
    text_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    original_size: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    original_id: Mapped[int | None] = mapped_column(
        BigIntKey, ForeignKey("items.id", ondelete="SET NULL"), index=True
    )
    duplicate_kind: Mapped[str | None] = mapped_column(String(20))  # exact | forward
    published_at: Mapped[datetime]
    collected_at: Mapped[datetime]
    url: Mapped[str | None] = mapped_column(Text)
    # Not indexed yet: every index on a random key (a hash) costs ingest throughput on
    # SQLite, so one is added by migration when a query needs it.
    author_pseudonym: Mapped[str | None] = mapped_column(String(64))
    author_handle: Mapped[str | None] = mapped_column(String(255))
    author_location: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(20))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ingest_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("ingest_runs.id", ondelete="SET NULL")
    )


class QuarantineRecord(Base):
    """A record that failed validation, kept with the reason so a person can see why."""

    __tablename__ = "quarantined_records"
    __table_args__ = (UniqueConstraint("source_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    ingest_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("ingest_runs.id", ondelete="SET NULL")
    )
    file_name: Mapped[str] = mapped_column(Text)
    line_no: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(50), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class RegionRecord(Base):
    """A region code with its name and what it rolls up to (filled by enrichment)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(10))  # province | country | macro
    country: Mapped[str | None] = mapped_column(String(2))
    macro: Mapped[str | None] = mapped_column(String(12))


class ItemEnrichmentRecord(Base):
    """What enrichment found for one item; its presence marks the item as enriched."""

    __tablename__ = "item_enrichments"
    __table_args__ = (Index("ix_item_enrichments_language", "language"),)

    item_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8))
    language_confidence: Mapped[float] = mapped_column(Float)
    language_method: Mapped[str] = mapped_column(String(20))
    script: Mapped[str] = mapped_column(String(8))
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin_hint: Mapped[list[str]] = mapped_column(JSON, default=list)
    n_focus: Mapped[int] = mapped_column(Integer, default=0)
    n_cues: Mapped[int] = mapped_column(Integer, default=0)
    enrich_version: Mapped[str] = mapped_column(String(40), index=True)
    enriched_at: Mapped[datetime]


class ItemRegionRecord(Base):
    """One region of an item: a focus mention (with its span) or the item's origin."""

    __tablename__ = "item_regions"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(8))  # focus | origin
    code: Mapped[str] = mapped_column(String(12), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    macro: Mapped[str | None] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(16))  # country | province | city | … | source
    via: Mapped[str] = mapped_column(String(20))  # text | source | author_location
    place: Mapped[str | None] = mapped_column(String(64))
    span_start: Mapped[int | None] = mapped_column(Integer)
    span_end: Mapped[int | None] = mapped_column(Integer)
    surface: Mapped[str | None] = mapped_column(String(255))
    name_language: Mapped[str | None] = mapped_column(String(8))


class ItemCueRecord(Base):
    """One codebook term found in an item: a group alias or a framing cue, with its span."""

    __tablename__ = "item_cues"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))  # group | narrative
    label: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(8))  # alias | cue
    term: Mapped[str] = mapped_column(String(255))
    term_language: Mapped[str] = mapped_column(String(8))
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    surface: Mapped[str] = mapped_column(String(255))


class ItemEmbeddingRecord(Base):
    """An item's sentence embedding, kept for reuse (float16 bytes: 768 bytes for 384 dims)."""

    __tablename__ = "item_embeddings"

    item_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(100))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class ItemClassificationRecord(Base):
    """One task's result for one item: every label's calibrated score, and the model."""

    __tablename__ = "item_classifications"
    __table_args__ = (Index("ix_item_classifications_model_version", "model_version"),)

    item_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    task: Mapped[str] = mapped_column(String(12), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(100))
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    why: Mapped[dict[str, Any]] = mapped_column(default=dict)
    classified_at: Mapped[datetime]


class ItemLabelRecord(Base):
    """A label an item was given (affinity: exactly one, `none` included; narratives: each
    one above its threshold) — what trends count."""

    __tablename__ = "item_labels"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    task: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(100))
