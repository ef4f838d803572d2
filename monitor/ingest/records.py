"""Turn a raw record into a validated item draft, or a rejection with its reason.

Pure: the caller passes the source's spec, the limits, the key and the clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from monitor.domain import CANONICAL_FIELDS, ItemDraft, RawRecord, Rejection, SourceSpec
from monitor.ingest.pseudonyms import pseudonymise
from monitor.ingest.readers import excerpt
from monitor.ingest.reasons import Reason
from monitor.ingest.text import content_hash, normalise_for_matching, split_forward
from monitor.ingest.timestamps import TimestampError, parse_timestamp

#: Field names common collection tools use, tried in order when a field is not mapped.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "id_str", "message_id", "post_id", "tweet_id", "guid", "uuid"),
    "text": ("text", "full_text", "content", "message", "body", "tweet", "post"),
    "timestamp": ("timestamp", "created_at", "date", "datetime", "published", "published_at",
                  "time", "posted_at"),
    "author": ("author", "username", "user", "screen_name", "handle", "from", "sender"),
    "url": ("url", "link", "permalink", "href"),
    "location": ("location", "user_location", "author_location", "place"),
    "language": ("language", "lang"),
}
#: Keys that hold a field inside an author object found under an author alias.
NESTED: dict[str, tuple[str, ...]] = {
    "author": ("screen_name", "username", "handle", "name", "id"),
    "location": ("location",),
}
MAX_ID_CHARS = 255
MAX_URL_CHARS = 2_048
MAX_SHORT_CHARS = 255


@dataclass(frozen=True, slots=True)
class Limits:
    max_text_bytes: int
    oversize_text: str  # "truncate" | "reject"
    max_metadata_bytes: int
    future_tolerance: timedelta
    min_year: int
    store_raw_handles: bool


class Validator:
    """Validates records of one source; built once per ingest run.

    Records of one export share their field names, so where each canonical field is found
    is worked out once per distinct key set and cached, as are author pseudonyms.
    """

    def __init__(self, *, spec: SourceSpec, limits: Limits, key: bytes, now: datetime) -> None:
        self.spec = spec
        self.limits = limits
        self.key = key
        self.now = now
        self.tz: tzinfo = ZoneInfo(spec.timezone)
        self._plans: dict[tuple[tuple[str, ...], tuple[str, ...]],
                          tuple[dict[str, str], frozenset[str]]] = {}
        self._pseudonyms: dict[str, str] = {}

    def __call__(self, raw: RawRecord) -> ItemDraft | Rejection:
        if raw.fields is None:
            return Rejection(line_no=raw.line_no, reason=raw.error or Reason.MALFORMED_JSON,
                             detail=raw.error_detail, excerpt=raw.raw_excerpt)
        try:
            return self._validate(raw.line_no, raw.fields)
        except _Reject as exc:
            return Rejection(line_no=raw.line_no, reason=exc.reason, detail=exc.detail,
                             excerpt=_record_excerpt(self._redacted(raw.fields)))

    def canonical(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical fields of a record as found by the field mapping, unvalidated
        (for `monitor predict`, which stores nothing and needs no timestamp)."""
        paths, _ = self._plan(fields)
        values: dict[str, Any] = dict.fromkeys(CANONICAL_FIELDS)
        for name, path in paths.items():
            values[name] = fields[path] if path in fields else _dig(fields, path)
        try:
            values["text"] = _coerce_text(values["text"])
        except _Reject as exc:
            values["text"] = ""
            values["problem"] = exc.reason
        return values

    def _redacted(self, fields: Mapping[str, Any]) -> Mapping[str, Any]:
        """The record with its author handle replaced by the pseudonym (for the quarantine)."""
        paths, _ = self._plan(fields)
        path = paths.get("author")
        if path is None:
            return fields
        handle = _short(_dig(fields, path))
        top = path if path in fields else path.split(".", 1)[0]
        return {**fields, top: f"pseudonym:{self._pseudonym(handle)}" if handle else None}

    def _pseudonym(self, handle: str) -> str:
        found = self._pseudonyms.get(handle)
        if found is None:
            if len(self._pseudonyms) > 200_000:  # bound the cache on huge author sets
                self._pseudonyms.clear()
            found = self._pseudonyms[handle] = pseudonymise(handle, key=self.key)
        return found

    def _plan(self, fields: Mapping[str, Any]) -> tuple[dict[str, str], frozenset[str]]:
        """Which key (or dotted path) holds each canonical field, and the keys so used."""
        # Where a field is found depends on the keys and on which values are objects (a
        # "user" that is a string is the handle; an object holds it under "screen_name").
        signature = (tuple(fields), tuple(k for k, v in fields.items() if type(v) is dict))
        plan = self._plans.get(signature)
        if plan is None:
            used: set[str] = set()
            paths: dict[str, str] = {}
            for name in CANONICAL_FIELDS:
                path = self._resolve(fields, name, used)
                if path is not None:
                    paths[name] = path
            plan = (paths, frozenset(used))
            if len(self._plans) < 1_000:
                self._plans[signature] = plan
        return plan

    def _validate(self, line_no: int, fields: Mapping[str, Any]) -> ItemDraft:
        paths, used = self._plan(fields)
        values: dict[str, Any] = dict.fromkeys(CANONICAL_FIELDS)
        for name, path in paths.items():
            values[name] = fields[path] if path in fields else _dig(fields, path)

        text = _coerce_text(values["text"])
        if "\x00" in text:
            raise _Reject(Reason.NUL_BYTE, "NUL character in the text")
        original_size = len(text) if text.isascii() else len(text.encode("utf-8"))
        truncated = False
        if original_size > self.limits.max_text_bytes:
            if self.limits.oversize_text == "reject":
                raise _Reject(Reason.TEXT_TOO_LARGE,
                              f"{original_size} bytes > {self.limits.max_text_bytes}")
            text = truncate_utf8(text, self.limits.max_text_bytes)
            truncated = True

        published_at = self._timestamp(values["timestamp"])
        author = _short(values["author"])
        forwarded_handle, core = split_forward(text)
        normalised = normalise_for_matching(text)
        extra = self._metadata(fields, used)
        if forwarded_handle:
            extra["forwarded_from"] = self._pseudonym(forwarded_handle)
        return ItemDraft(
            external_id=self._external_id(values["id"], text=text, ts=values["timestamp"],
                                          author=author),
            text=text,
            text_normalised=normalised,
            content_hash=content_hash(normalise_for_matching(core) if forwarded_handle
                                      else normalised),
            published_at=published_at,
            url=_short(values["url"], MAX_URL_CHARS),
            author_pseudonym=self._pseudonym(author) if author else None,
            author_handle=author if (author and self.limits.store_raw_handles) else None,
            author_location=_short(values["location"]),
            language=(_short(values["language"], 20) or self.spec.language or None),
            forwarded_from=extra.get("forwarded_from"),
            text_truncated=truncated,
            original_size=original_size,
            extra=extra,
            line_no=line_no,
        )

    def _resolve(self, fields: Mapping[str, Any], name: str, used: set[str]) -> str | None:
        mapped = self.spec.field_mapping.get(name)
        if mapped:
            # A nested object (user.screen_name) stays out of metadata whole: it holds handles.
            used.add(mapped.split(".", 1)[0] if mapped not in fields else mapped)
            return mapped
        for alias in ALIASES[name]:
            if alias not in fields or alias in used:
                continue
            value = fields[alias]
            if isinstance(value, dict) and name in NESTED:
                # An author object ({"user": {"screen_name": …}}): look inside, and keep the
                # whole object out of metadata, since it holds the raw handle.
                inner = next((key for key in NESTED[name] if key in value), None)
                if inner is None:
                    continue
                if name == "author":
                    used.add(alias)
                return f"{alias}.{inner}"
            used.add(alias)
            return alias
        if name == "location":  # the author's declared location inside an author object
            for alias in ALIASES["author"]:
                value = fields.get(alias)
                if isinstance(value, dict) and "location" in value:
                    return f"{alias}.location"
        return None

    def _timestamp(self, value: Any) -> datetime:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _Reject(Reason.MISSING_TIMESTAMP, "no timestamp field or an empty one")
        try:
            moment = parse_timestamp(value, fmt=self.spec.timestamp_format,
                                     dayfirst=self.spec.dayfirst, tz=self.tz)
        except TimestampError as exc:
            raise _Reject(Reason.BAD_TIMESTAMP, str(exc)) from exc
        if moment > self.now + self.limits.future_tolerance:
            raise _Reject(Reason.FUTURE_TIMESTAMP, f"{moment.isoformat()} is in the future")
        if moment.year < self.limits.min_year:
            raise _Reject(Reason.ANCIENT_TIMESTAMP, f"{moment.isoformat()} is before "
                          f"{self.limits.min_year}")
        return moment

    def _metadata(self, fields: Mapping[str, Any], used: frozenset[str]) -> dict[str, Any]:
        extra = {k: v for k, v in fields.items() if k not in used and v is not None and v != ""}
        if not extra:
            return {}
        size = len(_dumps(extra))
        if size > self.limits.max_metadata_bytes:
            return {"_metadata_dropped": f"{size} bytes > {self.limits.max_metadata_bytes}",
                    "_metadata_keys": [str(k)[:100] for k in list(extra)[:50]]}
        return extra

    def _external_id(self, value: Any, *, text: str, ts: Any, author: str | None) -> str:
        if value is not None and not isinstance(value, dict | list) and str(value).strip():
            external = str(value).strip()
            if len(external) <= MAX_ID_CHARS:
                return external
            return "sha256:" + hashlib.sha256(external.encode()).hexdigest()
        # No id in the export: derive a stable one so a re-run recognises the record.
        basis = _dumps([str(ts), author or "", text])
        return "content:" + hashlib.sha256(basis).hexdigest()[:40]


class _Reject(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _dig(fields: Mapping[str, Any], path: str) -> Any:
    if path in fields:
        return fields[path]
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _coerce_text(value: Any) -> str:
    if value is None:
        raise _Reject(Reason.MISSING_TEXT, "no text field")
    if isinstance(value, str):
        text = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, list):
        # Telegram exports: a list of plain strings and entity objects with "text".
        parts = [p if isinstance(p, str) else p.get("text") if isinstance(p, dict) else None
                 for p in value]
        if any(not isinstance(p, str) for p in parts):
            raise _Reject(Reason.INVALID_TEXT, "a text list with parts that are not text")
        text = "".join(p for p in parts if isinstance(p, str))
    else:
        raise _Reject(Reason.INVALID_TEXT, f"text is a {type(value).__name__}")
    if not text.strip():
        raise _Reject(Reason.MISSING_TEXT, "the text is empty or whitespace")
    return text


def truncate_utf8(text: str, limit: int) -> str:
    """Cut a text to at most `limit` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _short(value: Any, limit: int = MAX_SHORT_CHARS) -> str | None:
    if type(value) is str:  # the common case first: this runs four times per record
        text = value.strip()
    elif value is None or isinstance(value, dict | list | bool):
        return None
    else:
        text = str(value).strip()
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text[:limit] or None


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # e.g. integers beyond 64 bits, which orjson refuses
        return json.dumps(value, default=str, ensure_ascii=False).encode("utf-8", "replace")


def _record_excerpt(fields: Mapping[str, Any]) -> str:
    return excerpt(_dumps(fields))
