"""Language identification: lingua where it knows the language, letters and words where not.

lingua has no Pashto, Tajik or Uzbek, and by script alone Pashto looks Persian, Tajik looks
Russian and Uzbek looks Turkish or Indonesian. So, before asking lingua:

- Arabic script: Pashto's own letters (ټ ډ ړ ږ ښ ګ ڼ ې ۍ ځ څ) mean Pashto; Urdu's (ٹ ڈ ڑ ں ے ھ ہ)
  mean Urdu; without either, Pashto function words (د, په, چې …) against Persian ones decide
  Pashto; otherwise lingua chooses among Arabic, Persian and Urdu.
- Cyrillic: ӣ ӯ ҷ mean Tajik, ў means Uzbek; қ ғ ҳ (both) are settled by function words; with
  none of them, Tajik or Uzbek function words (дар, аз, ба / билан, учун) still decide;
  otherwise lingua chooses (Russian, Ukrainian, Kazakh …).
- Latin: Uzbek's oʻ / gʻ (any apostrophe) or its function words mean Uzbek; otherwise lingua.

Text with fewer than three letters, or one word that nothing recognises with confidence, is
`und`. Persian written in Afghanistan (Dari) and in Iran both read as `fa`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from lingua import ConfidenceValue, Language, LanguageDetector, LanguageDetectorBuilder

UNDETERMINED = "und"
_MIN_LETTERS = 3
_MIN_ONE_WORD_CONFIDENCE = 0.6

_NOISE = re.compile(
    r"(?:https?://|www\.)\S+|\S+@\S+\.\S+|[@#][\w.]+|^\s*(?:RT|FWD?)\b\s*:?", re.IGNORECASE
)

# Languages lingua is asked to choose among, per script: the monitor's languages and the
# neighbours they are most often confused with. Malay is left out on purpose: in this domain
# Malay-looking Latin text is Indonesian far more often than not, and lingua splits the two
# poorly on short texts; Somali is left out because English or Uzbek text quoting Arabic
# phrases ("baqiya wa tatamaddad") reads as Somali to it.
_LATIN_LANGUAGES = (
    Language.ENGLISH, Language.INDONESIAN, Language.TURKISH, Language.AZERBAIJANI,
    Language.FRENCH, Language.GERMAN, Language.SPANISH, Language.ITALIAN, Language.DUTCH,
)
_ARABIC_LANGUAGES = (Language.ARABIC, Language.PERSIAN, Language.URDU)
_CYRILLIC_LANGUAGES = (Language.RUSSIAN, Language.UKRAINIAN, Language.KAZAKH)
_OTHER_LANGUAGES = (
    Language.HINDI, Language.BENGALI, Language.CHINESE, Language.JAPANESE, Language.KOREAN,
    Language.HEBREW, Language.GREEK, Language.GEORGIAN, Language.ARMENIAN, Language.THAI,
    Language.TAMIL, Language.PUNJABI, Language.GUJARATI,
)

_PASHTO_LETTERS = frozenset("ټډړږښګڼېۍځڅ")
_URDU_LETTERS = frozenset("ٹڈڑںےھہۓ")
_TAJIK_LETTERS = frozenset("ӣӯҷӢӮҶ")
_UZBEK_CYRILLIC_LETTERS = frozenset("ўЎ")
_SHARED_TG_UZ = frozenset("қғҳҚҒҲ")
_TG_ENDINGS = ("ро", "ҳо", "ӣ", "мешавад", "шуданд", "анд")
_UZ_ENDINGS = ("дан", "нинг", "лар", "моқда", "ди", "миз", "ган", "ини")
# oʻ / gʻ inside a word (not an English "who's", "don't", "I'd").
_UZBEK_LATIN = re.compile(r"\wʻ\w|[oOgG][ʼ'‘’`](?!(?:s|t|d|m|ll|re|ve)\b)\w")
# A language lingua may only keep when the text has at least one of its own letters: without
# them, the next candidate is taken (short Russian is not Kazakh, Persian is not Urdu).
_REQUIRED_LETTERS = {
    "kk": frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ"),
    "uk": frozenset("іїєґІЇЄҐ"),
    "ur": _URDU_LETTERS,
    "tr": frozenset("çşğıöüÇŞĞİÖÜ"),
    "az": frozenset("çşğıöüəÇŞĞİÖÜƏ"),
}

# Frequent function and everyday words that tell close languages apart.
_WORDS = {
    "en": frozenset("the of and is are was were that this with from for have has".split()),
    # Urdu in Latin letters, as written on Pakistani social media.
    "ur_latn": frozenset("hai hain nahi nahin kya kyun ki ka ke ko se mein main aur bhi bas "
                         "karo kar yaar raat kal sirf abhi wahan yahan tha thi hum tum aap "
                         "mera meri apna bohat bahut acha achha khabar khabrein".split()),
    "ps": frozenset("د په چې دا دي ده سره ته کې کي يې وو دې شوي لپاره وايي زموږ زه یم مو "
                    "ستاسو زما ستا دی وي کوي شول".split()),
    "fa": frozenset("است را می این که از در با به های شد بود برای آن شده اند نیز هست نیست "
                    "خیلی امروز".split()),
    "tg": frozenset("дар аз ба ки бо шуд аст барои ин мешавад буд мо шумо имрӯз хеле хуб "
                    "нест ҳаст лозим калон ҳама".split()),
    "uz": frozenset("билан учун бу эди эмас бўлди мен сиз қилди бугун жуда ҳамма кеча яхши "
                    "бир бор йўқ керак катта янги va bilan uchun bu edi emas boʻldi men siz "
                    "qildi haqida yil kuni shahri viloyati bugun juda hamma kecha yaxshi katta "
                    "yangi kerak bor yoʻq shahar bir beri rahmat muborak xayrli qalaysiz "
                    "assalomu".split()),
}


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    code: str  # ISO 639-1, or "und"
    confidence: float
    method: str  # lingua | letters | words | short | no_letters | unknown_script
    script: str  # Arab | Cyrl | Latn | Other | None


class LanguageIdentifier:
    """Identify the language of one text or many (lingua runs its batch on every core)."""

    @cached_property
    def _detectors(self) -> dict[str, LanguageDetector]:
        def build(languages: tuple[Language, ...]) -> LanguageDetector:
            return LanguageDetectorBuilder.from_languages(*languages).build()

        return {
            "Latn": build(_LATIN_LANGUAGES),
            "Arab": build(_ARABIC_LANGUAGES),
            "Cyrl": build(_CYRILLIC_LANGUAGES),
            "Other": build(_OTHER_LANGUAGES + (Language.ENGLISH,)),
        }

    def identify(self, text: str) -> LanguageGuess:
        return self.identify_many([text])[0]

    def identify_many(self, texts: list[str]) -> list[LanguageGuess]:
        results: list[LanguageGuess | None] = []
        pending: dict[str, list[tuple[int, str, int]]] = {}
        for index, text in enumerate(texts):
            guess, script, cleaned, words = _by_rules(text)
            results.append(guess)
            if guess is None:
                pending.setdefault(script, []).append((index, cleaned, words))
        cleaned_of = {index: cleaned for jobs in pending.values() for index, cleaned, _ in jobs}
        for script, jobs in pending.items():
            detector = self._detectors[script]
            values = detector.compute_language_confidence_values_in_parallel(
                [cleaned for _, cleaned, _ in jobs]
            )
            for (index, _, words), confidences in zip(jobs, values, strict=True):
                results[index] = _from_lingua(confidences, script, words, cleaned_of[index])
        return [r for r in results if r is not None]


def _by_rules(text: str) -> tuple[LanguageGuess | None, str, str, int]:
    """A guess from letters and words, or None with the script and cleaned text for lingua."""
    cleaned = _NOISE.sub(" ", text)
    counts = {"Arab": 0, "Cyrl": 0, "Latn": 0, "Other": 0}
    for char in cleaned:
        if char.isalpha():
            counts[_script(char)] += 1
    letters = sum(counts.values())
    if letters == 0:
        return LanguageGuess(UNDETERMINED, 0.0, "no_letters", "None"), "None", cleaned, 0
    script = max(counts, key=lambda s: counts[s])
    if letters < _MIN_LETTERS:
        return LanguageGuess(UNDETERMINED, 0.0, "short", script), script, cleaned, 1
    words = [w for w in re.split(r"[\W\d_]+", cleaned.casefold()) if w]
    if script == "Arab":
        guess = _arabic_script(cleaned, words)
    elif script == "Cyrl":
        guess = _cyrillic(cleaned, words)
    elif script == "Latn":
        guess = _latin(cleaned, words)
    else:
        guess = None
    return guess, script, cleaned, len(words)


def _script(char: str) -> str:
    code = ord(char)
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "Arab"
    if 0x0400 <= code <= 0x052F:
        return "Cyrl"
    if code < 0x0250 or 0x1E00 <= code <= 0x1EFF:
        return "Latn"
    if unicodedata.category(char) == "Lm":  # ʻ and similar modifier letters
        return "Latn"
    return "Other"


def _hits(words: list[str], language: str) -> int:
    vocabulary = _WORDS[language]
    return sum(1 for word in words if word in vocabulary)


def _arabic_script(text: str, words: list[str]) -> LanguageGuess | None:
    pashto = sum(1 for c in text if c in _PASHTO_LETTERS)
    urdu = sum(1 for c in text if c in _URDU_LETTERS)
    if pashto and pashto >= urdu:
        return LanguageGuess("ps", 0.95 if pashto >= 2 else 0.8, "letters", "Arab")
    if urdu:
        return LanguageGuess("ur", 0.95 if urdu >= 2 else 0.8, "letters", "Arab")
    ps_words, fa_words = _hits(words, "ps"), _hits(words, "fa")
    arabic = any(w.startswith("ال") for w in words) or any(c in "ةىأإ" for c in text)
    if ps_words >= 2 and ps_words > fa_words or ps_words == 1 and fa_words == 0 and not arabic:
        return LanguageGuess("ps", 0.7 if ps_words >= 2 else 0.6, "words", "Arab")
    return None


def _cyrillic(text: str, words: list[str]) -> LanguageGuess | None:
    tajik = any(c in _TAJIK_LETTERS for c in text)
    uzbek = any(c in _UZBEK_CYRILLIC_LETTERS for c in text)
    shared = any(c in _SHARED_TG_UZ for c in text)
    if tajik and not uzbek:
        return LanguageGuess("tg", 0.95, "letters", "Cyrl")
    if uzbek and not tajik:
        return LanguageGuess("uz", 0.95, "letters", "Cyrl")
    tg_words, uz_words = _hits(words, "tg"), _hits(words, "uz")
    if shared or tajik or uzbek:
        # With their shared letters present, grammatical endings settle Tajik vs Uzbek.
        tg_words += sum(1 for w in words if len(w) > 4 and w.endswith(_TG_ENDINGS))
        uz_words += sum(1 for w in words if len(w) > 4 and w.endswith(_UZ_ENDINGS))
        if uz_words > tg_words:
            return LanguageGuess("uz", 0.8, "words", "Cyrl")
        return LanguageGuess("tg", 0.8 if tg_words else 0.6, "letters", "Cyrl")
    if tg_words >= 1 and tg_words > uz_words:
        return LanguageGuess("tg", 0.7, "words", "Cyrl")
    if uz_words >= 1:
        return LanguageGuess("uz", 0.7, "words", "Cyrl")
    return None


def _latin(text: str, words: list[str]) -> LanguageGuess | None:
    if _UZBEK_LATIN.search(text):
        return LanguageGuess("uz", 0.9, "letters", "Latn")
    if _hits(words, "ur_latn") >= 3:
        return LanguageGuess("ur", 0.7, "words", "Latn")  # Roman Urdu
    if _hits(words, "uz") >= 2:
        return LanguageGuess("uz", 0.75, "words", "Latn")
    return None


# Suffixes Indonesian words rarely end in (not -ga, -da, -ni, -li, -gan: warga, dengan …).
_UZ_LATIN_SUFFIXES = ("lar", "ning", "dagi", "yapti", "moqda", "siz", "miz", "dir")


def _latin_words(text: str) -> list[str]:
    return [w for w in re.split(r"[\W\d_]+", text.casefold()) if w]


def _uzbek_latin_score(text: str) -> int:
    """Uzbek Latin written without oʻ/gʻ marks: its words, its suffixes, and q (not qu) or x,
    which Indonesian and the Western European languages rarely use."""
    words = _latin_words(text)
    suffixed = sum(1 for w in words if len(w) > 4 and w.endswith(_UZ_LATIN_SUFFIXES))
    letters = sum(1 for w in words if ("q" in w and "qu" not in w) or "x" in w)
    hits = _hits(words, "uz")
    if not hits and not letters:
        return 0
    return 2 * hits + suffixed + letters


def _code(language: Language) -> str:
    return language.iso_code_639_1.name.lower()


def _from_lingua(
    confidences: list[ConfidenceValue], script: str, words: int, text: str
) -> LanguageGuess:
    if not confidences or confidences[0].value <= 0.0:
        return LanguageGuess(UNDETERMINED, 0.0, "unknown_script", script)
    best = confidences[0]
    for candidate in confidences:
        required = _REQUIRED_LETTERS.get(_code(candidate.language))
        if required is None or any(c in required for c in text):
            best = candidate
            break
    code = _code(best.language)
    if code in ("az", "tr") and script == "Latn":
        return LanguageGuess("uz", 0.6, "letters", script)  # Turkic without Turkish letters
    if script == "Latn":
        uzbek = _uzbek_latin_score(text)
        if uzbek >= (5 if code == "en" else 3):
            return LanguageGuess("uz", 0.65, "words", script)
        if code != "en" and _hits(_latin_words(text), "en") >= 2:
            # English quoting foreign phrases ("Baqiya wa tatamaddad") is still English.
            return LanguageGuess("en", 0.6, "words", script)
    if words <= 1 and best.value < _MIN_ONE_WORD_CONFIDENCE:
        return LanguageGuess(UNDETERMINED, round(best.value, 3), "short", script)
    return LanguageGuess(code, round(best.value, 3), "lingua", script)
