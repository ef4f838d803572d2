"""The codebook file: validated on load, with errors that name the entry and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.errors import ConfigError
from monitor.nlp.codebook import LANGUAGES, load_codebook
from monitor.nlp.enricher import Enricher
from monitor.nlp.gazetteer import load_gazetteer

REQUIRED_GROUPS = {"isis", "taliban", "al_qaeda", "haqqani", "ttp", "none"}
REQUIRED_NARRATIVES = {"anti_shia_sectarian", "taliban_sold_out",
                       "foreign_fighter_mobilization", "defection_appeal"}


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _minimal() -> dict[str, object]:
    return {
        "version": "test",
        "groups": [
            {"id": "isis", "name": "IS", "definition": "Supports the Islamic State.",
             "aliases": {"en": ["Daesh"]}},
            {"id": "none", "name": "None", "definition": "No supportive stance at all."},
        ],
        "narratives": [
            {"id": "anti_shia_sectarian", "name": "Anti-Shia",
             "definition": "Vilifies Shia Muslims as a sect.", "cues": {"en": ["rafidah"]}},
        ],
    }


def test_the_shipped_codebook_has_every_required_label_in_every_language() -> None:
    book = load_codebook()
    assert REQUIRED_GROUPS <= set(book.group_ids)
    assert REQUIRED_NARRATIVES <= set(book.narrative_ids)
    for kind, entry in book.entries():
        if entry.id == "none":
            continue
        terms = entry.aliases if kind == "group" else entry.cues
        assert set(LANGUAGES) <= set(terms), f"{entry.id} lacks {set(LANGUAGES) - set(terms)}"
        assert entry.exclude, f"{entry.id} has no exclusion rules"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["groups"][0].update(id="Bad Id"), "groups > 'Bad Id' > id"),
        (lambda d: d["groups"][0].update(aliases={"xx": ["a"]}), "unknown language code(s) xx"),
        (lambda d: d["groups"][0].update(aliases={"en": ["Daesh", "daesh"]}),
         "duplicate term(s) daesh"),
        (lambda d: d["groups"][0].update(colour="red"), "groups > 'isis' > colour"),
        (lambda d: d["groups"].pop(1), "groups must include 'none'"),
        (lambda d: d["narratives"][0].update(cues={}), "has no cues"),
        (lambda d: d["narratives"].append(dict(d["narratives"][0])), "is used twice"),
        (lambda d: d["groups"][0].pop("definition"), "groups > 'isis' > definition"),
    ],
)
def test_a_bad_entry_is_refused_with_a_message_naming_it(
    tmp_path: Path, change: object, message: str
) -> None:
    data = _minimal()
    change(data)  # type: ignore[operator]
    with pytest.raises(ConfigError) as error:
        load_codebook(_write(tmp_path, data))
    assert message in str(error.value) and str(tmp_path) in str(error.value)


def test_not_yaml_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text("groups: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_codebook(path)


def test_a_narrative_added_to_the_file_works_with_no_code_change(tmp_path: Path) -> None:
    data = _minimal()
    data["narratives"].append(  # type: ignore[attr-defined]
        {"id": "anti_hazara_labour", "name": "New narrative",
         "definition": "A narrative added by an analyst for this test.",
         "cues": {"en": ["blue lantern pact"], "ru": ["синий фонарь"]}})
    enricher = Enricher(load_codebook(_write(tmp_path, data)), load_gazetteer())
    result = enricher.enrich("They keep talking about the Blue-Lantern pact in Kabul")
    assert [(c.kind, c.label, c.surface) for c in result.cues] == [
        ("narrative", "anti_hazara_labour", "Blue-Lantern pact")]
    russian = enricher.enrich("опять этот синий фонарь")
    assert russian.cues[0].label == "anti_hazara_labour"
