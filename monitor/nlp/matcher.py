"""Lexicon matching with spaCy: one PhraseMatcher over folded text for place names and cues.

A blank multilingual spaCy pipeline tokenises the folded text (see normalise.py); a
PhraseMatcher on the NORM attribute finds every term. Inflection and clitics are handled
lexicon-aware: a token that is not itself a known term token gets, as its NORM, the known token
it becomes once an Arabic-script proclitic (و ب ل ف ال …) or a Russian / Tajik / Uzbek case
ending is removed ("بقندهار" → قندهار, "Кундузе" → кундуз, "Qunduzda" → qunduz). Nothing else
is stemmed, so a nisba ("Nangarhari", "الننگرهاری") or a demonym never matches a place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from monitor.nlp.normalise import fold_term

# Arabic-script proclitics, longest first (folded: ك → ک).
_PROCLITICS = tuple(
    sorted({fold_term(p) for p in ("وال", "بال", "فال", "كال", "لل", "ال", "وب", "ول", "وك",
                                   "و", "ب", "ل", "ف", "ک")}, key=len, reverse=True)
)
# Case endings (Russian, Tajik, Uzbek Cyrillic and Latin) and the endings the base form may
# have in their place: "Кабуле" → Кабул, "Москве" → Москва, "Сирии" → Сирия, "Qunduzda" →
# Qunduz. -и / -ы never stand for a consonant-final name ("Нангархари" is a nisba) and -ы only
# for -а ("грузы" is cargo, not Грузия).
_ENDING_BASES_RAW: dict[str, tuple[str, ...]] = {
    "а": ("", "ь"), "у": ("", "а"), "ю": ("я", "ь"), "е": ("", "а", "я", "ь"),
    "ом": ("",), "ем": ("", "ь"), "ой": ("а",), "ей": ("я", "ь"), "ою": ("а",), "ы": ("а",),
    "и": ("я", "ь", "а"), "ии": ("ия",), "ию": ("ия",), "ией": ("ия",), "ью": ("ь",),
    "ов": ("",), "ев": ("", "ь"), "ам": ("", "а"), "ами": ("", "а"), "ах": ("", "а"),
    "ро": ("",), "ҳо": ("",),
    "да": ("",), "дан": ("",), "га": ("",), "нинг": ("",), "ни": ("",), "даги": ("",),
    "лар": ("",),
    "da": ("",), "dan": ("",), "ga": ("",), "ka": ("",), "qa": ("",), "ning": ("",),
    "ni": ("",), "dagi": ("",), "lar": ("",), "nya": ("",),
}
_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(sorted(
    {fold_term(e): tuple(fold_term(b) for b in bases)
     for e, bases in _ENDING_BASES_RAW.items()}.items(),
    key=lambda kv: len(kv[0]), reverse=True))
_MIN_PROCLITIC_BASE = 4  # "فرقه" (sect) is not ف + رقه (Raqqa)
_CACHE_SIZE = 200_000
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_MIN_TYPO_WORD = 6  # adjacent letters swapped ("Agfanistan"), only in words this long
_MIN_BASE = 3


@dataclass(frozen=True, slots=True)
class Hit:
    """One term found in the folded text: token and character spans, and the folded key."""

    key: str
    start: int  # token index
    end: int
    char_start: int  # folded-text character offsets
    char_end: int


class LexiconMatcher:
    """Finds every registered (folded) term in a folded text."""

    def __init__(self, terms: Iterable[str], *, extra_tokens: Iterable[str] = ()) -> None:
        self.nlp = spacy.blank("xx")
        self.vocab = self.nlp.vocab
        self.matcher = PhraseMatcher(self.vocab, attr="NORM")
        keys = sorted({t for t in terms if t.strip()})
        tokenizer: Any = self.nlp.tokenizer
        docs = {key: doc for key, doc in zip(keys, tokenizer.pipe(keys), strict=True) if len(doc)}
        self.known: set[str] = {token.text for doc in docs.values() for token in doc}
        self.known.update(t for t in extra_tokens if t and " " not in t)
        self._bases: dict[str, str | None] = {}  # token → the known token it inflects
        # Whole single-word terms: never read as an inflection of another term
        # ("paktika" is Paktika, not Paktia + "ka"), and what split words are joined into.
        self.words: frozenset[str] = frozenset(doc[0].text for doc in docs.values()
                                               if len(doc) == 1)
        for key, doc in docs.items():
            self._normalise(doc)  # patterns get the same NORMs as texts
            self.matcher.add(key, [doc])
        self.keys = frozenset(docs)

    def doc(self, folded: str) -> Doc:
        doc = self.nlp.make_doc(folded)
        self._join_split_words(doc)
        return self._normalise(doc)

    def _join_split_words(self, doc: Doc) -> None:
        """A term split by a space ("Kun duz", "Jalal abad") is joined back when the two
        halves together form a single-word term and are not both words of their own."""
        spans = []
        i = 0
        while i < len(doc) - 1:
            first, second = doc[i], doc[i + 1]
            if (first.is_alpha and second.is_alpha and first.whitespace_
                    and len(first) >= 3 and len(second) >= 3
                    and first.text + second.text in self.words
                    and first.text not in self.known and second.text not in self.known):
                spans.append(doc[i: i + 2])
                i += 2
            else:
                i += 1
        if spans:
            with doc.retokenize() as retokenizer:
                for span in spans:
                    joined = span[0].text + span[1].text
                    retokenizer.merge(span, attrs={"NORM": joined})

    def _normalise(self, doc: Doc) -> Doc:
        cache = self._bases
        for token in doc:
            text = token.text
            if len(text) > _MIN_BASE and text not in self.words and " " not in text:
                if text in cache:
                    base = cache[text]
                else:
                    base = self._base(text)
                    if len(cache) > _CACHE_SIZE:
                        cache.clear()
                    cache[text] = base
                if base is not None:
                    token.norm_ = base
        return doc

    def _base(self, text: str) -> str | None:
        """The known token `text` inflects, or None. A case ending is removed even from a
        known token ("дохе" inside a listed phrase still means Доха), a proclitic only from
        an unknown one (so that a listed word is never read as clitic + another word)."""
        known = self.known
        if text not in known:
            for prefix in _PROCLITICS:
                if text.startswith(prefix) and len(text) - len(prefix) >= _MIN_PROCLITIC_BASE:
                    rest = text[len(prefix):]
                    if rest in known:
                        return rest
        for ending, bases in _ENDINGS:
            if text.endswith(ending) and len(text) - len(ending) >= _MIN_BASE:
                stem = text[: -len(ending)]
                for base_ending in bases:
                    candidate = stem + base_ending
                    if candidate != text and candidate in known:
                        return candidate
        if (text not in known and len(text) >= _MIN_TYPO_WORD and text.isalpha()
                and not _ARABIC_SCRIPT.search(text)):
            # Not in Arabic script: its short, dense words swap into other words too easily
            # (الحساب "the reckoning" ↔ السحاب).
            return self._transposed(text)
        return None

    def _transposed(self, text: str) -> str | None:
        """A single-word term with two adjacent letters swapped ("Agfanistan", "Душабне")."""
        for i in range(1, len(text) - 1):  # the first letter is rarely the one swapped
            candidate = text[:i] + text[i + 1] + text[i] + text[i + 2:]
            if candidate in self.words:
                return candidate
        return None

    def find(self, folded: str) -> tuple[Doc, list[Hit]]:
        doc = self.doc(folded)
        hits = []
        strings = self.vocab.strings
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            hits.append(Hit(strings[match_id], start, end, span.start_char, span.end_char))
        return doc, hits
