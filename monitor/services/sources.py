"""Sources: add, list, show."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from sqlalchemy import Engine

from monitor.domain import CANONICAL_FIELDS, SourceSpec
from monitor.errors import (
    E_SOURCE_EXISTS,
    E_SOURCE_FIELD,
    E_SOURCE_FORMAT,
    E_SOURCE_NAME,
    E_SOURCE_ORIGIN,
    E_SOURCE_TIMEZONE,
    E_SOURCE_UNKNOWN,
    SourceError,
)
from monitor.ingest.registry import known_formats
from monitor.store import queries
from monitor.store.engine import session_scope
from monitor.store.tables import SourceRecord

# Names are typed on command lines and shown in tables: keep them to plain characters.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")


def validate_spec(spec: SourceSpec) -> None:
    """Refuse a spec the ingest could not use, with a message that says what to fix."""
    if spec.format not in known_formats():
        raise SourceError(E_SOURCE_FORMAT.format(fmt=spec.format, known=", ".join(known_formats())))
    for name in spec.field_mapping:
        if name not in CANONICAL_FIELDS:
            raise SourceError(E_SOURCE_FIELD.format(field=name, known=", ".join(CANONICAL_FIELDS)))
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SourceError(E_SOURCE_TIMEZONE.format(tz=spec.timezone)) from exc
    if spec.origin is not None and not is_region_code(spec.origin):
        raise SourceError(E_SOURCE_ORIGIN.format(code=spec.origin))
    if not _NAME.fullmatch(spec.name):
        raise SourceError(E_SOURCE_NAME.format(name=spec.name))


def is_region_code(code: str) -> bool:
    """An ISO 3166-1 alpha-2 country or ISO 3166-2 subdivision code (pycountry's data)."""
    if "-" in code:
        return pycountry.subdivisions.get(code=code) is not None
    return pycountry.countries.get(alpha_2=code) is not None


def add_source(engine: Engine, *, spec: SourceSpec, exist_ok: bool = False) -> SourceSpec:
    """Store a new source; with `exist_ok`, an existing one of that name is kept as it is."""
    validate_spec(spec)
    with session_scope(engine) as session:
        existing = queries.get_source(session, spec.name)
        if existing is not None:
            if exist_ok:
                return spec_of(existing)
            raise SourceError(E_SOURCE_EXISTS.format(name=spec.name))
        session.add(
            SourceRecord(
                name=spec.name,
                kind="file",
                format=spec.format,
                description=spec.description,
                origin=spec.origin,
                language=spec.language,
                field_mapping=dict(spec.field_mapping),
                timestamp_format=spec.timestamp_format,
                dayfirst=spec.dayfirst,
                timezone=spec.timezone,
                created_at=datetime.now(tz=UTC),
            )
        )
    return spec


def get_spec(engine: Engine, *, name: str) -> SourceSpec:
    with session_scope(engine) as session:
        record = queries.get_source(session, name)
        if record is None:
            raise SourceError(E_SOURCE_UNKNOWN.format(name=name))
        return spec_of(record)


def spec_of(record: SourceRecord) -> SourceSpec:
    return SourceSpec(
        name=record.name,
        format=record.format,
        description=record.description,
        origin=record.origin,
        language=record.language,
        field_mapping=dict(record.field_mapping),
        timestamp_format=record.timestamp_format,
        dayfirst=record.dayfirst,
        timezone=record.timezone,
    )


def list_sources(engine: Engine) -> list[tuple[SourceSpec, int, datetime | None]]:
    """Every source with its item count and latest item time."""
    with session_scope(engine) as session:
        rows = queries.list_sources_with_counts(session)
        return [(spec_of(s), n, latest) for s, n, latest in rows]
