"""Enrichment quality on the labelled sets in corpora/eval (run by hand; prints figures).

    .venv/bin/python benchmarks/enrich_quality.py [--split all|dev|test] [--errors]

Region tagging (focus): precision and recall per language at country level (every code
rolled up to its country) and at Afghan-province level. Language id: accuracy per language,
overall and on short items, with the most common confusions.
"""

from __future__ import annotations

import argparse

from monitor.nlp.enricher import Enricher
from monitor.nlp.evaluation import (
    LANGUAGE_SET,
    REGION_SET,
    evaluate_languages,
    evaluate_regions,
    load_jsonl,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="all", choices=["all", "dev", "test"])
    parser.add_argument("--errors", action="store_true", help="print every wrong item")
    args = parser.parse_args()
    enricher = Enricher()

    records = load_jsonl(REGION_SET, split=args.split)
    report = evaluate_regions(enricher, records)
    print(f"Region tagging (focus), split={args.split}, {len(records)} items")
    print(f"{'lang':>5} {'mentions':>8} | {'country P':>9} {'R':>6} | {'AF-prov P':>9} {'R':>6}")
    for lang in sorted(report.country, key=lambda k: (k == "all", k)):
        c, p = report.country[lang], report.province[lang]
        print(f"{lang:>5} {report.mentions[lang]:>8} | {c.precision:>9.3f} {c.recall:>6.3f} | "
              f"{p.precision:>9.3f} {p.recall:>6.3f}")
    if args.errors:
        for error in report.country["all"].errors + report.province["all"].errors:
            print(error)

    languages = load_jsonl(LANGUAGE_SET, split=args.split)
    scores = evaluate_languages(enricher.languages, languages)
    print(f"\nLanguage id, split={args.split}, {len(languages)} items")
    print(f"{'lang':>5} {'items':>6} {'accuracy':>8} {'short':>6} {'short acc':>9}  confusions")
    for lang in sorted(scores, key=lambda k: (k == "all", k)):
        s = scores[lang]
        confusions = ", ".join(f"{k} {v}" for k, v in sorted(s.confusions.items(),
                                                             key=lambda kv: -kv[1]))
        print(f"{lang:>5} {s.n:>6} {s.accuracy:>8.3f} {s.n_short:>6} {s.short_accuracy:>9.3f}"
              f"  {confusions}")
    if args.errors:
        guesses = enricher.languages.identify_many([r["text"] for r in languages])
        for record, guess in zip(languages, guesses, strict=True):
            if guess.code != record["lang"]:
                print(record["lang"], guess, repr(record["text"][:80]))


if __name__ == "__main__":
    main()
