"""Enrichment of single items: regions with roles, ambiguity, cues with spans, bad input."""

from __future__ import annotations

from monitor.nlp.enricher import Enricher, ItemInput, to_json


def focus(enricher: Enricher, text: str) -> list[str]:
    return enricher.enrich(text).focus_codes()


def test_provinces_cities_and_countries_in_several_scripts(enricher: Enricher) -> None:
    assert focus(enricher, "Clashes near Jalalabad and in Kunduz") == [
        "AF-NAN", "AF", "AF-KDZ"]
    assert focus(enricher, "Вчера в Кундузе и в Таджикистане") == ["AF-KDZ", "AF", "TJ"]
    assert focus(enricher, "انفجار در شهر کندز") == ["AF-KDZ", "AF"]
    assert focus(enricher, "Qunduzda va Toshkentda yomg'ir") == ["AF-KDZ", "AF", "UZ-TK", "UZ"]
    assert focus(enricher, "بم دھماکہ پشاور میں") == ["PK-KP", "PK"]


def test_spans_point_at_the_place_in_the_original_text(enricher: Enricher) -> None:
    text = "RT: Fighting in K\u200cunduz province tonight"
    mention = enricher.enrich(text).focus[0]
    assert text[mention.start:mention.end] == "K\u200cunduz" == mention.surface
    assert mention.code == "AF-KDZ" and mention.kind == "province"


def test_kunduz_city_and_kunduz_province_are_both_af_kdz(enricher: Enricher) -> None:
    city = enricher.enrich("Shops reopened in Kunduz city").focus[0]
    province = enricher.enrich("Floods across Kunduz province").focus[0]
    assert (city.code, city.kind) == ("AF-KDZ", "city")
    assert (province.code, province.kind) == ("AF-KDZ", "province")


def test_khorasan_in_a_group_name_is_not_a_place(enricher: Enricher) -> None:
    result = enricher.enrich("Islamic State Khorasan Province (ISKP) issued a statement")
    assert result.focus == ()
    assert {c.label for c in result.cues if c.role == "alias"} == {"isis"}
    # ... but the codebook maps the Wilayat name itself to Afghanistan.
    assert focus(enricher, "a new video from Wilayat Khurasan") == ["AF"]
    assert focus(enricher, "protests in Razavi Khorasan over prices") == ["IR-09", "IR"]


def test_pakistan_inside_tehrik_i_taliban_pakistan_is_not_a_place(enricher: Enricher) -> None:
    result = enricher.enrich("Tehrik-i-Taliban Pakistan denied the report")
    assert result.focus == ()
    assert [c.label for c in result.cues if c.role == "alias"] == ["ttp"]


def test_person_names_that_are_place_names(enricher: Enricher) -> None:
    assert focus(enricher, "Coach Jordan Whitcombe praised the team") == []
    assert focus(enricher, "Refugees crossed into Jordan last week") == ["JO"]
    assert focus(enricher, "Farah said she would vote") == []
    assert focus(enricher, "Floods hit Farah province again") == ["AF-FRA", "AF"]
    assert focus(enricher, "Mawlawi Abdul Nangarhari spoke") == []
    assert focus(enricher, "Heavy rain in Nangarhar") == ["AF-NAN", "AF"]
    assert focus(enricher, "My friend Chad Lindqvist is here") == []
    assert focus(enricher, "The army of Chad withdrew") == ["TD"]


def test_georgia_the_country_and_the_us_state(enricher: Enricher) -> None:
    assert focus(enricher, "Georgia and Armenia signed a deal in Tbilisi") == ["GE", "AM"]
    assert focus(enricher, "Voters in Atlanta, Georgia queued for hours") == ["US"]


def test_badakhshan_and_gorno_badakhshan(enricher: Enricher) -> None:
    assert focus(enricher, "Snow closed roads in Badakhshan") == ["AF-BDS", "AF"]
    assert focus(enricher, "Protests in Gorno-Badakhshan and Khorog") == ["TJ-GB", "TJ"]


def test_places_only_in_links_or_handles_are_not_focus(enricher: Enricher) -> None:
    assert focus(enricher, "read this https://news.example/kunduz-attack via @kabul_news") == []


def test_cues_carry_label_role_language_and_span(enricher: Enricher) -> None:
    text = "D@esh fighters call them r-a-f-i-d-a-h"
    cues = enricher.enrich(text).cues
    by_label = {c.label: c for c in cues}
    assert by_label["isis"].role == "alias" and by_label["isis"].surface == "D@esh"
    sectarian = by_label["anti_shia_sectarian"]
    assert sectarian.kind == "narrative"
    assert text[sectarian.start:sectarian.end] == sectarian.surface


def test_origin_from_source_then_declared_location_then_unknown(enricher: Enricher) -> None:
    from_source = enricher.enrich(ItemInput("hello", location="Kabul", source_origin="TJ"))
    assert from_source.origin is not None and from_source.origin.code == "TJ"
    assert from_source.origin.via == "source" and from_source.origin.region.macro_name == (
        "Central Asia")
    from_author = enricher.enrich(ItemInput("hello", location="Dushanbe ☀️"))
    assert from_author.origin is not None and from_author.origin.code == "TJ-DU"
    assert from_author.origin.via == "author_location"
    unknown = enricher.enrich(ItemInput("زه په کندهار کې یم"))
    assert unknown.origin is None and unknown.origin_hint == ("AF", "PK")
    # the poster's location is origin, never focus
    assert enricher.enrich(ItemInput("hello", location="Kandahar")).focus == ()


def test_bad_input_gets_a_defined_result(enricher: Enricher) -> None:
    empty = enricher.enrich("\u200b\u200f \u202e ")
    assert (empty.language.code, empty.flags, empty.focus, empty.cues) == ("und", ("empty",), (),
                                                                            ())
    links = enricher.enrich("https://a.example/x @someone www.b.example")
    assert links.flags == ("links_only",) and links.language.code == "und"
    emoji = enricher.enrich("🔥🔥🔥 100% !!!")
    assert emoji.flags == ("no_letters",) and emoji.language.code == "und"
    unknown = enricher.enrich("ᐊᐃᓐᓇᖅᑐᖅ ᐅᖃᐅᓯᖅ ᑕᐃᑲᓂ")
    assert unknown.flags == ("unknown_script",) and unknown.language.code == "und"


def test_a_100_kb_item_is_enriched_whole(enricher: Enricher) -> None:
    text = ("ordinary words about the weather and prices " * 2_300) + " then Kunduz"
    assert len(text.encode()) > 100_000
    result = enricher.enrich(text)
    assert result.language.code == "en"
    assert result.focus_codes() == ["AF-KDZ", "AF"]
    assert text[result.focus[0].start:result.focus[0].end] == "Kunduz"


def test_predict_json_keeps_the_documented_keys(enricher: Enricher) -> None:
    out = to_json(enricher.enrich(ItemInput("Daesh in Kunduz", location="Dushanbe")),
                  item_id="7", normalised=True)
    assert {"id", "language", "language_confidence", "regions", "cues", "focus",
            "normalised"} <= set(out)
    focus_entry = out["regions"][0]
    assert focus_entry == {"role": "focus", "code": "AF-KDZ", "country": "AF",
                           "macro": "Southern Asia", "macro_code": "M49-034", "span": [9, 15],
                           "text": "Kunduz", "kind": "province", "place": focus_entry["place"]}
    assert out["regions"][1]["role"] == "origin" and out["regions"][1]["from"] == (
        "author_location")
    assert out["cues"][0]["span"] == [0, 5] and out["cues"][0]["label"] == "isis"


def test_phrases_that_contain_a_place_but_are_not_about_it(enricher: Enricher) -> None:
    assert focus(enricher, "Soldiers of the Quds Force were seen in Syria") == ["SY"]
    assert focus(enricher, "فيلق القدس في سوريا") == ["SY"]
    assert focus(enricher, "She moved to New Mexico last year") == []  # not Mexico
    assert focus(enricher, "Pengamat menulis dalam bahasa Indonesia") == []


def test_a_capital_at_the_start_of_a_sentence_proves_nothing(enricher: Enricher) -> None:
    assert focus(enricher, "Того гляди дождь пойдёт") == []
    assert focus(enricher, "В Того прошли выборы") == ["TG"]


def test_a_case_ending_is_context_enough(enricher: Enricher) -> None:
    assert focus(enricher, "Farahda yomgʻir yogʻdi") == ["AF-FRA", "AF"]
