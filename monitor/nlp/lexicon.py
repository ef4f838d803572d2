"""The lexicon: every place name and every codebook term, folded, behind one matcher.

Resolving hits follows the codebook's rules for regions:

- a place name inside a group alias is part of the group's name, not a place ("Islamic State
  Khorasan Province", "Tehrik-i-Taliban Pakistan", "Hayat Tahrir al-Sham"), and so is a theatre
  name right after one ("ISIS – Khorasan"); the exception is a "Wilayat" name that is both (the
  codebook maps "Wilayat Khurasan" to AF);
- a place name inside a `not_places` phrase ("Quds Force", "New Mexico") is not a place;
- overlapping place names: the longest wins ("Mazar-i-Sharif" over "Mazar");
- a name marked `context` (also a word or a person's name: Jordan, Farah, Chad) counts only
  with a locative before it, a case ending of its own, a place word beside it, a state word
  near it, or another place beside it in a list — and never next to a capitalised name or
  after a title;
- a name marked `capitalised` counts only with the capitals it is listed with (US, Того), and
  at the start of a sentence only with context as well;
- "Georgia" with US context (Atlanta, "state of Georgia", another US place) is the US state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.tokens import Doc

from monitor.nlp.codebook import Codebook
from monitor.nlp.gazetteer import Gazetteer, Region, country_id
from monitor.nlp.matcher import Hit, LexiconMatcher
from monitor.nlp.normalise import Folded, fold_term

_NAME_KINDS = ("wilayat", "theatre")
_CONTEXT_WINDOW = 3
_CONJUNCTIONS = frozenset(fold_term(w) for w in (
    "and", "or", "و", "او", "اور", "и", "или", "ва", "va", "dan", "atau", "ё", "yoki"))


@dataclass(frozen=True, slots=True)
class TermRef:
    """What a folded term points to."""

    kind: str  # place | group | narrative
    target: str  # place id, or the group / narrative label
    role: str  # name (a place name) | alias (a group's name) | cue (a framing term)
    language: str
    term: str  # as written in the codebook or gazetteer
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class PlaceMention:
    code: str
    region: Region
    place_id: str
    kind: str
    start: int  # span in the original text
    end: int
    surface: str
    language: str


@dataclass(frozen=True, slots=True)
class CueMatch:
    kind: str  # group | narrative
    label: str
    role: str  # alias | cue
    term: str
    language: str
    start: int
    end: int
    surface: str


class Lexicon:
    """Place names and codebook terms, with the rules that turn hits into mentions."""

    def __init__(self, codebook: Codebook, gazetteer: Gazetteer) -> None:
        self.codebook = codebook
        self.gazetteer = gazetteer
        self.refs: dict[str, list[TermRef]] = {}
        for name in gazetteer.names:
            self._add(fold_term(name.name),
                      TermRef("place", name.place_id, "name", name.language, name.name, name.rule))
        for kind, entry in codebook.entries():
            for role, language, term in entry.terms():
                self._add(fold_term(term), TermRef(kind, entry.id, role, language, term))
        context = gazetteer.context
        for language, phrases in context.not_places.items():
            for phrase in phrases:  # "Quds Force", "New Mexico": a name inside is no place
                self._add(fold_term(phrase), TermRef("block", "", "block", language, phrase))
        self.locatives = _folded_set(w for ws in context.locatives.values() for w in ws)
        self.titles = _folded_set(w for ws in context.titles.values() for w in ws)
        self.state_words = _folded_set(w for ws in context.state_words.values() for w in ws)
        self.place_words: dict[str, str] = {}
        for kind, words in context.place_words.items():
            for word in words:
                self.place_words.setdefault(fold_term(word), kind)
        self.us_context = tuple(fold_term(t) for t in gazetteer.georgia_us_context)
        extra_terms = [*self.locatives, *self.titles, *self.state_words, *self.place_words]
        self.matcher = LexiconMatcher(self.refs, extra_tokens=extra_terms)
        self.version = hashlib.sha256(
            f"{codebook.version}:{codebook.digest}:{gazetteer.digest}".encode()
        ).hexdigest()[:12]

    def _add(self, key: str, ref: TermRef) -> None:
        if key:
            refs = self.refs.setdefault(key, [])
            if ref not in refs:
                refs.append(ref)

    def match(
        self, text: str, folded: Folded, *, location_field: bool = False
    ) -> tuple[list[PlaceMention], list[CueMatch]]:
        """Place mentions (focus) and cue matches of one text.

        `location_field`: the text is a poster's declared location, where a name needs no
        context to be a place ("Jordan" in a location field is the country).
        """
        doc, hits = self.matcher.find(folded.text)
        cue_hits: list[tuple[Hit, TermRef]] = []
        place_hits: list[tuple[Hit, TermRef]] = []
        blocks: list[tuple[int, int]] = []
        for hit in hits:
            for ref in self.refs.get(hit.key, ()):
                if ref.kind == "block":
                    blocks.append((hit.start, hit.end))
                else:
                    (place_hits if ref.kind == "place" else cue_hits).append((hit, ref))
        cues = self._cues(text, folded, cue_hits)
        alias_spans = [(h.start, h.end) for h, r in cue_hits if r.role == "alias"]
        if blocks:
            place_hits = [(h, r) for h, r in place_hits
                          if not any(a <= h.start and h.end <= b for a, b in blocks)]
        places = self._places(text, folded, doc, place_hits, alias_spans, location_field)
        return places, cues

    def _cues(
        self, text: str, folded: Folded, hits: list[tuple[Hit, TermRef]]
    ) -> list[CueMatch]:
        # A term inside a longer matched term of the same label is dropped, and so is a group
        # alias inside another group's alias ("Taliban" in "Tehrik-i-Taliban Pakistan").
        kept: list[tuple[Hit, TermRef]] = []
        for hit, ref in sorted(hits, key=lambda hr: (hr[0].start, -(hr[0].end - hr[0].start))):
            if any(
                (r.target == ref.target or (r.role == ref.role == "alias"))
                and h.start <= hit.start and hit.end <= h.end
                and (r.target == ref.target or (h.start, h.end) != (hit.start, hit.end))
                for h, r in kept
            ):
                continue
            kept.append((hit, ref))
        result = []
        for hit, ref in kept:
            start, end = folded.span(hit.char_start, hit.char_end)
            result.append(CueMatch(ref.kind, ref.target, ref.role, ref.term, ref.language,
                                   start, end, text[start:end]))
        return result

    def _places(
        self,
        text: str,
        folded: Folded,
        doc: Doc,
        hits: list[tuple[Hit, TermRef]],
        alias_spans: list[tuple[int, int]],
        location_field: bool = False,
    ) -> list[PlaceMention]:
        places = self.gazetteer.places
        candidates = []
        for hit, ref in hits:
            place = places[ref.target]
            inside_alias = any(a <= hit.start and hit.end <= b and (a, b) != (hit.start, hit.end)
                               or (a, b) == (hit.start, hit.end) and place.kind not in _NAME_KINDS
                               for a, b in alias_spans)
            if inside_alias or place.kind == "theatre" and _follows_alias(doc, hit, alias_spans):
                continue
            candidates.append((hit, ref))
        # The longest name wins where names overlap; then one reading per span.
        candidates.sort(key=lambda hr: (-(hr[0].end - hr[0].start), hr[0].start))
        chosen: list[tuple[Hit, list[TermRef]]] = []
        for hit, ref in candidates:
            for kept_hit, refs in chosen:
                if (kept_hit.start, kept_hit.end) == (hit.start, hit.end):
                    refs.append(ref)
                    break
                if kept_hit.start < hit.end and hit.start < kept_hit.end:
                    break
            else:
                chosen.append((hit, [ref]))
        sure = [(h.start, h.end) for h, refs in chosen if all(r.rule is None for r in refs)]
        mentions = []
        for hit, refs in sorted(chosen, key=lambda hr: hr[0].start):
            reading = self._reading(text, folded, doc, hit, refs, sure, location_field)
            if reading is None:
                continue
            ref = reading
            place = places[ref.target]
            code = place.code
            if place.id == country_id("GE") and (self._us_state(folded.text) or any(
                    places[r.target].code[:2] == "US" for h, rs in chosen for r in rs)):
                code = "US"  # Georgia next to Atlanta, "the state of Georgia", the US …
            kind = self._kind(doc, hit) or place.kind
            start, end = folded.span(hit.char_start, hit.char_end)
            mentions.append(PlaceMention(code, self.gazetteer.rollup(code), place.id, kind,
                                         start, end, text[start:end], ref.language))
        return mentions

    def _reading(
        self,
        text: str,
        folded: Folded,
        doc: Doc,
        hit: Hit,
        refs: list[TermRef],
        sure: list[tuple[int, int]],
        location_field: bool = False,
    ) -> TermRef | None:
        """The place this hit names, or None when its rules say it is not a place here."""
        start, end = folded.span(hit.char_start, hit.char_end)
        surface = text[start:end]
        if hit.start > 0 and doc[hit.start - 1].norm_ in self.titles:
            return None  # "Mullah Kandahar": a person's name
        # Prefer a reading without a rule, then one whose rule holds.
        for ref in sorted(refs, key=lambda r: r.rule is not None):
            if ref.rule is None:
                return ref
            if ref.rule == "capitalised" and _same_capitals(surface, ref.term):
                if not _sentence_start(text, start) or self._has_context(doc, hit) or (
                        self._in_a_list(doc, hit, sure)):
                    return ref  # at a sentence start a capital proves nothing
            if ref.rule == "context" and location_field:
                return ref
            if ref.target == country_id("GE") and self._us_state(folded.text):
                return ref  # the US state, by its context (read as US below)
            if ref.rule == "context":
                if self._person_like(text, folded, doc, hit):
                    continue
                if self._in_a_list(doc, hit, sure) or self._has_context(doc, hit):
                    return ref
        return None

    def _in_a_list(self, doc: Doc, hit: Hit, sure: list[tuple[int, int]]) -> bool:
        """Next to another (unambiguous) place, directly or across "and" or a comma:
        "Georgia and Armenia", "Herat, Farah"."""
        for start, end in sure:
            gap = doc[end:hit.start] if end <= hit.start else doc[hit.end:start]
            if len(gap) <= 1 and all(t.is_punct or t.norm_ in _CONJUNCTIONS for t in gap):
                return True
        return False

    def _has_context(self, doc: Doc, hit: Hit) -> bool:
        if hit.end - hit.start == 1 and doc[hit.start].norm_ != doc[hit.start].text:
            return True  # a case ending is a locative of its own: "Farahda", "в Фарахе"
        before = [t.norm_ for t in doc[max(0, hit.start - 2): hit.start] if not t.is_punct]
        after = [t.norm_ for t in doc[hit.end: hit.end + 2] if not t.is_punct]
        if before and (before[-1] in self.locatives or before[-1] in self.place_words):
            return True
        if len(before) == 2 and before[0] in self.locatives and before[1] in ("the", "al"):
            return True
        if after and (after[0] in self.place_words or after[0] in self.locatives):
            return True
        window = doc[max(0, hit.start - _CONTEXT_WINDOW): hit.end + _CONTEXT_WINDOW + 1]
        return any(t.norm_ in self.state_words for t in window)

    def _person_like(self, text: str, folded: Folded, doc: Doc, hit: Hit) -> bool:
        """A capitalised word right before or after the name that is not a place or a place word
        ("Michael Jordan", "Jordan Miles")."""
        for index in (hit.start - 1, hit.end):
            if 0 <= index < len(doc):
                token = doc[index]
                if token.is_punct or token.norm_ in self.place_words:
                    continue
                start, end = folded.span(token.idx, token.idx + len(token.text))
                word = text[start:end]
                if word[:1].isupper() and not self._is_place_word(token.norm_):
                    if index == hit.start - 1 and _sentence_start(text, start):
                        continue  # capitalised because it opens the sentence
                    return True
        return False

    def _is_place_word(self, norm: str) -> bool:
        return any(ref.kind == "place" for ref in self.refs.get(norm, ()))

    def _kind(self, doc: Doc, hit: Hit) -> str | None:
        for index in (hit.end, hit.start - 1):
            if 0 <= index < len(doc):
                kind = self.place_words.get(doc[index].norm_)
                if kind in ("city", "province", "district", "valley"):
                    return kind
        return None

    def _us_state(self, folded_text: str) -> bool:
        padded = f" {folded_text} "
        return any(f" {term} " in padded for term in self.us_context)


def _follows_alias(doc: Doc, hit: Hit, alias_spans: list[tuple[int, int]]) -> bool:
    """"Islamic State – Khorasan", "ИГИЛ-Хорасан": a theatre name right after a group's name
    (at most one dash or punctuation mark between) is part of that name."""
    for _start, end in alias_spans:
        gap = doc[end:hit.start]
        if end <= hit.start and len(gap) <= 1 and all(t.is_punct for t in gap):
            return True
    return False


def _folded_set(words: Iterable[str]) -> frozenset[str]:
    return frozenset(fold_term(w) for w in words if w.strip())


def _same_capitals(surface: str, listed: str) -> bool:
    """Every capital letter of the listed name is a capital in the surface too."""
    surface_letters = [c for c in surface if c.isalpha()]
    listed_letters = [c for c in listed if c.isalpha()]
    if len(surface_letters) != len(listed_letters):
        return surface[:1].isupper() == listed[:1].isupper() and surface[:1].isupper()
    return all(s.isupper() for s, t in zip(surface_letters, listed_letters, strict=True)
               if t.isupper())


def _sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip()
    return not before or before[-1] in ".!?:\n"
