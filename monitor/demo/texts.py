"""Turn planned slots into demo items: who posts, which template, and the rendered text.

Rendering fills slots, then adds the surface noise real chatter has (obfuscated group names,
zero-width characters, typos, prefixes); forwards copy an earlier item behind "RT @handle: ".
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from monitor.demo.corpus import (
    ALT_RE,
    SLOT_RE,
    ComponentDef,
    DemoCorpus,
    DemoCorpusError,
    EventDef,
    MixEntry,
    SourceDef,
    Template,
)

ZERO_WIDTH = "\u200b"
_DIGITS = {"ar": "٠١٢٣٤٥٦٧٨٩", "fa": "۰۱۲۳۴۵۶۷۸۹", "ps": "۰۱۲۳۴۵۶۷۸۹", "ur": "۰۱۲۳۴۵۶۷۸۹"}
_TYPO_WORD = re.compile(r"(?<![#@/\w])[A-Za-zА-Яа-яЁё]{5,}")
_URL = re.compile(r"https?://\S+")
_FORWARD_WINDOW_S = 3 * 86_400
_TWITTER_EPOCH_MS = 1_288_834_974_657


@dataclass(frozen=True, slots=True)
class Slot:
    """One planned item: when, in which source, and the planted event that adds it (if any)."""

    when: datetime
    source: SourceDef
    event: EventDef | None = None
    component: ComponentDef | None = None


@dataclass(frozen=True, slots=True)
class DemoItem:
    """A generated item: what its file shows (text, author …) and its ground truth."""

    source: str
    external_id: str
    published: datetime
    text: str
    author: str
    location: str | None
    language: str
    origin: str | None
    focus: tuple[str, ...]
    affinity: str
    narratives: tuple[str, ...]
    kind: str
    events: tuple[str, ...]
    forward_of: str | None


@dataclass(frozen=True, slots=True)
class Author:
    """A synthetic account or channel, with the location it declares (if any)."""

    handle: str
    location: str | None
    code: str | None
    langs: tuple[str, ...]
    aligned: bool


def make_handle(*, pattern: str, words: tuple[str, ...], rng: random.Random) -> str:
    """A synthetic handle such as user_4821 or kabul_watch_77 from a pattern like {word}_{n2}."""
    return pattern.format(word=rng.choice(words), n2=rng.randint(10, 99),
                          n3=rng.randint(100, 999), n4=rng.randint(1000, 9999))


def build_authors(*, corpus: DemoCorpus, source: SourceDef, rng: random.Random) -> list[Author]:
    """The source's fixed channels, or a generated pool of handles with declared locations."""
    spec = source.authors
    if spec.channels:
        return [Author(h, None, None, langs, aligned) for h, aligned, langs in spec.channels]
    locations = corpus.bank.locations
    tilt, other = spec.location_tilt, spec.location_tilt.get("*", 1.0)
    weights = [loc.weight * tilt.get(loc.code or "-", other) for loc in locations]
    authors: list[Author] = []
    seen: set[str] = set()
    while len(authors) < spec.count:
        aligned = rng.random() < spec.aligned_share
        handle = make_handle(pattern=rng.choice(spec.patterns),
                             words=spec.aligned_words if aligned else spec.words, rng=rng)
        loc = rng.choices(locations, weights=weights)[0]
        if handle not in seen:
            seen.add(handle)
            authors.append(Author(handle, loc.text, loc.code, loc.langs, aligned))
    return authors


def external_id(source: SourceDef, *, seq: int, when: datetime, seed: int) -> str:
    """The stable id a source gives its seq-th record (same seed and size, same id)."""
    if source.id_style == "int":
        return str(int(source.id_pattern) + seq)
    if source.id_style == "snowflake":
        millis = int(when.timestamp() * 1000) - _TWITTER_EPOCH_MS
        return str((millis << 22) | (seq % 4096))
    if source.id_style == "hex":
        return hashlib.sha1(f"{seed}:{source.name}:{seq}".encode()).hexdigest()[:16]
    return source.id_pattern.format(seq=seq)


class Renderer:
    """Fills a template's slots and adds surface noise; returns the text and its focus codes."""

    def __init__(self, corpus: DemoCorpus) -> None:
        self.corpus, self.bank = corpus, corpus.bank
        keys = sorted(self.bank.variants, key=len, reverse=True)
        self._variant_re = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, keys)) + r")(?!\w)")

    def render(self, template: Template, *, rng: random.Random, when: datetime,
               pools: Mapping[str, tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
        """The rendered text and the sorted focus codes of the places it names."""
        codes = set(template.focus)
        chosen: dict[str, str] = {}

        def fill(match: re.Match[str]) -> str:
            name, optional = match.group(1), match.group(2)
            if optional and rng.random() < 0.5:
                return ""
            if name not in chosen:
                chosen[name] = self._value(name, template=template, rng=rng, when=when, pools=pools,
                                           codes=codes)
            return chosen[name]

        text = ALT_RE.sub(lambda m: rng.choice(m.group(1).split("|")), template.text)
        text = SLOT_RE.sub(fill, text)
        for slot, chance in self.bank.extras.get(template.kind, {}).items():
            if slot not in chosen and rng.random() < chance:  # not rendered yet
                text += " " + self._value(slot, template=template, rng=rng, when=when, pools=pools,
                                          codes=codes)
        text = self._noise(text, template=template, rng=rng)
        return " ".join(text.split()), tuple(sorted(codes))

    def _value(self, name: str, *, template: Template, rng: random.Random, when: datetime,
               pools: Mapping[str, tuple[str, ...]], codes: set[str]) -> str:
        bank, lang = self.bank, template.language
        if name in bank.pools:
            if name in pools:
                name = rng.choice(pools[name])
            else:
                keys, weights = zip(*bank.pools[name], strict=True)
                name = rng.choices(keys, weights=weights)[0]
        if name in self.corpus.places:
            place = self.corpus.places[name]
            codes.update(place.codes)
            return rng.choice(place.names[lang])
        if name in bank.names:
            return rng.choice(bank.names[name][lang])
        if name in ("n", "k"):
            digits = str(rng.randint(2, 60) if name == "n" else rng.randint(3, 12))
            if lang in _DIGITS and rng.random() < 0.5:
                digits = digits.translate(str.maketrans("0123456789", _DIGITS[lang]))
            return digits
        if name == "handle":
            return "@" + make_handle(pattern=rng.choice(bank.handles),
                                     words=("user", "news", "reader"), rng=rng)
        if name == "url":
            code = "".join(rng.choices("abcdefghijkmnpqrstuvwxyz23456789", k=7))
            return rng.choice(bank.urls).format(slug=rng.choice(bank.slugs), code=code,
                                                yyyy=when.year, mm=f"{when.month:02d}")
        # Most specific list first: aligned_<group>, then the kind, then `general`.
        table = bank.hashtags[lang] if name == "tag" else bank.emoji
        for category in (f"{template.kind}_{template.affinity}", template.kind, "general"):
            if category in table:
                return rng.choice(table[category])
        raise DemoCorpusError(f"slots.yaml: no `general` list for {{{name}}} in {lang}")

    def _noise(self, text: str, *, template: Template, rng: random.Random) -> str:
        bank, kind = self.bank, template.kind
        if rng.random() < bank.obfuscation_chance.get(kind, 0.0):
            found = sorted({m.group(0) for m in self._variant_re.finditer(text)})
            if found:
                word = rng.choice(found)
                variant = rng.choice(bank.variants[word])
                if variant == "~zw":
                    variant = word[: len(word) // 2] + ZERO_WIDTH + word[len(word) // 2:]
                text = re.sub(r"(?<!\w)" + re.escape(word) + r"(?!\w)", variant, text)
        if kind in bank.obfuscation_chance and rng.random() < bank.zero_width_chance:
            words = _outside_urls(re.finditer(r"\w{4,}", text), text=text)
            if words:
                m = rng.choice(words)
                cut = m.start() + rng.randint(1, len(m.group(0)) - 1)
                text = text[:cut] + ZERO_WIDTH + text[cut:]
        if rng.random() < bank.typo_chance.get(kind, 0.0):
            words = _outside_urls(_TYPO_WORD.finditer(text), text=text)
            if words:
                m = rng.choice(words)
                i = m.start() + rng.randint(1, len(m.group(0)) - 3)
                text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        prefixes = bank.prefixes.get(template.language, {}).get(kind)
        if prefixes and rng.random() < bank.prefix_chance:
            text = f"{rng.choice(prefixes)} {text}"
        suffixes = bank.suffixes.get(template.language, {}).get(kind)
        if suffixes and rng.random() < bank.suffix_chance:
            text = f"{text} {rng.choice(suffixes)}"
        return text


def _outside_urls(matches: Iterator[re.Match[str]], *, text: str) -> list[re.Match[str]]:
    """The matches that do not touch a URL: noise must never turn a link into a real domain."""
    links = [m.span() for m in _URL.finditer(text)]
    return [m for m in matches if not any(a <= m.end() and m.start() <= b for a, b in links)]


@dataclass(frozen=True, slots=True)
class _Choice:
    """A mix entry ready to draw from: its languages (with weights) and their templates."""

    entry: MixEntry
    languages: tuple[str, ...]
    weights: tuple[float, ...]
    templates: Mapping[str, tuple[Template, ...]]


def guaranteed_focus(template: Template, *, corpus: DemoCorpus,
                     pools: Mapping[str, tuple[str, ...]], wanted: tuple[str, ...]) -> bool:
    """Whether every rendering of `template` has a focus code in `wanted`, given pool overrides."""
    if not wanted or set(template.focus) & set(wanted):
        return True
    for slot in template.slots:
        if slot in corpus.places:
            members: tuple[str, ...] = (slot,)
        elif slot in pools or slot in corpus.bank.pools:
            members = pools.get(slot) or tuple(k for k, _ in corpus.bank.pools[slot])
        else:
            continue
        if all(set(corpus.places[m].codes) & set(wanted) for m in members):
            return True
    return False


class Composer:
    """Makes items for planned slots, in time order, so that forwards can copy earlier items."""

    def __init__(self, *, corpus: DemoCorpus, seed: int) -> None:
        self.corpus, self.seed = corpus, seed
        self.renderer = Renderer(corpus)
        self._seq = {s.name: 0 for s in corpus.sources}
        self.rng = random.Random(f"{seed}:compose")
        self.authors = {
            s.name: build_authors(corpus=corpus, source=s, rng=random.Random(f"{seed}:{s.name}"))
            for s in corpus.sources
        }
        # Background mixes by source name, event mixes by component; built now to check them.
        self._choices: dict[str | int, tuple[_Choice, ...]] = {
            s.name: self._build_choices(where=f"sources.yaml: source {s.name}", mix=s.mix,
                                        langs=s.languages, comp=None)
            for s in corpus.sources
        }
        for event in corpus.events:
            for c in event.components:
                self._choices[id(c)] = self._build_choices(
                    where=f"events.yaml: event {event.name}, source {c.source}", mix=c.mix,
                    langs=c.languages or corpus.source(c.source).languages, comp=c)
        self._pools: dict[tuple[str, bool, str, tuple[str, ...]], list[Author]] = {}
        self._recent: dict[str, deque[DemoItem]] = {s.name: deque(maxlen=400)
                                                    for s in corpus.sources}

    def compose(self, slot: Slot) -> DemoItem:
        """The item for `slot` (slots come in time order): a forward, or a rendered template."""
        rng, source = self.rng, slot.source
        self._seq[source.name] += 1
        ext_id = external_id(source, seq=self._seq[source.name], when=slot.when, seed=self.seed)
        if slot.event is None and source.forwards and rng.random() < source.forwards:
            item = self._forward(slot, external_id=ext_id)
            if item is not None:
                return item
        comp = slot.component
        choices = self._choices[id(comp) if comp else source.name]
        choice = rng.choices(choices, weights=[c.entry.weight for c in choices])[0]
        lang = rng.choices(choice.languages, weights=choice.weights)[0]
        pool = choice.templates[lang]
        template = rng.choices(pool, weights=[t.weight for t in pool])[0]
        origins = comp.origin if comp and source.origin not in comp.origin else ()
        author = self._author(source, aligned=template.kind == "aligned", lang=lang,
                              origins=origins)
        text, focus = self.renderer.render(template, rng=rng, when=slot.when,
                                           pools=comp.pools if comp else {})
        item = DemoItem(
            source=source.name, external_id=ext_id, published=slot.when, text=text,
            author=author.handle, location=author.location, language=lang,
            origin=source.origin or author.code, focus=focus, affinity=template.affinity,
            narratives=template.narratives, kind=template.kind,
            events=self._events(source, event=slot.event), forward_of=None)
        self._recent[source.name].append(item)
        return item

    def _events(self, source: SourceDef, *, event: EventDef | None) -> tuple[str, ...]:
        names = [e.name for e in self.corpus.events if e.source == source.name]
        if event is not None:
            names.insert(0, event.name)
        return tuple(names)

    def _forward(self, slot: Slot, *, external_id: str) -> DemoItem | None:
        recent = self._recent[slot.source.name]  # in time order: drop what is too old
        while recent and (slot.when - recent[0].published).total_seconds() > _FORWARD_WINDOW_S:
            recent.popleft()
        if not recent:
            return None
        original = self.rng.choice(recent)
        if original.published >= slot.when:  # same second: not earlier, so no forward
            return None
        author = self._author(slot.source, aligned=original.kind == "aligned",
                              lang=original.language, origins=())
        if author.handle == original.author:
            return None
        return DemoItem(
            source=original.source, external_id=external_id, published=slot.when,
            text=f"RT @{original.author}: {original.text}", author=author.handle,
            location=author.location, language=original.language,
            origin=slot.source.origin or author.code, focus=original.focus,
            affinity=original.affinity, narratives=original.narratives, kind=original.kind,
            events=original.events, forward_of=original.external_id)

    def _author(self, source: SourceDef, *, aligned: bool, lang: str,
                origins: tuple[str, ...]) -> Author:
        key = (source.name, aligned, lang, origins)
        if key not in self._pools:
            everyone = self.authors[source.name]
            fits = [a for a in everyone if not origins or a.code in origins]
            if not fits:
                raise DemoCorpusError(f"sources.yaml: source {source.name} has no author located "
                                      f"in {', '.join(origins)}; add locations or authors")
            speaks = [a for a in fits if not a.langs or lang in a.langs] or fits
            self._pools[key] = [a for a in speaks if a.aligned == aligned] or speaks
        return self.rng.choice(self._pools[key])

    def _build_choices(self, *, where: str, mix: tuple[MixEntry, ...],
                       langs: tuple[tuple[str, float], ...], comp: ComponentDef | None,
                       ) -> tuple[_Choice, ...]:
        """Each mix entry with the languages (and templates) it can draw; checks coverage."""
        pools, wanted = (comp.pools, comp.require_focus) if comp else ({}, ())
        choices = []
        for entry in mix:
            found = {lang: tuple(t for t in self.corpus.templates
                                 if t.language == lang and entry.matches(t)
                                 and guaranteed_focus(t, corpus=self.corpus, pools=pools,
                                                      wanted=wanted))
                     for lang, _ in langs}
            usable = [(lang, w) for lang, w in langs if found[lang] and w > 0]
            if not usable:
                raise DemoCorpusError(f"{where}: no template in {[k for k, _ in langs]} "
                                      f"matches {entry.describe()}; add one or change the mix")
            choices.append(_Choice(entry, tuple(k for k, _ in usable),
                                   tuple(w for _, w in usable), found))
        return tuple(choices)
