"""Normalisation for matching: fold a text so that spelling tricks and script variants meet.

The original text is never changed; `fold` returns the folded text together with a map from
each folded character back to its original index, so that every match reports a span of the
original text. Cue terms and place names are folded by the same function, so both sides of a
match always agree.

What folding does, in order:

1. URLs, e-mail-like strings and @handles are masked (a place or a cue that appears only there
   is not a mention; see the codebook).
2. Per character: NFKD compatibility decomposition, then combining marks are dropped
   (diacritics, Arabic harakat, hamza above/below: أ إ آ → ا, ؤ → و, ئ → ي), format characters
   are dropped (zero-width space/joiners, soft hyphen, bidi controls), tatweel is dropped,
   Arabic-script letter variants are unified (ي ى ې ۍ ے → ی, ك ګ گ → ک, ة ۀ ہ ھ → ه, Pashto and
   Urdu retroflex letters to their Persian base), Arabic-Indic and Persian digits become ASCII,
   the result is case folded, and common Cyrillic/Greek homoglyphs of Latin letters become
   Latin (on both sides of a match, so Russian still matches Russian).
3. Apostrophes vanish inside words (Da'ish = Daish, Gʻazni = Gazni); a possessive 's is split
   off (Kabul's → kabul s).
4. Separators (- _ . · * / |) between letters become spaces; whitespace runs become one space;
   CamelCase inside a hashtag is split (#KunduzAttack → kunduz attack).
5. Leetspeak in Latin words that mix letters and digits/symbols is undone (D@esh, 1515, m4rtyr).
6. Runs of three or more single characters separated by spaces are joined (I.S.I.S, d-a-e-s-h,
   د ا ع ش).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Bump when folding changes in a way that changes matches: it is part of the enrichment version.
NORMALISER_VERSION = "1"

_URL = re.compile(
    r"(?:https?://|ftp://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+\b|(?<![\w@])@[\w.]{1,64}",
    re.IGNORECASE,
)

# Arabic-script letters folded to one form (after NFKD has removed hamza and madda marks).
_ARABIC = {
    "ي": "ی", "ى": "ی", "ې": "ی", "ۍ": "ی", "ے": "ی", "ێ": "ی", "ۑ": "ی",
    "ك": "ک", "ګ": "ک", "گ": "ک", "ڪ": "ک",
    "ة": "ه", "ۀ": "ه", "ہ": "ه", "ھ": "ه", "ە": "ه", "ۂ": "ه",
    "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ٹ": "ت", "ټ": "ت", "ڈ": "د", "ډ": "د", "ڑ": "ر", "ړ": "ر",
    "ښ": "ش", "ږ": "ژ", "ڼ": "ن", "ں": "ن", "ځ": "ز", "څ": "س",
    "ـ": "",  # tatweel
}
# Homoglyphs of Latin letters (lower case, after case folding).
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "һ": "h", "ү": "y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "s", "σ": "s", "μ": "u",
    # Latin look-alikes
    "ı": "i", "ſ": "s", "ℓ": "l",
}
# Capitals whose look-alike differs from their small letter's (Greek Η looks like H, η like n).
_UPPER_HOMOGLYPHS = {"Η": "h", "Ν": "n", "Μ": "m", "Τ": "t", "Β": "b", "Κ": "k", "Χ": "x",
                     "Ρ": "p", "Ο": "o", "Ι": "i", "Α": "a", "Ε": "e", "Υ": "y", "Ζ": "z"}
_APOSTROPHES = frozenset("'’‘`ʻʼʹʽ´′")
_SEPARATORS = frozenset("-_.·•*/|\\~+=")
_LEET = {"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s", "5": "s",
         "7": "t", "+": "t", "8": "b", "9": "g", "€": "e", "|": "l"}


@lru_cache(maxsize=8192)
def fold_char(char: str) -> str:
    """The folded form of one character: '' to drop it, ' ' for whitespace."""
    if char.isspace():
        return " "
    out = []
    for part in unicodedata.normalize("NFKD", char):
        category = unicodedata.category(part)
        if category in ("Mn", "Me", "Cf") or (category == "Cc"):
            continue
        if part.isdigit() and not part.isascii():
            digit = unicodedata.digit(part, None)
            out.append(str(digit) if digit is not None else part)
            continue
        if part in _UPPER_HOMOGLYPHS:
            out.append(_UPPER_HOMOGLYPHS[part])
            continue
        part = _ARABIC.get(part, part)
        for folded in part.casefold():
            out.append(_HOMOGLYPHS.get(folded, folded))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Folded:
    """A folded text and, for each of its characters, the index of the original character."""

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) span of folded characters [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


def fold(text: str, *, mask_links: bool = True) -> Folded:
    """Fold `text` for matching (see the module docstring); spans map back to `text`."""
    masked = _masked_spans(text) if mask_links else ()
    chars: list[str] = []
    origin: list[int] = []
    mask_iter = iter(masked)
    next_mask = next(mask_iter, None)
    in_hashtag = False
    prev_original = ""
    i = 0
    n = len(text)
    while i < n:
        if next_mask is not None and i == next_mask[0]:
            _emit_space(chars, origin, i)
            i = next_mask[1]
            next_mask = next(mask_iter, None)
            prev_original = " "
            continue
        char = text[i]
        if char == "#":
            in_hashtag = True
            _emit_space(chars, origin, i)
        elif char in _APOSTROPHES:
            after = _visible_after(text, i)
            if _is_possessive(text, i, after):
                _emit_space(chars, origin, i)
            elif not (chars and chars[-1] != " " and after < n and text[after].isalpha()):
                _emit_space(chars, origin, i)
        elif char in _SEPARATORS and char not in _LEET:
            _emit_space(chars, origin, i)
        else:
            folded = fold_char(char)
            if folded == " ":
                in_hashtag = False
                _emit_space(chars, origin, i)
            elif folded:
                if in_hashtag and char.isupper() and prev_original.islower():
                    _emit_space(chars, origin, i)
                for out in folded:
                    chars.append(out)
                    origin.append(i)
        if char != "\u200b" and unicodedata.category(char) != "Cf":
            prev_original = char
        i += 1
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    folded_text = "".join(chars)
    if _NEEDS_TOKEN_PASS.search(folded_text):
        folded_text, origin = _token_pass(folded_text, origin)
    return Folded(folded_text, tuple(origin))


def fold_term(term: str) -> str:
    """Fold a cue term or place name the way texts are folded (links are not masked)."""
    return fold(term, mask_links=False).text


def _emit_space(chars: list[str], origin: list[int], index: int) -> None:
    if chars and chars[-1] != " ":
        chars.append(" ")
        origin.append(index)


def _visible_after(text: str, i: int) -> int:
    """The index of the first character after `i` that is not a format character."""
    j = i + 1
    while j < len(text) and unicodedata.category(text[j]) == "Cf":
        j += 1
    return j


def _is_possessive(text: str, i: int, after: int) -> bool:
    """An apostrophe after a letter, followed by s and then no letter ("Kabul's")."""
    before = i - 1
    while before >= 0 and unicodedata.category(text[before]) == "Cf":
        before -= 1
    if after >= len(text) or fold_char(text[after]) != "s" or before < 0:
        return False
    if not text[before].isalpha():
        return False
    following = _visible_after(text, after)
    return following >= len(text) or not text[following].isalpha()


def _masked_spans(text: str) -> tuple[tuple[int, int], ...]:
    if "/" not in text and "@" not in text and "www" not in text.casefold():
        return ()
    return tuple((match.start(), match.end()) for match in _URL.finditer(text))


# Tokens that need the second pass: a Latin word mixing letters with leet characters, or a
# run of three or more single characters separated by single spaces.
_LEET_CLASS = re.escape("".join(_LEET))
_LEET_TOKEN = re.compile(
    rf"(?<!\S)(?=[^\s]*[a-z])(?=[^\s]*[{_LEET_CLASS}])[a-z{_LEET_CLASS}]{{2,}}(?!\S)"
)
_SINGLES = re.compile(r"(?<!\S)\w(?: \w(?!\S)){2,}")
_NEEDS_TOKEN_PASS = re.compile(rf"{_LEET_TOKEN.pattern}|{_SINGLES.pattern}")


def _token_pass(text: str, origin: list[int]) -> tuple[str, list[int]]:
    # Leetspeak: same length, so offsets are unchanged.
    def unleet(match: re.Match[str]) -> str:
        word = match.group()
        if not any(c.isalpha() for c in word) or sum(c.isalpha() for c in word) < 2:
            return word
        # "!" at either end is punctuation ("rafidah!"), inside a word it is an i ("m!l!tary").
        core = word.strip("!")
        start = word.index(core[0]) if core else 0
        unleeted = "".join(_LEET.get(c, c) for c in core)
        return word[:start] + unleeted + word[start + len(core):]

    text = _LEET_TOKEN.sub(unleet, text)
    # Spaced-out single characters: drop the spaces (and their offsets).
    drop: set[int] = set()
    for match in _SINGLES.finditer(text):
        drop.update(i for i in range(match.start(), match.end()) if text[i] == " ")
    if not drop:
        return text, origin
    kept = [i for i in range(len(text)) if i not in drop]
    return "".join(text[i] for i in kept), [origin[i] for i in kept]
