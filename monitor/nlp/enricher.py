"""Enrichment of one item: language, focus regions, origin region and cue matches.

`Enricher` loads the codebook and the gazetteer once and is then a pure function of an item's
text, declared location and source region. Results carry spans into the original text.

Defined results for bad input (flags):
- `empty`: nothing left after normalisation (blank, or only format/bidi/zero-width characters);
- `links_only`: only URLs, e-mail-like strings or @handles;
- `no_letters`: only emoji, digits or punctuation;
- `unknown_script`: letters in a script the language detector does not know;
all four get language `und`; places and cues are still looked for where text remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.nlp.codebook import Codebook, load_codebook
from monitor.nlp.gazetteer import Gazetteer, Region, load_gazetteer
from monitor.nlp.langid import UNDETERMINED, LanguageGuess, LanguageIdentifier
from monitor.nlp.lexicon import CueMatch, Lexicon, PlaceMention
from monitor.nlp.normalise import NORMALISER_VERSION, fold

# A language is a weak hint about where chatter comes from, never a fact: recorded beside an
# unknown origin, never used as one.
LANGUAGE_ORIGIN_HINTS: dict[str, tuple[str, ...]] = {
    "ps": ("AF", "PK"),
    "fa": ("AF", "IR"),
    "tg": ("TJ",),
    "uz": ("UZ", "AF"),
    "ur": ("PK", "IN"),
    "id": ("ID",),
    "ms": ("MY",),
    "kk": ("KZ",),
    "tr": ("TR",),
}


@dataclass(frozen=True, slots=True)
class ItemInput:
    """What enrichment reads of an item."""

    text: str
    location: str | None = None  # the poster's declared location
    source_origin: str | None = None  # the source's configured region code


@dataclass(frozen=True, slots=True)
class Origin:
    code: str
    region: Region
    via: str  # source | author_location
    surface: str | None = None  # the part of the location field that named it


@dataclass(frozen=True, slots=True)
class Enrichment:
    language: LanguageGuess
    focus: tuple[PlaceMention, ...]
    origin: Origin | None
    cues: tuple[CueMatch, ...]
    flags: tuple[str, ...] = ()
    origin_hint: tuple[str, ...] = ()
    normalised: str = field(default="", repr=False)

    def focus_codes(self) -> list[str]:
        """Distinct focus codes, each with its country (AF-KDZ brings AF)."""
        codes: list[str] = []
        for mention in self.focus:
            for code in (mention.code, mention.region.country):
                if code and code not in codes:
                    codes.append(code)
        return codes


class Enricher:
    """Everything enrichment knows, loaded once; `enrich_many` is then pure."""

    def __init__(
        self,
        codebook: Codebook | None = None,
        gazetteer: Gazetteer | None = None,
        *,
        codebook_path: Path | None = None,
        gazetteer_dir: Path | None = None,
    ) -> None:
        self.codebook = codebook or load_codebook(codebook_path)
        self.gazetteer = gazetteer or load_gazetteer(gazetteer_dir)
        self.lexicon = Lexicon(self.codebook, self.gazetteer)
        self.languages = LanguageIdentifier()

    @property
    def version(self) -> str:
        """Changes whenever the codebook, the gazetteer or the normaliser changes."""
        return f"n{NORMALISER_VERSION}-{self.lexicon.version}"

    def enrich(self, item: ItemInput | str) -> Enrichment:
        return self.enrich_many([item if isinstance(item, ItemInput) else ItemInput(item)])[0]

    def enrich_many(self, items: Sequence[ItemInput]) -> list[Enrichment]:
        guesses = self.languages.identify_many([item.text for item in items])
        return [self._enrich(item, guess) for item, guess in zip(items, guesses, strict=True)]

    def _enrich(self, item: ItemInput, guess: LanguageGuess) -> Enrichment:
        folded = fold(item.text)
        focus, cues = self.lexicon.match(item.text, folded) if folded.text else ([], [])
        flags = _flags(item.text, folded.text, guess)
        origin = self._origin(item)
        hint = () if origin else LANGUAGE_ORIGIN_HINTS.get(guess.code, ())
        return Enrichment(guess, tuple(focus), origin, tuple(cues), flags, hint, folded.text)

    def _origin(self, item: ItemInput) -> Origin | None:
        if item.source_origin:
            try:
                region = self.gazetteer.rollup(item.source_origin)
            except ValueError:
                region = None
            if region is not None:
                return Origin(item.source_origin, region, "source")
        if item.location and item.location.strip():
            location = item.location[:500]
            places, _ = self.lexicon.match(location, fold(location), location_field=True)
            if places:
                first = places[0]
                return Origin(first.code, first.region, "author_location", first.surface)
        return None


def _flags(text: str, folded_text: str, guess: LanguageGuess) -> tuple[str, ...]:
    if not text.strip() or not folded_text and not _has_link(text):
        return ("empty",)
    if not folded_text:
        return ("links_only",)
    if guess.method == "no_letters":
        only_links = not any(c.isalnum() for c in folded_text) and _has_link(text)
        return ("links_only",) if only_links else ("no_letters",)
    if guess.method == "unknown_script":
        return ("unknown_script",)
    return ()


def _has_link(text: str) -> bool:
    return "://" in text or "@" in text or "www." in text.casefold()


def to_json(
    enrichment: Enrichment, *, item_id: str, normalised: bool = False
) -> dict[str, Any]:
    """The `monitor predict` object for one item (keys are a public contract: add, never rename)."""
    guess = enrichment.language
    regions: list[dict[str, Any]] = [
        {
            "role": "focus", "code": m.code, "country": m.region.country,
            "macro": m.region.macro_name, "macro_code": m.region.macro,
            "span": [m.start, m.end], "text": m.surface, "kind": m.kind, "place": m.place_id,
        }
        for m in enrichment.focus
    ]
    origin = enrichment.origin
    if origin is not None:
        entry: dict[str, Any] = {
            "role": "origin", "code": origin.code, "country": origin.region.country,
            "macro": origin.region.macro_name, "macro_code": origin.region.macro,
            "from": origin.via,
        }
        if origin.surface is not None:
            entry["text"] = origin.surface
        regions.append(entry)
    else:
        regions.append({"role": "origin", "code": None, "from": "unknown",
                        "language_hint": list(enrichment.origin_hint)})
    result: dict[str, Any] = {
        "id": item_id,
        "language": guess.code,
        "language_confidence": guess.confidence,
        "language_method": guess.method,
        "script": guess.script,
        "regions": regions,
        "focus": enrichment.focus_codes(),
        "cues": [
            {"kind": c.kind, "label": c.label, "role": c.role, "term": c.term,
             "term_language": c.language, "span": [c.start, c.end], "text": c.surface}
            for c in enrichment.cues
        ],
        "flags": list(enrichment.flags),
    }
    if normalised:
        result["normalised"] = enrichment.normalised
    return result


__all__ = ["UNDETERMINED", "Enricher", "Enrichment", "ItemInput", "Origin", "to_json"]
