"""Load and check the demo stream's data files (corpora/demo/*.yaml).

Sources, planted events, template phrases and slot values are data so that analysts can read
and edit them; every problem is reported with the file and entry at fault.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpora" / "demo"

# The codebook's labels (shared/CODEBOOK.md), plus the demo's own item kinds.
KINDS = ("news", "analysis", "statement", "counter", "victim", "rights", "chatter", "aligned")
AFFINITIES = ("none", "isis", "taliban", "al_qaeda", "haqqani", "ttp", "other_jihadist")
NARRATIVES = ("anti_shia_sectarian", "taliban_sold_out", "defection_appeal",
              "foreign_fighter_mobilization")
EVENT_KINDS = ("surge", "ramp", "coverage_change")
CURVES = ("flat", "ramp", "surge")
ID_STYLES = ("pattern", "int", "snowflake", "hex")
BAD_RECORDS = {
    "jsonl": ("malformed_json", "empty_text", "missing_text", "future_timestamp",
              "unparseable_timestamp"),
    "csv": ("missing_column", "extra_column", "empty_text", "future_timestamp",
            "unparseable_timestamp"),
}
#: `{name}` or `{name?}` (rendered about half the time) inside a template text.
SLOT_RE = re.compile(r"\{([A-Za-z][A-Za-z0-9_-]*)(\??)\}")
#: `[one|two|three]`: the renderer picks one alternative.
ALT_RE = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")
#: Slots the renderer fills itself rather than from a pool, a place or the names table.
BUILTIN_SLOTS = ("n", "k", "handle", "url", "tag", "emoji")
_CODE_RE = re.compile(r"^[A-Z]{2}(-[A-Z]{2,3})?$")


class DemoCorpusError(ValueError):
    """A demo data file is missing or malformed; the message names the file, entry and fix."""


class Reader:
    """A view of one YAML mapping that names its file and path in every error."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise DemoCorpusError(f"{where}: expected a mapping, got {type(data).__name__}")
        self.data, self.where = data, where

    def error(self, key: str, problem: str) -> DemoCorpusError:
        """An error about `key` of this mapping."""
        return DemoCorpusError(f"{self.where}.{key}: {problem}")

    def get(self, key: str, *, types: type | tuple[type, ...], default: Any = ...) -> Any:
        """The value under `key`, of one of `types`; missing keys take `default` if given."""
        if key not in self.data or self.data[key] is None:
            if default is ...:
                raise self.error(key, "is required")
            return default
        value, allowed = self.data[key], types if isinstance(types, tuple) else (types,)
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            names = " or ".join(t.__name__ for t in allowed)
            raise self.error(key, f"expected {names}, got {type(value).__name__} {value!r}")
        return value

    def text(self, key: str, *, default: Any = ...) -> Any:
        """A string value."""
        return self.get(key, types=str, default=default)

    def number(self, key: str, *, low: float = 0.0, high: float = 1e9, default: Any = ...) -> float:
        """A number within [low, high]."""
        value = float(self.get(key, types=(int, float), default=default))
        if not low <= value <= high:
            raise self.error(key, f"{value} is outside [{low}, {high}]")
        return value

    def count(self, key: str, *, low: int = 0, default: Any = ...) -> int:
        """An integer of at least `low`."""
        value = int(self.get(key, types=int, default=default))
        if value < low:
            raise self.error(key, f"{value} is below {low}")
        return value

    def day(self, key: str, *, default: Any = ...) -> Any:
        """A YYYY-MM-DD date."""
        value = self.get(key, types=(date, str), default=default)
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError as exc:
                raise self.error(key, f"{value!r} is not a YYYY-MM-DD date") from exc
        return value

    def one_of(self, key: str, *, allowed: tuple[str, ...], default: Any = ...) -> Any:
        """A string among `allowed`."""
        value = self.text(key, default=default)
        if value not in allowed and value is not None:
            raise self.error(key, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def texts(self, key: str, *, default: Any = ...) -> list[str]:
        """A list of strings."""
        value = self.get(key, types=list, default=default)
        if not all(isinstance(v, str) for v in value):
            raise self.error(key, "expected a list of strings")
        return list(value)

    def variants_of(self, key: str) -> list[str]:
        """One string or a non-empty list of variants."""
        value = self.get(key, types=(str, list))
        values = [value] if isinstance(value, str) else value
        if not values or not all(isinstance(v, str) for v in values):
            raise self.error(key, "expected a string or a non-empty list of strings")
        return list(values)

    def weights(self, key: str | None = None) -> dict[str, float]:
        """A mapping of names to non-negative numbers (the whole mapping when key is None)."""
        data = self.data if key is None else self.get(key, types=dict)
        where = self.where if key is None else f"{self.where}.{key}"
        out: dict[str, float] = {}
        for name, weight in data.items():
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
                raise DemoCorpusError(f"{where}.{name}: expected a non-negative number")
            out[self.name(name)] = float(weight)
        if not any(out.values()):
            raise DemoCorpusError(f"{where}: needs at least one positive weight")
        return out

    def sub(self, key: str, *, default: Any = ...) -> Reader:
        """A nested mapping."""
        return Reader(self.get(key, types=dict, default=default), f"{self.where}.{key}")

    def mapping(self, key: str) -> dict[str, Reader]:
        """A mapping whose values are mappings, keyed by name."""
        return {self.name(k): Reader(v, f"{self.where}.{key}.{k}")
                for k, v in self.get(key, types=dict).items()}

    def items(self, key: str, *, min_len: int = 0) -> Iterator[Reader]:
        """A list of mappings."""
        values = self.get(key, types=list, default=[])
        if len(values) < min_len:
            raise self.error(key, f"needs at least {min_len} entries")
        for i, value in enumerate(values):
            yield Reader(value, f"{self.where}.{key}[{i}]")

    def keys(self) -> list[str]:
        """The keys of this mapping, as strings."""
        return [self.name(k) for k in self.data]

    def name(self, key: Any) -> str:
        """A mapping key as a string; YAML turns bare No/Yes/null keys into other types."""
        if isinstance(key, bool) or key is None:
            raise self.error(str(key), "YAML read this key as yes/no/null; put it in quotes")
        return str(key)


@dataclass(frozen=True, slots=True)
class Place:
    """A place a template can name: its ISO codes and its name(s) in each language."""

    key: str
    codes: tuple[str, ...]
    names: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Template:
    """One phrase with slots, and the truth every rendering of it carries."""

    id: str
    language: str
    kind: str
    affinity: str
    narratives: tuple[str, ...]
    focus: tuple[str, ...]
    tags: tuple[str, ...]
    text: str
    slots: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class MixEntry:
    """A weighted filter over templates: the share of a source's items drawn from them."""

    weight: float
    kind: str | None = None
    affinity: str | None = None
    narrative: str | None = None
    tag: str | None = None

    def matches(self, template: Template) -> bool:
        """Whether `template` passes every filter this entry sets."""
        return ((self.kind is None or template.kind == self.kind)
                and (self.affinity is None or template.affinity == self.affinity)
                and (self.narrative is None or self.narrative in template.narratives)
                and (self.tag is None or self.tag in template.tags))

    def describe(self) -> str:
        """The filter as YAML-ish text, for error messages."""
        parts = [f"{k}: {getattr(self, k)}" for k in ("kind", "affinity", "narrative", "tag")
                 if getattr(self, k) is not None]
        return "{" + ", ".join(parts) + "}"


@dataclass(frozen=True, slots=True)
class Location:
    """A free-text location an author may declare, the region it means, its likely languages."""

    text: str
    code: str | None
    langs: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class AuthorsDef:
    """Who posts in a source: fixed channels/outlets, or a generated pool of handles."""

    channels: tuple[tuple[str, bool, tuple[str, ...]], ...]  # (handle, aligned, languages)
    count: int
    aligned_share: float
    patterns: tuple[str, ...]
    words: tuple[str, ...]
    aligned_words: tuple[str, ...]
    location_tilt: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class SourceDef:
    """One demo source: its file's shape (for SourceSpec) and what it carries (for generation)."""

    name: str
    file: str
    format: str
    description: str
    origin: str | None
    language: str | None
    timestamp_format: str
    utc_offset: str
    unpadded: bool
    dayfirst: bool
    start: date
    share: float
    forwards: float
    languages: tuple[tuple[str, float], ...]
    record: tuple[tuple[str, str], ...]  # (file field, value), value canonical or "meta.x"
    id_style: str
    id_pattern: str
    url: str
    meta: Mapping[str, tuple[str, ...] | float]  # a list to pick from, or a count scale
    mix: tuple[MixEntry, ...]
    bad_records: tuple[str, ...]
    weekday: tuple[float, ...]
    authors: AuthorsDef


@dataclass(frozen=True, slots=True)
class ComponentDef:
    """The part of a planted event that one source carries."""

    source: str
    weight: float
    mix: tuple[MixEntry, ...]
    languages: tuple[tuple[str, float], ...] | None
    pools: Mapping[str, tuple[str, ...]]
    require_focus: tuple[str, ...]
    origin: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventDef:
    """A planted event: what it is, when, and the items it adds to the stream."""

    name: str
    kind: str
    description: str
    start: date
    end: date | None
    labels: tuple[str, ...]
    focus: tuple[str, ...]
    origin: tuple[str, ...]
    share: float
    curve: str
    curve_from: float
    curve_to: float
    decay_days: float
    source: str | None
    components: tuple[ComponentDef, ...]


@dataclass(frozen=True, slots=True)
class TextBank:
    """Slot values and surface noise shared by every template (from slots.yaml)."""

    languages: tuple[str, ...]
    pools: Mapping[str, tuple[tuple[str, float], ...]]
    names: Mapping[str, Mapping[str, tuple[str, ...]]]
    hashtags: Mapping[str, Mapping[str, tuple[str, ...]]]
    emoji: Mapping[str, tuple[str, ...]]
    prefixes: Mapping[str, Mapping[str, tuple[str, ...]]]
    suffixes: Mapping[str, Mapping[str, tuple[str, ...]]]
    urls: tuple[str, ...]
    slugs: tuple[str, ...]
    handles: tuple[str, ...]
    variants: Mapping[str, tuple[str, ...]]
    obfuscation_chance: Mapping[str, float]
    typo_chance: Mapping[str, float]
    zero_width_chance: float
    prefix_chance: float
    suffix_chance: float
    extras: Mapping[str, Mapping[str, float]]
    locations: tuple[Location, ...]


@dataclass(frozen=True, slots=True)
class DemoCorpus:
    """Everything the generator needs, checked: window, sources, events, templates, slots."""

    directory: Path
    start: date
    days: int
    hour_weights: tuple[float, ...]
    places: Mapping[str, Place]
    templates: tuple[Template, ...]
    sources: tuple[SourceDef, ...]
    events: tuple[EventDef, ...]
    bank: TextBank

    def source(self, name: str) -> SourceDef:
        """The source called `name` (names were checked at load time)."""
        return next(s for s in self.sources if s.name == name)


def read_yaml(path: Path) -> Any:
    """A YAML file's data (safe_load), or a DemoCorpusError saying what is wrong with it."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise DemoCorpusError(f"{path}: missing; restore it from corpora/demo") from exc
    except yaml.YAMLError as exc:
        raise DemoCorpusError(f"{path.name}: not valid YAML ({exc}); fix the syntax") from exc


def check_unique(names: list[str], *, what: str) -> None:
    """Raise a DemoCorpusError when a name appears twice."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DemoCorpusError(f"{what} {name!r} appears twice; make it unique")
        seen.add(name)


def read_text_bank(*, corpus_dir: Path) -> tuple[dict[str, Place], list[Template], TextBank]:
    """Places, templates and slot values: slots.yaml and every templates_*.yaml file."""
    places, bank = _read_slots(Reader(read_yaml(corpus_dir / "slots.yaml"), "slots.yaml"))
    files = sorted(corpus_dir.glob("templates_*.yaml"))
    if not files:
        raise DemoCorpusError(f"{corpus_dir}: no templates_*.yaml files; restore corpora/demo")
    templates = [t for path in files for t in _read_templates(
        Reader(read_yaml(path), path.name), places=places, bank=bank)]
    return places, templates, bank


def _read_slots(doc: Reader) -> tuple[dict[str, Place], TextBank]:
    langs = tuple(doc.texts("languages"))
    places: dict[str, Place] = {}
    for key, entry in doc.mapping("places").items():
        if not key[:1].isupper():
            raise doc.error(f"places.{key}", "place keys start with a capital letter")
        codes = tuple(entry.texts("codes"))
        check_codes(entry, key="codes", codes=codes)
        places[key] = Place(key, codes, {lang: tuple(entry.variants_of(lang)) for lang in langs})
    pools: dict[str, tuple[tuple[str, float], ...]] = {}
    for name, pool in doc.mapping("pools").items():
        pools[name] = tuple(pool.weights().items())
        check_places(pool, places=places, keys=[k for k, _ in pools[name]])
    names = {group: {lang: tuple(per.variants_of(lang)) for lang in langs}
             for group, per in doc.mapping("names").items()}
    tags = {lang: {cat: tuple(t.texts(cat)) for cat in t.keys()}
            for lang, t in doc.mapping("hashtags").items()}
    if missing := [lang for lang in langs if "general" not in tags.get(lang, {})]:
        raise doc.error("hashtags", f"needs a `general` list for {', '.join(missing)}")
    emoji, obf = doc.sub("emoji"), doc.sub("obfuscation")
    variants = obf.sub("variants")
    locations = []
    for loc in doc.items("locations", min_len=1):
        code = loc.text("code", default=None)
        if code is not None:
            check_codes(loc, key="code", codes=(code,))
        locations.append(Location(loc.get("text", types=str, default=""), code,
                                  tuple(loc.texts("langs", default=[])),
                                  loc.number("weight", default=1.0)))
    for kind, extra in doc.mapping("extras").items():
        if kind not in KINDS or not set(extra.keys()) <= {"tag", "emoji", "url"}:
            raise doc.error(f"extras.{kind}", "use a kind, then chances for tag, emoji or url")
    bank = TextBank(
        languages=langs, pools=pools, names=names, hashtags=tags,
        emoji={cat: tuple(emoji.texts(cat)) for cat in emoji.keys()},
        prefixes=_per_language(doc, key="prefixes"), suffixes=_per_language(doc, key="suffixes"),
        urls=tuple(doc.texts("urls")), slugs=tuple(doc.texts("slugs")),
        handles=tuple(doc.texts("handles")),
        variants={k: tuple(variants.variants_of(k)) for k in variants.keys()},
        obfuscation_chance=obf.weights("chance"), typo_chance=obf.weights("typo_chance"),
        zero_width_chance=obf.number("zero_width_chance", high=1.0),
        prefix_chance=doc.number("prefix_chance", high=1.0),
        suffix_chance=doc.number("suffix_chance", high=1.0), locations=tuple(locations),
        extras={kind: e.weights() for kind, e in doc.mapping("extras").items()},
    )
    return places, bank


def _per_language(doc: Reader, *, key: str) -> dict[str, dict[str, tuple[str, ...]]]:
    return {lang: {kind: tuple(p.texts(kind)) for kind in p.keys()}
            for lang, p in doc.mapping(key).items()}


def check_codes(doc: Reader, *, key: str, codes: tuple[str, ...]) -> None:
    """Raise unless every code looks like ISO 3166 (AF) or ISO 3166-2 (AF-KDZ)."""
    for code in codes:
        if not _CODE_RE.match(code):
            raise doc.error(key, f"{code!r} is not an ISO 3166 code like AF or AF-KDZ")


def check_places(doc: Reader, *, places: Mapping[str, Place], keys: list[str]) -> None:
    """Raise unless every key names a place in slots.yaml."""
    for key in keys:
        if key not in places:
            raise doc.error(key, "is not a key under `places` in slots.yaml")


def _read_templates(doc: Reader, *, places: Mapping[str, Place], bank: TextBank) -> list[Template]:
    lang = doc.text("language")
    if lang not in bank.languages:
        raise doc.error("language", f"{lang!r} is not listed under `languages` in slots.yaml")
    names = sorted({n for p in places.values() for n in p.names[lang]}, key=len, reverse=True)
    literal = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)")
    out: list[Template] = []
    for i, entry in enumerate(doc.items("templates", min_len=1)):
        kind = entry.one_of("kind", allowed=KINDS)
        affinity = entry.one_of("affinity", allowed=AFFINITIES, default="none")
        narratives = tuple(entry.texts("narratives", default=[]))
        if unknown := [n for n in narratives if n not in NARRATIVES]:
            raise entry.error("narratives", f"{unknown} not in {', '.join(NARRATIVES)}")
        if (kind == "aligned") != (affinity != "none"):
            raise entry.error("affinity", "kind `aligned` goes with a group affinity, and only it")
        if kind not in ("aligned", "chatter") and narratives:
            raise entry.error("narratives", f"a {kind} item carries no narrative (see CODEBOOK)")
        focus = tuple(entry.texts("focus", default=[]))
        check_codes(entry, key="focus", codes=focus)
        text = entry.text("text")
        if len(text) > 240:
            raise entry.error("text", f"{len(text)} characters; keep templates under 240")
        slots = tuple(m.group(1) for m in SLOT_RE.finditer(text))
        for slot in slots:
            if not (slot in BUILTIN_SLOTS or slot in bank.pools or slot in bank.names
                    or slot in places):
                raise entry.error("text", f"unknown slot {{{slot}}}; see slots.yaml for the list")
        if hit := literal.search(SLOT_RE.sub(" ", text)):
            raise entry.error("text", f"names the place {hit.group(0)!r} literally; write its "
                              "slot (e.g. {Kabul}) so that the item's focus is recorded")
        out.append(Template(f"{lang}-{i + 1:03d}", lang, kind, affinity, narratives, focus,
                            tuple(entry.texts("tags", default=[])), text, slots,
                            entry.number("weight", default=1.0)))
    return out


def read_mix(doc: Reader, *, key: str) -> tuple[MixEntry, ...]:
    """A list of weighted template filters (kind, affinity, narrative, tag)."""
    mix = []
    for entry in doc.items(key, min_len=1):
        mix.append(MixEntry(
            weight=entry.number("weight"), kind=entry.one_of("kind", allowed=KINDS, default=None),
            affinity=entry.one_of("affinity", allowed=AFFINITIES, default=None),
            narrative=entry.one_of("narrative", allowed=NARRATIVES, default=None),
            tag=entry.text("tag", default=None)))
    return tuple(mix)
