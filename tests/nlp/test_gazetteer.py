"""The gazetteer: every country, the Afghan provinces, roll-ups, and validation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pycountry
import pytest

from monitor.errors import ConfigError
from monitor.nlp.gazetteer import GAZETTEER_DIR, load_gazetteer, region_of


def test_every_country_and_every_afghan_province_is_known() -> None:
    gazetteer = load_gazetteer()
    codes = {place.code for place in gazetteer.places.values()}
    assert {c.alpha_2 for c in pycountry.countries} <= codes
    provinces = {s.code for s in pycountry.subdivisions.get(country_code="AF")}
    assert len(provinces) == 34 and provinces <= codes


def test_codes_roll_up_province_country_macro_region() -> None:
    gazetteer = load_gazetteer()
    assert gazetteer.ancestors("AF-KDZ") == ["AF-KDZ", "AF", "M49-034"]
    assert region_of("TJ").macro_name == "Central Asia"
    assert region_of("ID").macro_name == "South-eastern Asia"
    assert region_of("SY").macro_name == "Western Asia"
    assert region_of("DE").macro_name == "Western Europe"
    assert region_of("US").macro_name == "Northern America"
    assert region_of("M49-143").level == "macro"
    with pytest.raises(ValueError):
        region_of("XX")


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "gazetteer"
    shutil.copytree(GAZETTEER_DIR, target)
    return target


def test_a_bad_place_is_refused_with_file_entry_and_field(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "zz_bad.yaml").write_text(
        "places:\n  - {id: atlantis, code: AF-XYZ, kind: city, names: {en: [Atlantis]}}\n",
        encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_gazetteer(directory)
    message = str(error.value)
    assert "zz_bad.yaml" in message and "'atlantis' > code" in message and "AF-XYZ" in message


def test_a_duplicate_place_id_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "zz_dup.yaml").write_text(
        "places:\n  - {id: dup-x, code: AF, kind: city, names: {en: [Foo]}}\n"
        "  - {id: dup-x, code: AF, kind: city, names: {en: [Bar]}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'dup-x' is used twice"):
        load_gazetteer(directory)


def test_an_unknown_kind_or_language_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "zz_kind.yaml").write_text(
        "places:\n  - {id: k1, code: AF, kind: planet, names: {xx: [Foo]}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_gazetteer(directory)
    assert "'k1' > kind" in str(error.value) and "unknown language code(s) xx" in str(error.value)
