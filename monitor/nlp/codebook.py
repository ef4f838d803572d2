"""The codebook as data: groups (affinity labels) and narratives, with multilingual terms.

`corpora/codebook.yaml` is validated on load; a bad entry stops with a message that names the
file, the entry and the field. Adding a group or a narrative to the file is all it takes for
enrichment (and the stages after it) to use it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.errors import ConfigError

CORPORA_DIR = Path(__file__).resolve().parent.parent.parent / "corpora"
CODEBOOK_PATH = CORPORA_DIR / "codebook.yaml"

LANGUAGES = ("en", "ar", "fa", "ps", "ur", "ru", "tg", "uz", "id")
NONE_LABEL = "none"

_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

Terms = dict[str, list[Annotated[str, Field(min_length=1, max_length=120)]]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Strict):
    """A group or a narrative: what it means, and the words that point to it."""

    id: str
    name: str = Field(min_length=1)
    definition: str = Field(min_length=10)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    aliases: Terms = Field(default_factory=dict)
    cues: Terms = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                "must be lower-case snake_case, 2-41 characters, e.g. isis or al_qaeda"
            )
        return value

    @field_validator("aliases", "cues")
    @classmethod
    def _known_languages(cls, value: Terms) -> Terms:
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise ValueError(
                f"unknown language code(s) {', '.join(unknown)}; use {', '.join(LANGUAGES)}"
            )
        for language, terms in value.items():
            folded = [t.strip().casefold() for t in terms]
            duplicates = sorted({t for t in folded if folded.count(t) > 1})
            if duplicates:
                raise ValueError(f"{language}: duplicate term(s) {', '.join(duplicates)}")
        return value

    def terms(self) -> list[tuple[str, str, str]]:
        """(role, language, term) for every alias and cue; role is 'alias' or 'cue'."""
        found = [("alias", lang, term) for lang, terms in self.aliases.items() for term in terms]
        found += [("cue", lang, term) for lang, terms in self.cues.items() for term in terms]
        return found


class Codebook(_Strict):
    version: str = Field(min_length=1)
    languages: list[str] = Field(default_factory=lambda: list(LANGUAGES))
    groups: list[Entry]
    narratives: list[Entry]
    digest: str = ""  # filled by the loader: a hash of the file's content

    @model_validator(mode="after")
    def _consistent(self) -> Codebook:
        seen: set[str] = set()
        for entry in [*self.groups, *self.narratives]:
            if entry.id in seen:
                raise ValueError(f"id {entry.id!r} is used twice; every group and narrative "
                                 "needs its own id")
            seen.add(entry.id)
        if NONE_LABEL not in {g.id for g in self.groups}:
            raise ValueError("groups must include 'none' (items with no supportive stance)")
        if any(n.id == NONE_LABEL for n in self.narratives):
            raise ValueError("'none' is not a narrative: an item simply has no narrative")
        for group in self.groups:
            if group.id != NONE_LABEL and not group.aliases:
                raise ValueError(f"group {group.id!r} has no aliases: list its names per language")
        for narrative in self.narratives:
            if not narrative.cues:
                raise ValueError(f"narrative {narrative.id!r} has no cues: list terms per language")
        return self

    @property
    def group_ids(self) -> list[str]:
        return [g.id for g in self.groups]

    @property
    def narrative_ids(self) -> list[str]:
        return [n.id for n in self.narratives]

    def entries(self) -> list[tuple[str, Entry]]:
        """('group' | 'narrative', entry) for every entry."""
        return [("group", g) for g in self.groups] + [("narrative", n) for n in self.narratives]


def load_codebook(path: Path | None = None) -> Codebook:
    """Read and validate the codebook; ConfigError names the file, entry and field on error."""
    path = path or CODEBOOK_PATH
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the codebook {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with version, groups and narratives")
    try:
        book = Codebook.model_validate({**data, "digest": _digest(raw)})
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid codebook:\n{_explain(exc, data)}") from exc
    return book


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:12]


def _explain(exc: ValidationError, data: dict[str, object]) -> str:
    """One line per problem, naming the entry by its id rather than by its list index."""
    lines = []
    for error in exc.errors():
        location = list(error["loc"])
        if len(location) >= 2 and location[0] in ("groups", "narratives"):
            entries = data.get(str(location[0]))
            index = location[1]
            if isinstance(entries, list) and isinstance(index, int) and index < len(entries):
                entry = entries[index]
                name = entry.get("id") if isinstance(entry, dict) else None
                location[1] = f"{name!r}" if name else f"#{index + 1}"
        where = " > ".join(str(part) for part in location) or "file"
        lines.append(f"  - {where}: {error['msg']}")
    return "\n".join(lines)
