"""The multilingual gazetteer: places, their names per language, and the region hierarchy.

Places come from two sources:

- every country in pycountry, with its English names and its names in the project's languages
  from pycountry's own translations (iso3166-1), plus the common and colloquial names in
  `corpora/gazetteer/countries.yaml`;
- `corpora/gazetteer/*.yaml` place files (Afghan provinces with their cities, districts and
  valleys; the neighbours; the wider world; the Islamic State's "Wilayat" names).

Every code rolls up: ISO 3166-2 subdivision → ISO 3166-1 country → UN M49 sub-region (from
country-converter's UN region column), so trends can count at each level.
"""

from __future__ import annotations

import gettext
import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

import pycountry
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.errors import ConfigError
from monitor.nlp.codebook import CORPORA_DIR, LANGUAGES
from monitor.nlp.normalise import NORMALISER_VERSION

GAZETTEER_DIR = CORPORA_DIR / "gazetteer"
COUNTRIES_FILE = "countries.yaml"
CONTEXT_FILE = "context.yaml"

Kind = Literal["country", "province", "city", "district", "valley", "area", "wilayat", "theatre"]
Rule = Literal["context", "capitalised", "exclude"]

# UN M49 sub-regions (the "UNregion" names of country-converter) and their M49 codes.
M49_SUBREGIONS = {
    "Northern Africa": "015", "Eastern Africa": "014", "Middle Africa": "017",
    "Southern Africa": "018", "Western Africa": "011", "Caribbean": "029",
    "Central America": "013", "South America": "005", "Northern America": "021",
    "Central Asia": "143", "Eastern Asia": "030", "South-eastern Asia": "035",
    "Southern Asia": "034", "Western Asia": "145", "Eastern Europe": "151",
    "Northern Europe": "154", "Southern Europe": "039", "Western Europe": "155",
    "Australia and New Zealand": "053", "Melanesia": "054", "Micronesia": "057",
    "Polynesia": "061", "Antarctica": "010",
}
MACRO_PREFIX = "M49-"

_M = TypeVar("_M", bound=BaseModel)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NameList = dict[str, list[str]]


def _check_languages(value: NameList) -> NameList:
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ValueError(
            f"unknown language code(s) {', '.join(unknown)}; use {', '.join(LANGUAGES)}"
        )
    for language, names in value.items():
        if any(not isinstance(n, str) or not n.strip() for n in names):
            raise ValueError(f"{language}: every name must be non-empty text")
    return value


def _check_code(code: str) -> str:
    if "-" in code:
        if pycountry.subdivisions.get(code=code) is None:
            raise ValueError(f"{code!r} is not an ISO 3166-2 subdivision code known to pycountry")
    elif pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


class PlaceSpec(_Strict):
    id: str
    code: str
    kind: Kind
    names: NameList
    context: bool = False

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be a lower-case ascii slug like kunduz or mazar-i-sharif")
        return value

    _code = field_validator("code")(classmethod(lambda cls, v: _check_code(v)))
    _names = field_validator("names")(classmethod(lambda cls, v: _check_languages(v)))


class PlaceFile(_Strict):
    places: list[PlaceSpec]


class AmbiguousName(_Strict):
    name: str = Field(min_length=1)
    code: str
    lang: str
    rule: Rule
    why: str = ""

    _code = field_validator("code")(classmethod(lambda cls, v: _check_code(v)))


class CountriesFile(_Strict):
    names: dict[str, NameList] = Field(default_factory=dict)
    ambiguous: list[AmbiguousName] = Field(default_factory=list)
    georgia_us_context: list[str] = Field(default_factory=list)

    @field_validator("names")
    @classmethod
    def _countries(cls, value: dict[str, NameList]) -> dict[str, NameList]:
        for code, names in value.items():
            _check_code(code)
            _check_languages(names)
        return value


class ContextFile(_Strict):
    locatives: NameList
    place_words: dict[str, list[str]]
    state_words: NameList
    titles: NameList
    not_places: NameList = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Region:
    """A code at one level of the hierarchy, with what it rolls up to."""

    code: str
    name: str
    level: Literal["province", "country", "macro"]
    country: str | None  # ISO 3166-1 alpha-2; None for a macro-region
    macro: str | None  # M49-xxx code of the sub-region
    macro_name: str | None


@dataclass(frozen=True, slots=True)
class Place:
    id: str
    code: str
    kind: str
    context: bool = False


@dataclass(frozen=True, slots=True)
class PlaceName:
    """One name of one place in one language, with the rule that guards it."""

    place_id: str
    language: str
    name: str
    rule: str | None = None  # None | context | capitalised


@dataclass
class Gazetteer:
    places: dict[str, Place]
    names: list[PlaceName]
    regions: dict[str, Region]
    context: ContextFile
    georgia_us_context: tuple[str, ...] = ()
    digest: str = ""
    files: tuple[str, ...] = field(default_factory=tuple)

    def rollup(self, code: str) -> Region:
        """The region for a code (a subdivision, a country or a macro-region)."""
        region = self.regions.get(code)
        if region is None:
            region = region_of(code)
            self.regions[code] = region
        return region

    def ancestors(self, code: str) -> list[str]:
        """The code and every code above it: AF-KDZ → [AF-KDZ, AF, M49-034]."""
        region = self.rollup(code)
        chain = [code]
        if region.level == "province" and region.country:
            chain.append(region.country)
        if region.macro and region.macro != code:
            chain.append(region.macro)
        return chain


@cache
def _un_regions() -> dict[str, str]:
    """ISO alpha-2 → M49 sub-region name, from country-converter's table."""
    import country_converter  # imported lazily: it loads pandas

    data = country_converter.CountryConverter().data
    table: dict[str, str] = {}
    for iso2, region in zip(data["ISO2"], data["UNregion"], strict=True):
        if isinstance(iso2, str) and isinstance(region, str):
            table[iso2] = region
    return table


def region_of(code: str) -> Region:
    """Build the Region for any valid code; ValueError for an unknown one."""
    if code.startswith(MACRO_PREFIX):
        names = {v: k for k, v in M49_SUBREGIONS.items()}
        name = names.get(code[len(MACRO_PREFIX):])
        if name is None:
            raise ValueError(f"unknown macro-region code {code!r}")
        return Region(code, name, "macro", None, code, name)
    country_code = code.split("-", 1)[0]
    country = pycountry.countries.get(alpha_2=country_code)
    if country is None:
        raise ValueError(f"unknown region code {code!r}")
    macro_name = _un_regions().get(country_code)
    macro = MACRO_PREFIX + M49_SUBREGIONS[macro_name] if macro_name else None
    if "-" in code:
        subdivision = pycountry.subdivisions.get(code=code)
        if subdivision is None:
            raise ValueError(f"unknown region code {code!r}")
        return Region(code, subdivision.name, "province", country_code, macro, macro_name)
    name = getattr(country, "common_name", None) or country.name
    return Region(code, name, "country", country_code, macro, macro_name)


def load_gazetteer(directory: Path | None = None) -> Gazetteer:
    """Read, validate and index the gazetteer; ConfigError names the file and entry on error."""
    directory = directory or GAZETTEER_DIR
    digest = hashlib.sha256(f"normaliser={NORMALISER_VERSION};pycountry".encode())
    files = sorted(p for p in directory.glob("*.yaml"))
    if not files:
        raise ConfigError(f"no gazetteer files (*.yaml) in {directory}")
    places: dict[str, Place] = {}
    names: list[PlaceName] = []
    countries = CountriesFile()
    context: ContextFile | None = None
    for path in files:
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        data = _read_yaml(path, raw)
        if path.name == COUNTRIES_FILE:
            countries = _validate(CountriesFile, data, path)
        elif path.name == CONTEXT_FILE:
            context = _validate(ContextFile, data, path)
        else:
            for spec in _validate(PlaceFile, data, path).places:
                if spec.id in places:
                    raise ConfigError(f"{path}: place id {spec.id!r} is used twice")
                places[spec.id] = Place(spec.id, spec.code, spec.kind, spec.context)
                rule = "context" if spec.context else None
                names += [PlaceName(spec.id, lang, n, rule) for lang, ns in spec.names.items()
                          for n in ns]
    if context is None:
        raise ConfigError(
            f"{directory / CONTEXT_FILE} is missing: it holds the ambiguity rules' words"
        )
    digest.update(pycountry.__name__.encode())
    country_places, country_names = _country_names(countries)
    for place in country_places:
        places.setdefault(place.id, place)
    names += country_names
    names = _apply_ambiguity(names, countries.ambiguous, places)
    regions: dict[str, Region] = {}
    for place in places.values():
        region = region_of(place.code)
        regions[place.code] = region
        if region.country:
            regions.setdefault(region.country, region_of(region.country))
    for region in list(regions.values()):
        if region.macro:
            regions.setdefault(region.macro, region_of(region.macro))
    return Gazetteer(
        places=places,
        names=names,
        regions=regions,
        context=context,
        georgia_us_context=tuple(countries.georgia_us_context),
        digest=digest.hexdigest()[:12],
        files=tuple(p.name for p in files),
    )


def _read_yaml(path: Path, raw: bytes) -> object:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def _validate(model: type[_M], data: object, path: Path) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            location = list(error["loc"])
            if len(location) >= 2 and location[0] == "places" and isinstance(data, dict):
                entries = data.get("places")
                index = location[1]
                if isinstance(entries, list) and isinstance(index, int) and index < len(entries):
                    entry = entries[index]
                    name = entry.get("id") if isinstance(entry, dict) else None
                    location[1] = repr(name) if name else f"#{index + 1}"
            where = " > ".join(str(part) for part in location) or "file"
            lines.append(f"  - {where}: {error['msg']}")
        raise ConfigError(f"{path}: invalid gazetteer file:\n" + "\n".join(lines)) from exc


def country_id(code: str) -> str:
    return f"country-{code.lower()}"


def _country_names(countries: CountriesFile) -> tuple[list[Place], list[PlaceName]]:
    """Every country with its English names, pycountry's translations and the extra names."""
    places: list[Place] = []
    names: list[PlaceName] = []
    translations = {lang: _translation(lang) for lang in LANGUAGES if lang != "en"}
    for country in pycountry.countries:
        code = country.alpha_2
        pid = country_id(code)
        places.append(Place(pid, code, "country"))
        english = {country.name, getattr(country, "common_name", None) or country.name}
        official = getattr(country, "official_name", None)
        if official:
            english.add(official)
        names += [PlaceName(pid, "en", n) for n in sorted(english) if "," not in n]
        for lang, translation in translations.items():
            if translation is None:
                continue
            local = {translation.gettext(n) for n in english} - english
            names += [PlaceName(pid, lang, n) for n in sorted(local) if "," not in n]
        for lang, extra in countries.names.get(code, {}).items():
            names += [PlaceName(pid, lang, n) for n in extra]
    return places, names


def _translation(language: str) -> gettext.NullTranslations | None:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return None


def _apply_ambiguity(
    names: list[PlaceName], rules: list[AmbiguousName], places: dict[str, Place]
) -> list[PlaceName]:
    """Attach each ambiguous name's rule; drop excluded names; guard very short names."""
    by_name: dict[str, list[AmbiguousName]] = {}
    for ambiguous_name in rules:
        by_name.setdefault(ambiguous_name.name.casefold(), []).append(ambiguous_name)
    result: list[PlaceName] = []
    seen: set[tuple[str, str, str]] = set()
    for entry in names:
        key = (entry.place_id, entry.language, entry.name)
        if key in seen:
            continue
        seen.add(key)
        rule: str | None = entry.rule
        place = places[entry.place_id]
        for ambiguous in by_name.get(entry.name.casefold(), ()):
            if ambiguous.code.split("-")[0] == place.code.split("-")[0]:
                rule = ambiguous.rule
        if rule == "exclude":
            continue
        if rule is None and len(entry.name.strip()) <= 3 and entry.name.isupper():
            rule = "capitalised"  # US, UK, UAE: never the pronoun "us"
        result.append(PlaceName(entry.place_id, entry.language, entry.name, rule))
    return result
