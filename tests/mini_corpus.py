"""A small synthetic labelled corpus (models trained on it once per session: tests/conftest.py).

The real seed corpus is measured by `monitor evaluate`; this corpus tests
the machinery: training, calibration, thresholds, the registry and the commands.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

STANCES = {
    "isis": ["soldiers of the khilafah", "Daesh", "baqiya", "Amaq reports", "the caliphate"],
    "taliban": ["Islamic Emirate", "mujahideen of the Emirate", "victory", "Taliban"],
    "al_qaeda": ["al-Qaeda", "AQIS", "al-Shabaab", "Hurras al-Din"],
    "haqqani": ["Haqqani network", "Haqqani fighters", "the Haqqanis"],
    "ttp": ["TTP", "Tehrik-i-Taliban Pakistan", "Pakistani Taliban"],
    "other_jihadist": ["HTS", "Jamaat Ansarullah", "IMU", "Katibat Imam Bukhari"],
    "none": ["officials said", "analysts note", "a report found", "residents condemned"],
}
NARRATIVES = {
    "anti_shia_sectarian": "the rafidah are majus",
    "taliban_sold_out": "the Taliban sold out to the ISI",
    "foreign_fighter_mobilization": "make hijrah to Khurasan",
    "defection_appeal": "leave the Taliban and join",
}
FILLER = "the a in of today we they brothers city people night market week road".split()


def write_corpus(directory: Path, seed: int = 3) -> Path:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    n = 0
    for label, phrases in STANCES.items():
        for k in range(130 if label == "isis" else 45):
            narratives = [list(NARRATIVES)[k % 4]] if label == "isis" and k < 110 else []
            words = rng.sample(phrases, 2) + rng.sample(FILLER, 5)
            words += [NARRATIVES[narratives[0]]] if narratives else []
            rng.shuffle(words)
            n += 1
            lines.append(json.dumps({"id": f"t{n}", "lang": "en", "text": " ".join(words),
                                     "affinity": label, "narratives": narratives,
                                     "kind": "aligned" if label != "none" else "news"}))
    (directory / "seed_en.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory
