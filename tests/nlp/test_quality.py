"""Quality floors on the labelled evaluation sets (corpora/eval): a regression fails here.

The floors are the acceptance targets of the enrichment issue; the measured figures (per
language, on the held-out half) are printed by benchmarks/enrich_quality.py.
"""

from __future__ import annotations

from monitor.nlp.enricher import Enricher
from monitor.nlp.evaluation import (
    LANGUAGE_SET,
    REGION_SET,
    evaluate_languages,
    evaluate_regions,
    load_jsonl,
)


def test_region_set_is_big_and_varied_enough() -> None:
    records = load_jsonl(REGION_SET)
    mentions = [m for r in records for m in r["mentions"]]
    languages = {r["lang"] for r in records if r["mentions"]}
    assert len(mentions) >= 300 and len(languages) >= 6
    assert sum(m["code"].startswith("AF-") for m in mentions) >= 100


def test_focus_regions_meet_the_precision_and_recall_targets(enricher: Enricher) -> None:
    report = evaluate_regions(enricher, load_jsonl(REGION_SET))
    country, province = report.country["all"], report.province["all"]
    assert country.precision >= 0.95 and country.recall >= 0.90, (country.errors[:5])
    assert province.precision >= 0.90 and province.recall >= 0.85, (province.errors[:5])


def test_language_id_is_right_for_nine_tenths_of_every_language(enricher: Enricher) -> None:
    records = load_jsonl(LANGUAGE_SET)
    counts: dict[str, int] = {}
    for record in records:
        counts[record["lang"]] = counts.get(record["lang"], 0) + 1
    assert all(n >= 50 for lang, n in counts.items() if lang != "und")
    scores = evaluate_languages(enricher.languages, records)
    assert scores["all"].accuracy >= 0.93
    low = {lang: round(s.accuracy, 3) for lang, s in scores.items() if s.accuracy < 0.85}
    assert low == {}
