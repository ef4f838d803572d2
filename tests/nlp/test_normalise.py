"""Folding for matching: obfuscation never hides a codebook term (property tests)."""

from __future__ import annotations

import os
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.nlp.codebook import load_codebook
from monitor.nlp.enricher import Enricher
from monitor.nlp.normalise import fold, fold_term

CODEBOOK = load_codebook()
TERMS = sorted({(kind, entry.id, term) for kind, entry in CODEBOOK.entries()
                for _role, _lang, term in entry.terms()})
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f",
             "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
             "\u2069", "\u061c"]
# Common Cyrillic and Greek look-alikes of Latin letters (written out here, independently of
# the folding table), used both ways: into Latin terms and, reversed, into Cyrillic ones.
LATIN_LOOKALIKES = {
    "a": "аα", "c": "с", "e": "е", "i": "іι", "o": "оο", "p": "рρ", "x": "хχ", "y": "у",
    "s": "ѕ", "j": "ј", "k": "кκ", "h": "һ", "d": "ԁ", "q": "ԛ", "w": "ԝ", "v": "ν",
    "A": "АΑ", "B": "ВΒ", "C": "С", "E": "ЕΕ", "H": "НΗ", "I": "ІΙ", "K": "КΚ", "M": "МΜ",
    "O": "ОΟ", "P": "РΡ", "T": "ТΤ", "X": "ХΧ", "Y": "УΥ", "Z": "Ζ", "N": "Ν", "J": "Ј",
    "S": "Ѕ",
}
LOOKALIKES: dict[str, list[str]] = {}
for latin, glyphs in LATIN_LOOKALIKES.items():
    for glyph in glyphs:
        LOOKALIKES.setdefault(latin, []).append(glyph)
        if glyph.isupper() or glyph in "асеіорху":  # Cyrillic letters in Cyrillic terms
            LOOKALIKES.setdefault(glyph, []).append(latin)
ARABIC_VARIANTS = {"ي": "یى", "ی": "يى", "ى": "يی", "ك": "ک", "ک": "ك", "ة": "ه", "ه": "ة",
                   "ا": "أإآ", "أ": "اإ", "إ": "اأ", "و": "ؤ", "ؤ": "و"}
HARAKAT = [chr(c) for c in range(0x064B, 0x0653)] + ["\u0640"]  # and tatweel
SETTINGS = settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "300")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _found(enricher: Enricher, text: str, kind: str, label: str) -> bool:
    result = enricher.enrich(text)
    return any(cue.kind == kind and cue.label == label for cue in result.cues)


@st.composite
def obfuscated(draw: st.DrawFn, how: str) -> tuple[str, str, str, str]:
    kind, label, term = draw(st.sampled_from(TERMS))
    chars = list(term)
    if how == "invisible":
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(chars)))
            chars.insert(at, draw(st.sampled_from(INVISIBLE)))
    elif how == "homoglyph":
        for i, char in enumerate(chars):
            swaps = LOOKALIKES.get(char)
            if swaps and draw(st.booleans()):
                chars[i] = draw(st.sampled_from(swaps))
    elif how == "arabic":
        for i, char in enumerate(chars):
            if char in ARABIC_VARIANTS and draw(st.booleans()):
                chars[i] = draw(st.sampled_from(list(ARABIC_VARIANTS[char])))
            if unicodedata.name(char, "").startswith("ARABIC LETTER") and draw(st.booleans()):
                chars[i] += draw(st.sampled_from(HARAKAT))
    elif how == "case":
        chars = [c.upper() if draw(st.booleans()) else c.lower() for c in chars]
    return kind, label, term, "".join(chars)


@given(case=obfuscated("invisible"))
@SETTINGS
def test_zero_width_and_bidi_characters_never_hide_a_term(
    enricher: Enricher, case: tuple[str, str, str, str]
) -> None:
    kind, label, term, text = case
    assert _found(enricher, f"news: {text} today", kind, label), (term, text)


@given(case=obfuscated("homoglyph"))
@SETTINGS
def test_homoglyph_swaps_never_hide_a_term(
    enricher: Enricher, case: tuple[str, str, str, str]
) -> None:
    kind, label, term, text = case
    assert _found(enricher, f"news: {text} today", kind, label), (term, text)


@given(case=obfuscated("arabic"))
@SETTINGS
def test_arabic_letter_variants_and_diacritics_never_hide_a_term(
    enricher: Enricher, case: tuple[str, str, str, str]
) -> None:
    kind, label, term, text = case
    assert _found(enricher, f"خبر {text} اليوم", kind, label), (term, text)


@given(case=obfuscated("case"))
@SETTINGS
def test_letter_case_never_hides_a_term(
    enricher: Enricher, case: tuple[str, str, str, str]
) -> None:
    kind, label, term, text = case
    assert _found(enricher, f"news: {text} today", kind, label), (term, text)


@given(text=st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_every_folded_character_maps_back_into_the_original(text: str) -> None:
    folded = fold(text)
    assert len(folded.origin) == len(folded.text)
    assert all(0 <= i < len(text) for i in folded.origin)
    assert list(folded.origin) == sorted(folded.origin)


def test_spelled_out_and_leetspeak_names_fold_to_the_name() -> None:
    for text in ("I.S.I.S", "i-s-i-s", "I S I S", "1S1S", "ISIS"):
        assert fold(text).text == "isis", text
    for text in ("D@esh", "d-a-e-s-h", "DAESH", "Dа\u200beѕh"):
        assert fold(text).text == "daesh", text
    assert fold("د ا ع ش").text == fold_term("داعش")
    assert fold("Da'ish").text == fold("Daish").text == fold("Da’ish").text


def test_folding_unifies_script_variants_and_digits() -> None:
    assert fold("أفغانستان").text == fold("افغانستان").text
    assert fold("كابل").text == fold("کابل").text
    assert fold("ولاية").text == fold("ولایه").text
    assert fold("ننګرهار").text == fold("ننگرهار").text == fold("ننكرهار").text
    assert fold("۱۴۰۰ ١٤٠٠").text == "1400 1400"
    assert fold("Ёлка").text == fold("Елка").text


def test_links_handles_and_emails_are_masked_so_places_there_are_not_mentions() -> None:
    folded = fold("see https://news.example/Kunduz and @kunduz_watch or a@kunduz.example ok")
    assert "kunduz" not in folded.text and folded.text.endswith("ok")


def test_spans_point_at_the_original_characters() -> None:
    text = "Dа\u200besh in  K\u200cunduz's"
    folded = fold(text)
    start = folded.text.index("kunduz")
    a, b = folded.span(start, start + len("kunduz"))
    assert text[a:b] == "K\u200cunduz"


def test_hashtag_camel_case_is_split() -> None:
    assert fold("#KunduzAttack").text == "kunduz attack"
    assert fold("#kunduz").text == "kunduz"


SINGLE_WORDS = sorted({(k, label, term) for k, label, term in TERMS
                       if term.isalpha() and len(term) >= 4})


@given(case=st.sampled_from(SINGLE_WORDS), separator=st.sampled_from([".", "-", "_", "*", " "]))
@SETTINGS
def test_a_word_spelled_out_with_separators_is_still_found(
    enricher: Enricher, case: tuple[str, str, str], separator: str
) -> None:
    kind, label, term = case
    spelled = separator.join(term)
    assert _found(enricher, f"news: {spelled} today", kind, label), (term, spelled)


def test_invisible_characters_around_an_apostrophe_change_nothing() -> None:
    # Found by Hypothesis: a zero-width space before a possessive apostrophe.
    assert fold("Emirate\u200b's mujahideen").text == fold("Emirate's mujahideen").text
    assert fold("Da\u200d'\u200bish").text == fold("Da'ish").text == "daish"


def test_an_exclamation_mark_ends_a_word_but_stands_for_i_inside_one() -> None:
    assert fold("rafidah!").text.startswith("rafidah")
    assert fold("Leave the Taliban!!").text == "leave the taliban!!"
    assert fold("m!l!tary").text == "military"
