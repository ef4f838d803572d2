"""Errors a user can hit, each saying what went wrong and what to do, in one sentence.

Kept in one module (as spaCy does) so wording stays consistent and greppable.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class for errors shown to the user without a traceback."""


class ConfigError(MonitorError):
    """The settings are unusable."""


class SourceError(MonitorError):
    """A source is unknown or its definition is invalid."""


class InputError(MonitorError):
    """A file or value given on the command line is unusable."""


class SchemaError(MonitorError):
    """The database schema is missing or not at the expected revision."""


E_SECRET_MISSING = (
    "No secret key for pseudonymising authors: set MONITOR_SECRET_KEY or write one into {path} "
    "(`monitor secret init` generates one)."
)
E_SECRET_WEAK = (
    "The secret key is empty, too short or a well-known value: set MONITOR_SECRET_KEY to at "
    "least 32 random characters (`monitor secret init` generates one)."
)
E_SOURCE_UNKNOWN = "No source named {name!r}: add it with `monitor sources add {name} ...`."
E_SOURCE_EXISTS = (
    "A source named {name!r} already exists: pick another name or inspect it with "
    "`monitor sources show {name}`."
)
E_SOURCE_FORMAT = "Unknown source format {fmt!r}: use one of {known}."
E_SOURCE_FIELD = "Unknown field {field!r} in --map: map one of {known}."
E_SOURCE_TIMEZONE = "Unknown timezone {tz!r}: use an IANA name such as UTC or Asia/Kabul."
E_SOURCE_NAME = (
    "Invalid source name {name!r}: use 1 to 100 letters, digits, '_', '.' or '-', starting with "
    "a letter or digit."
)
E_FILE_UNREADABLE = (
    "Cannot read {path}: {problem}. The records before the damage were stored; repair or "
    "re-export the file and ingest it again."
)
E_SOURCE_ORIGIN = (
    "Unknown region code {code!r} for --origin: use an ISO 3166-1 alpha-2 country (TJ) or an "
    "ISO 3166-2 subdivision (AF-KDZ)."
)
E_SCHEMA_OLD = (
    "The database at {url} is not at the current schema ({current} instead of {head}): "
    "run `monitor db upgrade`."
)
E_FILE_MISSING = "No such file: {path}."
E_FILE_FORMAT = (
    "Cannot tell the format of {path}: name it .jsonl/.ndjson/.csv (optionally .gz) or set the "
    "source's format."
)
